/**
 * Entry point: `node --import tsx kernel/main.ts <connection_file>` (the `skipbook` kernelspec's argv).
 * Exits with code 2 and one clear line on stderr when the connection file is missing or bad or a port is taken.
 *
 * The compiler process is started first, before the rest of the kernel loads (a few hundred ms of modules):
 * its restore from the snapshot, or TypeScript's start, is the longest thing a first cell waits for.
 */
import { resolve } from "node:path";
import { readConnectionFile } from "../src/jupyter/connection";
import { AHEAD_OF_TIME_MODULES, findProjectRoot } from "./compiler";
import { startCompiler } from "./compiler-snapshot";

const USAGE = "usage: skipbook-kernel <connection_file>";

function fail(message: string): never {
  process.stderr.write(`skipbook kernel: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) fail(USAGE);
  let connection;
  try {
    connection = readConnectionFile(resolve(file));
  } catch (error) {
    fail((error as Error).message);
  }
  const cellDir = process.cwd();
  // cells compile under the project they belong to; outside any project, under the kernel's own checkout
  const root = findProjectRoot(cellDir) ?? resolve(__dirname, "..");
  const warmModules = process.env.SKIPBOOK_KERNEL_WARM === "0" ? [] : AHEAD_OF_TIME_MODULES;
  const compiler = startCompiler({ root, cellDir, warmModules }, { snapshots: true });
  const { Kernel } = require("./kernel") as typeof import("./kernel");
  const kernel = new Kernel({ connection, root, cellDir, warmModules, compiler });
  kernel.whenShutdown(() => process.exit(0));
  // however the process ends (a cell's `process.exit(3)` included), the sockets close first so it exits with its code
  process.on("exit", () => kernel.closeNow());
  try {
    await kernel.ready;
  } catch (error) {
    fail((error as Error).message);
  }
  process.on("uncaughtException", (error) => process.stderr.write(`[skipbook kernel] uncaught exception (kernel continues): ${error.stack ?? error}\n`));
  process.on("unhandledRejection", (reason) => process.stderr.write(`[skipbook kernel] unhandled rejection (kernel continues): ${(reason as Error)?.stack ?? reason}\n`));
}

void main();
