/**
 * The kernel's entry, run by launch.cjs (the `skipbook` kernelspec's argv: `node kernel/launch.cjs <connection_file>`).
 * Exits with code 2 and one clear line on stderr when the connection file is missing or bad, a port is taken, or
 * SKIPBOOK_KERNEL_STARTUP names no start-up level.
 *
 * The compiler process is started first, before the rest of the kernel loads (a few hundred ms of modules):
 * its restore from the snapshot, or TypeScript's start, is the longest thing a first cell waits for.
 */
import { resolve } from "node:path";
import { readConnectionFile } from "../src/jupyter/connection";
import { findProjectRoot } from "./compiler/specifiers";
import { startCompiler, startupLevel } from "./startup";

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
  let level;
  try {
    level = startupLevel();
  } catch (error) {
    fail((error as Error).message);
  }
  const compiler = startCompiler({ root, cellDir }, level);
  const { Kernel } = require("./kernel") as typeof import("./kernel");
  const kernel = new Kernel({ connection, compiler });
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
