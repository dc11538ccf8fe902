/**
 * The headless notebook runner: `runNotebook`, `runNotebooks` (on local kernels, or on a Jupyter server's), the cache's
 * keys, parameters and the nbformat helpers (see src/runner/cli.ts for the CLI).
 */
export { runNotebook, DEFAULT_TIMEOUT_SECONDS } from "./run";
export { runNotebooks } from "./batch";
export type { BatchResult } from "./batch";
export { readNotebook, parseNotebook, validateNotebook, serializeNotebook, joinSource, NotebookFormatError } from "./nbformat";
export type { Notebook, Cell, CodeCell, MarkdownCell, RawCell, Output } from "./nbformat";
export { cachedNotebookPath, cacheKey, runIdentity, executedCopyProblem } from "./cache";
export type { RunIdentity, RunRecord } from "./cache";
export { parseShard, shardPaths, recordedDurations } from "./shard";
export type { Shard, ShardPlan } from "./shard";
export { JupyterServerError, shutdownServerKernels } from "./jupyter-server";
export type { JupyterServerOptions } from "./jupyter-server";
export { failureReport, stripAnsi } from "./report";
export { injectParameters, declaredParameters, parseParameterValue, describeParameters, ParameterError, PARAMETERS_TAG, INJECTED_TAG } from "./parameters";
export type { Parameters, ParameterValue } from "./parameters";
export type { RunOptions, RunResult, RunSummary, CellError, ProgressEvent } from "./types";
