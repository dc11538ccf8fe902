/**
 * What the kernel (client.ts) and its compiler process (server.ts) say to each other over Node's IPC channel.
 * The kernel sends requests, each answered by one reply, in order; the compiler also sends, unasked, the project
 * files each compile emitted (side outputs), which the kernel keeps and loads from memory when a cell requires
 * them.
 */
import type { Diagnostic } from "tslab/dist/converter";

/** The environment variable that carries CompilerParams to the compiler process (a snapshot takes no script arguments). */
export const PARAMS_ENV = "SKIPBOOK_COMPILER_PARAMS";

export interface CompilerParams {
  /** the compilation root (the project folder holding package.json) */
  root: string;
  /** the folder cells live in (the notebook's), from which their relative imports are meant */
  cellDir: string;
  /** modules type-checked before the first cell (and loaded by the kernel); empty: none (startup/ahead-of-time.ts) */
  aheadOfTime: string[];
  /** TypeScript as the kernel tunes it (startup/typescript.ts: compile cache, light builder); false: as tslab ships it */
  tuned: boolean;
}

/** A compiled project file, as tslab emits it (CommonJS), for the kernel to load from memory. */
export interface SideOutput {
  path: string;
  data: string;
}

export type Compiled =
  | { kind: "module"; diagnostics: Diagnostic[] }
  | { kind: "cell"; diagnostics: Diagnostic[]; output?: string; declOutput?: string; hasToplevelAwait?: boolean; lastExpressionVar?: string };

export type Request =
  | { op: "compile"; code: string; prevDecl: string }
  | { op: "complete"; code: string; cursor: number; prevDecl: string }
  | { op: "inspect"; code: string; cursor: number; prevDecl: string }
  | { op: "isComplete"; code: string }
  | { op: "cacheStats" }
  | { op: "heapAfterGc" };

export interface Envelope {
  id: number;
  request: Request;
}

export type FromCompiler = { type: "reply"; id: number; result?: unknown; error?: string } | { type: "sideOutputs"; outputs: SideOutput[] };
