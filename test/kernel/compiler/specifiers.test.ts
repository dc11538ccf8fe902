// How a cell's imports resolve (kernel/compiler/specifiers.ts): aliases come from the project's tsconfig.json, as
// for the editor and tsc; notebook-relative paths become root-relative; completion offsets survive the rewrite.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import ts = require("@tslab/typescript-for-tslab");
import { findProjectRoot, readAliases, rewriteSpecifiers, specifierMapper } from "../../../kernel/compiler/specifiers";
import { root } from "../helpers";

const project = mkdtempSync(join(tmpdir(), "skipbook-specifiers-"));
after(() => rmSync(project, { recursive: true, force: true }));
mkdirSync(join(project, "lib", "core"), { recursive: true });
mkdirSync(join(project, "notebooks"));
writeFileSync(join(project, "package.json"), "{}\n");
writeFileSync(join(project, "lib", "core", "index.ts"), "export const one = 1;\n");

test("this checkout's aliases are tsconfig.json's: skiplib and skipbook", () => {
  assert.deepEqual(readAliases(root), { skiplib: "src/skiplib/index.ts", skipbook: "src/display/index.ts" });
});

test("aliases: one-file entries of compilerOptions.paths, relative to baseUrl; comments and trailing commas allowed; a broken file is reported and means none", () => {
  writeFileSync(
    join(project, "tsconfig.json"),
    '{\n  // the library\n  "compilerOptions": {\n    "baseUrl": "./lib", /* its folder */\n    "paths": { "core": ["core/index.ts"], "core/*": ["core/*"], "two": ["a.ts", "b.ts"], "url": ["http://x/y.ts"], },\n  },\n}\n',
  );
  assert.deepEqual(Object.keys(readAliases(project)), ["core", "url"]);
  assert.equal(readAliases(project).core, "lib/core/index.ts");
  writeFileSync(join(project, "tsconfig.json"), '{ "compilerOptions": ');
  const warnings: string[] = [];
  assert.deepEqual(readAliases(project, (message) => warnings.push(message)), {});
  assert.match(warnings[0], /tsconfig\.json is not valid JSON .*: cells cannot use its path aliases/);
  rmSync(join(project, "tsconfig.json"));
  assert.deepEqual(readAliases(project), {}, "no tsconfig.json: no aliases");
});

test("specifiers: an alias becomes its file from the root, a relative path is taken from the notebook's folder, a package stays", () => {
  const map = specifierMapper(project, join(project, "notebooks"), { core: "lib/core/index.ts", gone: "lib/missing.ts" });
  assert.equal(map("core"), "./lib/core/index");
  assert.equal(map("gone"), "gone", "an alias whose file is missing is left for TypeScript to report");
  assert.equal(map("./helpers"), "./notebooks/helpers");
  assert.equal(map("../lib/core"), "./lib/core");
  assert.equal(map("@tensorflow/tfjs-node"), "@tensorflow/tfjs-node");
  assert.equal(specifierMapper(project, project, {})("./x"), "./x");
  assert.equal(findProjectRoot(join(project, "notebooks")), project);
});

test("rewriting changes only the string literals of imports, exports, require, import() and import types; offsets map both ways", () => {
  const map = specifierMapper(project, join(project, "notebooks"), { core: "lib/core/index.ts" });
  const code = 'import { one } from "core";\nexport * from "./a";\nconst b = require("./b");\ntype T = import("core").X;\nconst s = "core";\none';
  const { code: out, toSource, fromSource } = rewriteSpecifiers(ts, code, map);
  assert.equal(out, 'import { one } from "./lib/core/index";\nexport * from "./notebooks/a";\nconst b = require("./notebooks/b");\ntype T = import("./lib/core/index").X;\nconst s = "core";\none');
  const end = code.length;
  assert.equal(out.slice(toSource(end - 3)), "one", "a cursor after the rewrites lands on the same text");
  assert.equal(fromSource(toSource(end - 3)), end - 3);
  const insideAlias = out.indexOf("lib/core/index") + 5;
  assert.ok(fromSource(insideAlias) >= code.indexOf('"core"') + 1 && fromSource(insideAlias) <= code.indexOf('"core"') + 5, "inside a rewritten specifier: clamped to it");
});
