// Entry of the skipbook kernelspec: `node kernel/launch.cjs <connection_file>`, running kernel/main.ts.
// tsx compiles the kernel's own TypeScript through hooks scoped to the kernel's modules, not installed for the
// whole process with `--import tsx`: Node then starts without tsx's ESM loader thread (about 230 ms), and the
// packages cells import (tfjs-node and its dependencies) load through Node's plain require, as under tslab,
// without tsx's per-file checks and source maps (150-200 ms of a first tfjs cell). Cells' TypeScript is compiled
// by the compiler process and never needed these hooks.
"use strict";
const { register } = require("tsx/cjs/api");
register({ namespace: "skipbook-kernel" }).require("./main.ts", __filename);
