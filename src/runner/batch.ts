/** Runs several notebooks, up to `jobs` at once (one kernel each); a refused notebook fails alone. */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { NotebookFormatError, type Notebook } from "./nbformat";
import { ParameterError } from "./parameters";
import { runNotebook } from "./run";
import type { RunOptions, RunSummary } from "./types";

export interface BatchResult {
  path: string;
  /** the executed copy on disk (the cache, or --out / --inplace); "" when the notebook was refused */
  executedPath: string;
  /** the executed notebook; an empty notebook when it was refused before running (summary.ok is false then) */
  notebook: Notebook;
  summary: RunSummary;
}

/** Runs `paths` with `jobs` kernels at a time (default: number of cores), results in the order given. */
export async function runNotebooks(paths: string[], options: RunOptions & { jobs?: number } = {}): Promise<BatchResult[]> {
  const jobs = Math.max(1, Math.floor(options.jobs ?? availableParallelism()));
  const results: BatchResult[] = new Array(paths.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const index = next++;
      const path = resolve(paths[index]);
      const started = Date.now();
      try {
        const { notebook, summary } = await runNotebook(path, options);
        results[index] = { path, executedPath: summary.executedPath ?? "", notebook, summary };
      } catch (error) {
        const refused = error instanceof NotebookFormatError || error instanceof ParameterError;
        const failure = refused ? "invalid" : "kernel-start";
        const message = refused ? (error as Error).message : `${path}: ${(error as Error).message}`;
        const summary: RunSummary = { path, ok: false, cached: false, cellsExecuted: 0, durationMs: Date.now() - started, failure, message, ...(options.parameters && { parameters: options.parameters }) };
        options.onProgress?.({ type: "done", path, summary });
        results[index] = { path, executedPath: "", notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }, summary };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, paths.length) }, worker));
  return results;
}
