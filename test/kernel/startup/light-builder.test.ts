// The kernel's light builder (kernel/startup/light-builder.ts) must give tslab the project files TypeScript's own builder
// gives it: the same answer to getAllDependencies once declaration files are left out, as tslab leaves them out.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { dependencies, lightBuilderFactory } from "../../../kernel/startup/light-builder";
import { ts } from "../../../kernel/startup/typescript";
import { root } from "../helpers";

const project = mkdtempSync(join(tmpdir(), "skipbook-light-builder-"));
after(() => rmSync(project, { recursive: true, force: true }));
symlinkSync(join(root, "node_modules"), join(project, "node_modules"), "dir");
const files: Record<string, string> = {
  "cell.ts": 'import { b } from "./lib/b";\nimport * as tf from "@tensorflow/tfjs-node";\nexport const out = b + tf.version.tfjs.length;\n',
  "lib/b.ts": '/// <reference path="./notes.ts" />\nimport { c } from "./c";\nimport type { Shape } from "./shape";\nexport const b: number = c + 1;\nexport type S = Shape;\n',
  "lib/c.ts": "export const c = 1;\n",
  "lib/shape.ts": "export interface Shape { n: number }\n",
  "lib/notes.ts": "const note = 'a script: it affects the global scope';\n",
  "lib/unused.ts": "export const unused = 0;\n",
  "script.ts": "const alone = 1;\n",
  "augments.ts": 'export {};\ndeclare global { interface Window { skipbook: number } }\n',
};
for (const [name, text] of Object.entries(files)) {
  mkdirSync(join(project, name, ".."), { recursive: true });
  writeFileSync(join(project, name), text);
}

function projectFiles(names: readonly string[]): string[] {
  return names.filter((name) => !name.endsWith(".d.ts") && !name.includes("node_modules")).map((name) => name.slice(project.length + 1)).sort();
}

test("getAllDependencies: the same project files as TypeScript's builder, for a module, a script and a global augmentation", () => {
  const options: import("@tslab/typescript-for-tslab").CompilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, noEmit: true };
  const host = ts.createIncrementalCompilerHost(options); // sets the file versions a builder needs
  const roots = ["cell.ts", "script.ts", "augments.ts", "lib/unused.ts"].map((name) => join(project, name));
  const stock = ts.createEmitAndSemanticDiagnosticsBuilderProgram(roots, options, host);
  const light = lightBuilderFactory(ts)(roots, options, host, undefined, undefined, undefined);
  for (const name of ["cell.ts", "script.ts", "augments.ts", "lib/b.ts"]) {
    const file = stock.getSourceFile(join(project, name))!;
    assert.deepEqual(projectFiles(light.getAllDependencies(light.getSourceFile(join(project, name))!)), projectFiles(stock.getAllDependencies(file)), name);
  }
  assert.deepEqual(projectFiles(dependencies(ts, light.getProgram(), light.getSourceFile(join(project, "cell.ts"))!)), ["cell.ts", "lib/b.ts", "lib/c.ts", "lib/notes.ts", "lib/shape.ts"]);
  assert.equal(projectFiles(dependencies(ts, light.getProgram(), light.getSourceFile(join(project, "script.ts"))!)).length, 8, "a script depends on every file");
});
