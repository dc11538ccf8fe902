// The compiler process's entry when it does not start from a snapshot (compiler/client.ts spawns it).
// TypeScript (8 MB of JavaScript) loads first, before tsx's require hooks, which would otherwise scan it for ES
// module syntax and read its source map. Tuned, it loads with V8's code cache in <project>/.cache/kernel/
// (written once the ahead-of-time stages are done, so later starts skip compiling the functions start-up runs)
// and the compile cache and light builder in place (typescript.ts). Then tsx loads the kernel's TypeScript
// files, and the compiler serves the kernel while it works ahead. Failures go straight to fd 2 (the kernel's
// stderr).
"use strict";
const { readFileSync, statSync, writeSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");
const { writeFileAtomic } = require("../../src/files/atomic-write.js");

/** @type {import("../compiler/ipc").CompilerParams} */
const params = JSON.parse(process.env.SKIPBOOK_COMPILER_PARAMS);

process.on("uncaughtException", (error) => {
  writeSync(2, `[skipbook kernel] compiler process: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

/** Loads TypeScript into Node's module cache with V8's code cache; `save` writes the cache when there was no usable one. */
function loadTypeScriptCached(cacheDir) {
  const file = require.resolve("@tslab/typescript-for-tslab");
  const { size, mtimeMs } = statSync(file);
  // V8 itself rejects a cache made for other source or flags; the name only keeps one per install
  const cacheFile = join(cacheDir, `typescript-${process.versions.v8}-${size}-${Math.floor(mtimeMs)}.v8cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  require.cache[file] = mod;
  if (cachedData && !script.cachedDataRejected) return { cached: true, save: () => {} };
  const save = () => {
    try {
      writeFileAtomic(cacheFile, script.createCachedData());
    } catch {
      // the next start compiles TypeScript again, nothing worse
    }
  };
  return { cached: false, save };
}

const started = Date.now();
const loaded = params.tuned ? loadTypeScriptCached(join(params.root, ".cache", "kernel")) : (require("@tslab/typescript-for-tslab"), { cached: false, save: () => {} });
const typescriptMs = Date.now() - started;
require("tsx/cjs/api").register();
const { TslabDriver } = require("../compiler/tslab.ts");
const { send, serve } = require("../compiler/server.ts");
const { aheadOfTime } = require("./ahead-of-time.ts");
const typescript = params.tuned ? require("./typescript.ts").tunedTypeScript(params.root) : { ts: require("@tslab/typescript-for-tslab"), cache: undefined };
const driver = new TslabDriver(params.root, params.cellDir, typescript.ts, typescript.cache);
const howLoaded = `TypeScript loaded in ${typescriptMs} ms (${loaded.cached ? "V8 code cache" : "compiled"}), `;
const work = aheadOfTime(driver, params.aheadOfTime, (outputs) => outputs.length && send({ type: "sideOutputs", outputs }), howLoaded);
serve(driver, work.stages, loaded.save);
