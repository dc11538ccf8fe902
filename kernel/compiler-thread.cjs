// Entry of the compiler thread (compiler.ts). TypeScript (8 MB of JavaScript) is loaded first, before tsx's
// require hooks, which would otherwise scan it for ES module syntax and read its source map; then tsx loads the
// kernel's TypeScript files. The main thread may be blocked waiting for this one: failures go straight to fd 2.
"use strict";
const { writeSync } = require("node:fs");
const { workerData } = require("node:worker_threads");
process.on("uncaughtException", (error) => {
  writeSync(2, `[skipbook kernel] compiler thread: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
require("@tslab/typescript-for-tslab");
require("tsx/cjs/api").register();
require("./compiler.ts").serveCompiler(workerData);
