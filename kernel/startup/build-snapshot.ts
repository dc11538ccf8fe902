/**
 * `node --import tsx kernel/startup/build-snapshot.ts [root]`: builds the compiler's startup snapshot for a project
 * (the checkout by default) in the foreground, so the first kernel starts from it. Set-up runs this; kernels build
 * one in the background themselves when theirs is missing or out of date (snapshot.ts). Nothing to do at a
 * start-up level other than full.
 */
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { AHEAD_OF_TIME_MODULES, buildCompilerSnapshot, findCompilerSnapshot, startupLevel } from "./index";

const root = resolve(process.argv[2] ?? join(__dirname, "..", ".."));
const started = Date.now();
// quiet when up to date: set-up runs this every time
if (startupLevel() === "full" && !findCompilerSnapshot(root, AHEAD_OF_TIME_MODULES)) {
  buildCompilerSnapshot(root, AHEAD_OF_TIME_MODULES).then(
    (blob) => console.log(`kernel: compiler snapshot built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(statSync(blob).size / 2 ** 20).toFixed(0)} MB)`),
    (error: Error) => {
      console.error(`kernel: compiler snapshot not built (kernels will start from source): ${error.message}`);
      process.exitCode = 1;
    },
  );
}
