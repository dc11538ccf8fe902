/**
 * The kernel's start-up work: what makes a first cell fast. The design, what each part buys and how it was
 * measured: README.md in this folder. One switch, the environment variable SKIPBOOK_KERNEL_STARTUP, sets how
 * much of it a kernel does:
 *
 * | level         | ahead-of-time work | startup snapshot | tuned TypeScript |
 * | full (default)| yes                | yes              | yes              |
 * | no-snapshot   | yes                | no               | yes              |
 * | lazy          | no                 | no               | yes              |
 * | off           | no                 | no               | no: tslab as it ships, in a process of its own |
 *
 * no-snapshot is what the first kernel after an edit of src/ does; lazy suits tests that start many short
 * kernels; off is what the others are measured against (bench/kernel.bench.ts).
 */
import { join } from "node:path";
import { CompilerProcess } from "../compiler/client";
import type { CompilerParams } from "../compiler/ipc";
import { AHEAD_OF_TIME_MODULES } from "./ahead-of-time";
import { findCompilerSnapshot, startSnapshotBuild } from "./snapshot";

export { AHEAD_OF_TIME_MODULES } from "./ahead-of-time";
export { buildCompilerSnapshot, findCompilerSnapshot, snapshotDir } from "./snapshot";

export const STARTUP_ENV = "SKIPBOOK_KERNEL_STARTUP";
export const STARTUP_LEVELS = ["full", "no-snapshot", "lazy", "off"] as const;
export type StartupLevel = (typeof STARTUP_LEVELS)[number];

/** The level SKIPBOOK_KERNEL_STARTUP asks for (full when unset); throws, naming the levels, on any other value. */
export function startupLevel(env: NodeJS.ProcessEnv = process.env): StartupLevel {
  const value = env[STARTUP_ENV];
  if (value === undefined || value === "") return "full";
  if ((STARTUP_LEVELS as readonly string[]).includes(value)) return value as StartupLevel;
  throw new Error(`${STARTUP_ENV} must be one of ${STARTUP_LEVELS.join(", ")}; got "${value}"`);
}

/**
 * Starts the compiler process for cells in `cellDir` of the project `root`, doing the start-up work of `level`:
 * at full, from the project's snapshot when one is up to date, else from source with a snapshot build started in
 * the background for the kernels after this one.
 * @param modules the ahead-of-time imports (levels full and no-snapshot; tests pass fewer to spare CPU)
 */
export function startCompiler(where: { root: string; cellDir: string }, level: StartupLevel = startupLevel(), modules: string[] = AHEAD_OF_TIME_MODULES): CompilerProcess {
  const params: CompilerParams = { ...where, aheadOfTime: level === "full" || level === "no-snapshot" ? modules : [], tuned: level !== "off" };
  const snapshot = level === "full" ? findCompilerSnapshot(where.root, params.aheadOfTime) : undefined;
  const compiler = new CompilerProcess(params, { snapshot, fromSource: join(__dirname, "from-source.cjs") });
  if (level === "full" && !snapshot && params.aheadOfTime.length > 0) startSnapshotBuild(where.root, params.aheadOfTime);
  return compiler;
}
