/** The runner's public types: options, progress events and the per-notebook summary (the src/runner contract). */
import type { JupyterServerOptions } from "./jupyter-server";
import type { Notebook } from "./nbformat";
import type { Parameters } from "./parameters";

export interface CellError {
  /** 0-based index into notebook.cells */
  cellIndex: number;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface RunSummary {
  path: string;
  ok: boolean;
  cached: boolean;
  cellsExecuted: number;
  durationMs: number;
  /** where the executed copy was written (the cache, or --out / --inplace) */
  executedPath?: string;
  /** why it failed: an error in a cell, a timeout, a dead kernel, or a refused notebook */
  failure?: "error" | "timeout" | "kernel-died" | "invalid" | "kernel-start";
  message?: string;
  error?: CellError;
  /** the parameters injected after the notebook's `parameters` cell, when any were given */
  parameters?: Parameters;
}

export type ProgressEvent =
  | { type: "start"; path: string; cells: number }
  | { type: "cached"; path: string }
  /** pid is -1 for a kernel on a Jupyter server, which names it by `id` instead */
  | { type: "kernel"; path: string; pid: number; name: string; id?: string }
  | { type: "cell"; path: string; cellIndex: number; codeCell: number; codeCells: number; finished: boolean; elapsedMs: number }
  | { type: "done"; path: string; summary: RunSummary };

export interface RunOptions {
  /** per-cell limit in seconds (default 600); a cell's `metadata.timeout` overrides it */
  timeoutSeconds?: number;
  /** kernelspec name; default the notebook's metadata.kernelspec.name, else "skipbook" */
  kernelName?: string;
  /**
   * papermill-style parameters (JSON values): a cell tagged `injected-parameters` that sets them is inserted after
   * the cell tagged `parameters`; such a run is cached apart from the notebook's default run
   */
  parameters?: Parameters;
  /** re-run even when the cache holds a successful run with the same inputs */
  force?: boolean;
  /** where executed copies are kept (default <root>/.cache/executed) */
  cacheDir?: string;
  /** also write the executed notebook here (a file path); `inplace` writes it over the source */
  outPath?: string;
  /** for batches: where each notebook's executed copy goes besides the cache (e.g. `--out DIR`) */
  outPathFor?: (sourcePath: string) => string;
  inplace?: boolean;
  /** the project whose src/, kernel/ and package-lock.json key the cache (default: this repository) */
  root?: string;
  /**
   * run on a Jupyter Server, Kernel Gateway or Enterprise Gateway instead of starting kernels here; the kernelspec
   * is the server's (and keys the cache)
   */
  server?: JupyterServerOptions;
  /** kernelspec search dirs (`.../kernels` folders; default kernelDirs()) */
  kernelDirs?: string[];
  /** extra environment variables for the kernel */
  env?: Record<string, string>;
  /** seconds to wait for an interrupted cell before killing the kernel (default 3) */
  interruptGraceSeconds?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface RunResult {
  notebook: Notebook;
  summary: RunSummary;
}
