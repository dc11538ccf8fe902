/**
 * skiplib's core builds for a browser: bundling src/skiplib/browser/index.ts (the core plus the browser backend) with
 * the book's seams swapped reaches no `node:` import and no Node built-in module, and none of the Node-only parts
 * (the native backend, the notebook/terminal progress bar, Fashion-MNIST from disk, the trained-weights cache).
 */
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import { build, type Plugin } from "esbuild";
import { browserSeams } from "../../src/book/live/bundle";

const ROOT = resolve(__dirname, "..", "..");
const BUILTINS = new Set(builtinModules);

interface BrowserBuild {
  /** "importer → module" for every import of a Node built-in from the project's own source. */
  nodeImports: string[];
  /** Source files in the bundle, relative to the project. */
  inputs: string[];
}

/** Bundles `entry` as the live panels' worker is bundled, recording Node built-ins instead of failing on them. */
async function browserBuild(entry: string): Promise<BrowserBuild> {
  const nodeImports: string[] = [];
  const recordNodeImports: Plugin = {
    name: "record-node-imports",
    setup(builder) {
      builder.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, "").split("/")[0];
        // packages' guarded requires are left to esbuild, which maps them by their "browser" field or fails the build
        if (args.importer.includes("/node_modules/")) return undefined;
        if (!args.path.startsWith("node:") && !BUILTINS.has(bare)) return undefined;
        nodeImports.push(`${relative(ROOT, args.importer)} → ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    metafile: true,
    logLevel: "silent",
    plugins: [browserSeams, recordNodeImports],
  });
  return { nodeImports, inputs: Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(p))) };
}

describe("skiplib's browser core", () => {
  test("bundles for a browser with no node: import and none of the Node-only parts", async () => {
    const { nodeImports, inputs } = await browserBuild(join(ROOT, "src", "skiplib", "browser", "index.ts"));
    assert.deepEqual(nodeImports, [], "Node built-ins reached from skiplib's browser core");
    const skiplib = inputs.filter((p) => p.startsWith("src/"));
    assert.ok(skiplib.includes("src/skiplib/core.ts") && skiplib.includes("src/skiplib/browser/backend.ts"), skiplib.join("\n"));
    assert.ok(skiplib.includes("src/skiplib/models/index.ts") || skiplib.some((p) => p.startsWith("src/skiplib/models/")), "models are in the core");
    for (const nodeOnly of ["src/skiplib/backend.ts", "src/skiplib/progress.ts", "src/skiplib/data/fashion-mnist.ts", "src/skiplib/experiments/trained-cache.ts", "src/skiplib/plot/show.ts", "src/display"]) {
      assert.ok(!skiplib.some((p) => p.startsWith(nodeOnly)), `${nodeOnly} is Node-only but is in the browser bundle`);
    }
    assert.ok(!skiplib.some((p) => p.includes("native-kernels")), "the native backend's kernels are in the browser bundle");
    assert.ok(!inputs.some((p) => p.includes("tfjs-node")), "tfjs-node is in the browser bundle");
  });

  test("the check sees a node: import and a Node-only module (it can fail)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "browser-core-"));
    try {
      const entry = join(dir, "entry.ts");
      writeFileSync(entry, `import { readFileSync } from "node:fs";\nimport { join } from "path";\nexport const f = [readFileSync, join];\n`);
      const { nodeImports } = await browserBuild(entry);
      assert.equal(nodeImports.length, 2, nodeImports.join("\n"));
      assert.match(nodeImports[0], /entry\.ts → node:fs/);
      // without the seams, the core would pull in the native backend
      const index = await browserBuild(join(ROOT, "src", "skiplib", "index.ts"));
      assert.ok(index.nodeImports.length > 0, "skiplib's Node entry has Node imports");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
