// Entry of the compiler process (compiler.ts) when no startup snapshot matches the project. TypeScript (8 MB of
// JavaScript) is loaded first, before tsx's require hooks, which would otherwise scan it for ES module syntax and
// read its source map, and from V8's code cache in <project>/.cache/kernel/ (written once after a warm-up, so later starts skip compiling the functions
// that start-up runs); then tsx loads the kernel's TypeScript files. Failures go straight to fd 2 (the kernel's
// stderr).
"use strict";
const { readFileSync, statSync, writeSync } = require("node:fs");
const Module = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");
const { writeFileAtomic } = require("../src/files/atomic-write.js");
const params = JSON.parse(process.env.SKIPBOOK_COMPILER_PARAMS);

process.on("uncaughtException", (error) => {
  writeSync(2, `[skipbook kernel] compiler process: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

/** Loads TypeScript into Node's module cache; `save` writes its code cache when there was no usable one. */
function loadTypeScript(cacheDir) {
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
const loaded = process.env.SKIPBOOK_KERNEL_CACHE === "0" ? (require("@tslab/typescript-for-tslab"), { cached: false, save: () => {} }) : loadTypeScript(join(params.root, ".cache", "kernel"));
const typescriptMs = Date.now() - started;
require("tsx/cjs/api").register();
require("./compiler.ts").serveFromSource(params, { typescriptMs, codeCached: loaded.cached, whenWarm: loaded.save });
