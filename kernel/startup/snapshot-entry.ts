/**
 * The compiler process's entry from a snapshot: the script `node --build-snapshot` runs (bundled with all it
 * imports: snapshot.ts). It does what a compiler process started from source (from-source.cjs) does before its
 * first cell: builds tslab's converter and type-checks the ahead-of-time imports. V8 then writes the heap to the
 * blob, and a compiler process started from it (`node --snapshot-blob`) goes on in the function given to
 * setDeserializeMainFunction, serving the kernel at once.
 *
 * A snapshot cannot hold open handles: TypeScript's file watchers are recorded during the build and opened on
 * restore. The files read outside node_modules are listed, with their hashes, for the manifest.
 */
import { existsSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import type * as TS from "@tslab/typescript-for-tslab";
import { PARAMS_ENV, type CompilerParams, type SideOutput } from "../compiler/ipc";
import { send, serve } from "../compiler/server";
import { TslabDriver } from "../compiler/tslab";
import { aheadOfTime, warmImports } from "./ahead-of-time";
import { READS_ENV, textHash } from "./snapshot";
import { tunedTypeScript } from "./typescript";

const log = (message: string) => writeSync(2, `[skipbook kernel] ${message}\n`);
const params = JSON.parse(process.env[PARAMS_ENV] ?? "null") as CompilerParams;
const { ts, cache } = tunedTypeScript(params.root);
const sys = ts.sys;

const readFile = sys.readFile;
const reads: Record<string, string> = {};
sys.readFile = (path, encoding) => {
  const text = readFile(path, encoding);
  if (text !== undefined && !path.split(/[\\/]/).includes("node_modules")) reads[path] = textHash(text);
  return text;
};

interface DeferredWatcher {
  args: Parameters<NonNullable<TS.System["watchFile"]>>;
  real?: TS.FileWatcher;
  closed?: boolean;
}
const watchFile = sys.watchFile!;
const watchers: DeferredWatcher[] = [];
sys.watchFile = (...args) => {
  const watcher: DeferredWatcher = { args };
  watchers.push(watcher);
  return {
    close: () => {
      watcher.closed = true;
      watcher.real?.close();
    },
  };
};

const started = Date.now();
const driver = new TslabDriver(params.root, params.cellDir, ts, cache);
// the driver read its aliases from tsconfig.json without TypeScript's sys
const tsconfig = join(params.root, "tsconfig.json");
if (existsSync(tsconfig)) reads[tsconfig] = textHash(readFileSync(tsconfig, "utf8"));
const warmOutputs: SideOutput[] = [];
const work = aheadOfTime(driver, params.aheadOfTime, (outputs) => warmOutputs.push(...outputs));
for (const stage of work.stages) stage();
if (work.error()) {
  log(`compiler snapshot: the ahead-of-time check failed: ${work.error()}`);
  process.exit(1);
}
const checkedMs = Date.now() - started;
sys.readFile = readFile;
writeFileSync(process.env[READS_ENV]!, JSON.stringify(reads));

v8.startupSnapshot.setDeserializeMainFunction(() => {
  const restored = Date.now();
  process.on("uncaughtException", (error) => {
    log(`compiler process: ${error.stack ?? error}`);
    process.exit(1);
  });
  const now = JSON.parse(process.env[PARAMS_ENV] ?? "null") as CompilerParams;
  if (now.root !== params.root) throw new Error(`this snapshot is of ${params.root}, not ${now.root}`);
  driver.setCellDir(now.cellDir);
  sys.watchFile = watchFile;
  for (const watcher of watchers) if (!watcher.closed) watcher.real = watchFile(...watcher.args);
  // the converter emits each project file once: what the build emitted goes to the kernel before any reply
  send({ type: "sideOutputs", outputs: warmOutputs });
  const server = serve(driver);
  // V8 restores the converter's functions without their optimised code, so the first compile costs some 400 ms
  // more than later ones: when no request has come 300 ms after the restore, a compile of the same imports pays
  // that instead (a request arriving meanwhile waits for it; one that came first warms the code itself)
  setTimeout(() => {
    if (server.requests() > 0) return;
    server.addStage(() => {
      driver.compile(warmImports(params.aheadOfTime), "");
      driver.takeSideOutputs(); // nothing new: the build emitted these modules
    });
  }, 300).unref();
  log(`compiler started from its snapshot (${(process.uptime() * 1000).toFixed(0)} ms, file watchers ${Date.now() - restored} ms): ahead-of-time imports (${params.aheadOfTime.join(", ")}) checked when it was built (${checkedMs} ms)`);
});
