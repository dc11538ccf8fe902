/**
 * Executes one notebook on a fresh kernel, cell by cell, the way `jupyter nbconvert --execute` (nbclient) does,
 * and keeps the result in the execution cache. Failures stop the notebook but still write it, error included.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { writeFileAtomic } from "../files/atomic-write";
import { kernelDirs as defaultKernelDirs, projectRoot } from "../jupyter/kernelspec";
import { serverKernelSource } from "./jupyter-server";
import { localKernelSource, type ExecutionKernel, type KernelLoss, type KernelSource } from "./kernels";
import { cachedNotebookPath, cacheRecordPath, defaultCacheDir, lookup, recordRun, runIdentity, type CacheRecord } from "./cache";
import { joinSource, NotebookFormatError, parseNotebook, readNotebook, serializeNotebook, validateNotebook, type CodeCell, type ErrorOutput, type Notebook } from "./nbformat";
import { OutputAssembler, type IopubMessage } from "./outputs";
import { injectParameters } from "./parameters";
import type { CellError, RunOptions, RunResult, RunSummary } from "./types";

export const DEFAULT_TIMEOUT_SECONDS = 600;
const SKIP_TAG = "skip-execution";
const RAISES_TAG = "raises-exception";

/** Runs `path` (or reuses its cached run); throws NotebookFormatError, ParameterError or unknown-kernel errors before anything runs. */
export async function runNotebook(path: string, options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const source = resolve(path);
  const root = resolve(options.root ?? projectRoot);
  const notebook = readNotebook(source);
  checkCellOptions(notebook, source);
  const kernelName = options.kernelName ?? notebook.metadata.kernelspec?.name ?? "skipbook";
  const kernels = options.server
    ? await serverKernelSource(options.server, kernelName)
    : localKernelSource(kernelName, options.kernelDirs ?? defaultKernelDirs(root));
  const parameters = options.parameters && Object.keys(options.parameters).length ? options.parameters : undefined;
  if (parameters) injectParameters(notebook, parameters, kernels.language, source);
  const cachePath = cachedNotebookPath(source, options.cacheDir ?? defaultCacheDir(root), root, parameters);
  const identity = runIdentity(notebook, kernels.identity, root);
  const key = identity.key;
  const outPath = options.inplace ? source : options.outPath ? resolve(options.outPath) : options.outPathFor ? resolve(options.outPathFor(source)) : undefined;

  const hit = options.force ? undefined : lookup(cachePath, key);
  if (hit) {
    const cached = readCached(cachePath);
    if (cached) {
      // outputs come from the cache; Markdown and metadata from the source, which may have changed since
      copyOutputs(cached, notebook);
      recordRun(notebook, identity, true, parameters);
      const text = serializeNotebook(notebook);
      if (readFileSync(cachePath, "utf8") !== text) writeFileAtomic(cachePath, text);
      if (outPath) writeFileAtomic(outPath, text);
      const summary: RunSummary = { ...hit.summary, path: source, cached: true, cellsExecuted: 0, durationMs: Date.now() - started, executedPath: outPath ?? cachePath, ...(parameters && { parameters }) };
      options.onProgress?.({ type: "cached", path: source });
      options.onProgress?.({ type: "done", path: source, summary });
      return { notebook, summary };
    }
  }

  let run = await execute(notebook, source, kernels, root, options);
  // what a kernel sends is not ours to trust: an executed notebook that breaks the schema is a failed run
  const problems = validateNotebook(notebook);
  if (problems.length && run.ok) {
    run = { ...run, ok: false, failure: "invalid", message: `the kernel's outputs do not form valid nbformat 4.5:\n${problems.slice(0, 8).join("\n")}` };
  }
  const summary: RunSummary = { ...run, path: source, cached: false, durationMs: Date.now() - started, executedPath: outPath ?? cachePath, ...(parameters && { parameters }) };
  recordRun(notebook, identity, summary.ok, parameters);
  const text = serializeNotebook(notebook);
  writeFileAtomic(cachePath, text);
  const record: CacheRecord = { key, ok: summary.ok, source, summary };
  writeFileAtomic(cacheRecordPath(cachePath), JSON.stringify(record, null, 1) + "\n");
  if (outPath) writeFileAtomic(outPath, text);
  options.onProgress?.({ type: "done", path: source, summary });
  return { notebook, summary };
}

type ExecutionOutcome = Pick<RunSummary, "ok" | "cellsExecuted" | "failure" | "message" | "error">;

async function execute(notebook: Notebook, path: string, kernels: KernelSource, root: string, options: RunOptions): Promise<ExecutionOutcome> {
  const codeCells = notebook.cells.filter((c): c is CodeCell => c.cell_type === "code");
  for (const cell of codeCells) {
    cell.outputs = [];
    cell.execution_count = null;
    delete cell.metadata.execution;
  }
  options.onProgress?.({ type: "start", path, cells: codeCells.length });
  let kernel: ExecutionKernel;
  try {
    // a server resolves the notebook's folder against its own root, and starts the kernel in its root when it has no such folder
    const inRoot = relative(root, dirname(path));
    const notebookDir = inRoot.startsWith("..") || isAbsolute(inRoot) ? undefined : inRoot;
    kernel = await kernels.start({ cwd: dirname(path), notebookDir, env: options.env });
  } catch (error) {
    return { ok: false, cellsExecuted: 0, failure: "kernel-start", message: (error as Error).message };
  }
  options.onProgress?.({ type: "kernel", path, pid: kernel.pid, name: kernel.name, ...(kernel.id && { id: kernel.id }) });
  try {
    if (kernel.info.language_info) notebook.metadata.language_info = kernel.info.language_info;
    const assembler = new OutputAssembler();
    let executed = 0;
    for (const [cellIndex, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const tags = cell.metadata.tags ?? [];
      const code = joinSource(cell.source);
      if (tags.includes(SKIP_TAG) || code.trim() === "") continue; // nbclient leaves empty cells unexecuted too
      const codeCell = codeCells.indexOf(cell);
      const cellStarted = Date.now();
      options.onProgress?.({ type: "cell", path, cellIndex, codeCell: codeCell + 1, codeCells: codeCells.length, finished: false, elapsedMs: 0 });
      executed++;
      const outcome = await executeCell(kernel, cell, code, assembler, options);
      const label = cellLabel(cellIndex);
      if (outcome.kind === "timeout") {
        return fail(cell, "timeout", executed, { cellIndex, ename: "CellTimeoutError", evalue: `${label} did not finish within ${outcome.seconds} s${outcome.killed ? "; the kernel did not respond to the interrupt and was killed" : " and was interrupted"}`, traceback: [] });
      }
      if (outcome.kind === "died") {
        const { what, detail, log } = outcome.loss;
        const died = fail(cell, "kernel-died", executed, { cellIndex, ename: "DeadKernelError", evalue: `${what} while executing ${label} (${detail})`, traceback: [] });
        return { ...died, message: log ? `the kernel's last output:\n${log.split("\n").slice(-10).join("\n")}` : undefined };
      }
      const raised = outcome.error;
      if (tags.includes(RAISES_TAG)) {
        if (!raised) {
          return fail(cell, "error", executed, { cellIndex, ename: "MissingExceptionError", evalue: `${label} is tagged ${RAISES_TAG} but raised nothing`, traceback: [] });
        }
      } else if (raised) {
        return { ok: false, cellsExecuted: executed, failure: "error", error: { cellIndex, ...raised } };
      }
      options.onProgress?.({ type: "cell", path, cellIndex, codeCell: codeCell + 1, codeCells: codeCells.length, finished: true, elapsedMs: Date.now() - cellStarted });
    }
    return { ok: true, cellsExecuted: executed };
  } finally {
    await kernel.shutdown();
  }
}

// the runner's own verdicts (timeout, dead kernel, missing exception) also appear in the notebook, where the
// reader looks, after whatever the kernel printed (a KeyboardInterrupt, say)
function fail(cell: CodeCell, failure: RunSummary["failure"], executed: number, error: CellError): ExecutionOutcome {
  cell.outputs.push({ output_type: "error", ename: error.ename, evalue: error.evalue, traceback: [`${error.ename}: ${error.evalue}`] });
  return { ok: false, cellsExecuted: executed, failure, error };
}

type CellOutcome =
  | { kind: "done"; error?: Omit<CellError, "cellIndex"> }
  | { kind: "timeout"; seconds: number; killed: boolean }
  | { kind: "died"; loss: KernelLoss };

async function executeCell(kernel: ExecutionKernel, cell: CodeCell, code: string, assembler: OutputAssembler, options: RunOptions): Promise<CellOutcome> {
  assembler.begin(cell);
  const timing: Record<string, string> = {};
  const onIopub = (message: IopubMessage & { content: any }) => {
    const { msg_type: type, date } = message.header;
    if (type === "status" && date) {
      if (message.content.execution_state === "busy") timing["iopub.status.busy"] = date;
      if (message.content.execution_state === "idle") timing["iopub.status.idle"] = date;
    } else if (type === "execute_input") {
      if (date) timing["iopub.execute_input"] = date;
      if (typeof message.content.execution_count === "number") cell.execution_count = message.content.execution_count;
    } else {
      assembler.handle(cell, message);
    }
  };
  const request = kernel.execute(code, onIopub as never);
  request.catch(() => undefined); // a killed kernel may reject it later; the race below already decided
  const seconds = cell.metadata.timeout ?? options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const died = kernel.lost.then((loss) => ({ kind: "died" as const, loss }));
  const first = await Promise.race([
    request.then((result) => ({ kind: "reply" as const, result })),
    died,
    delay(seconds * 1000).then(() => ({ kind: "timeout" as const })),
  ]);
  if (first.kind === "timeout") {
    // not awaited: a wedged kernel may never answer an interrupt_request; the grace period below decides
    kernel.interrupt().catch(() => undefined);
    const grace = (options.interruptGraceSeconds ?? 3) * 1000;
    const after = await Promise.race([request.then(() => "reply" as const), died.then(() => "died" as const), delay(grace).then(() => "timeout" as const)]);
    if (after !== "reply") await kernel.kill();
    return { kind: "timeout", seconds, killed: after !== "reply" };
  }
  const settled = first;
  if (settled.kind === "died") return { kind: "died", loss: settled.loss };
  const reply = settled.result.reply;
  const content = reply.content ?? {};
  if (typeof content.execution_count === "number") cell.execution_count = content.execution_count;
  if (reply.metadata?.started && typeof reply.metadata.started === "string") timing["shell.execute_reply.started"] = reply.metadata.started;
  if (reply.header?.date) timing["shell.execute_reply"] = reply.header.date;
  cell.metadata.execution = timing; // keys as JupyterLab and nbclient write them (sorted on save)
  if (content.status === "ok") return { kind: "done" };
  // what the reader sees (the error output) names the error best; the reply is the fallback (some kernels print instead)
  const shown = cell.outputs.find((o): o is ErrorOutput => o.output_type === "error");
  return {
    kind: "done",
    error: {
      ename: shown?.ename ?? String(content.ename ?? (content.status === "aborted" ? "Aborted" : "Error")),
      evalue: shown?.evalue ?? String(content.evalue ?? ""),
      traceback: shown?.traceback ?? (Array.isArray(content.traceback) ? content.traceback.map(String) : []),
    },
  };
}

/** "cell 3" (1-based among all cells, as a reader counts them in the notebook). */
export function cellLabel(cellIndex: number): string {
  return `cell ${cellIndex + 1}`;
}

function checkCellOptions(notebook: Notebook, path: string): void {
  notebook.cells.forEach((cell, index) => {
    const timeout = cell.metadata.timeout;
    if (timeout !== undefined && !(typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0)) {
      throw new NotebookFormatError(path, `cell ${index + 1}: metadata.timeout must be a positive number of seconds, got ${JSON.stringify(timeout)}`);
    }
  });
}

function readCached(path: string): Notebook | undefined {
  try {
    return existsSync(path) ? parseNotebook(readFileSync(path, "utf8"), path) : undefined;
  } catch {
    return undefined;
  }
}

function copyOutputs(from: Notebook, to: Notebook): void {
  const cached = from.cells.filter((c): c is CodeCell => c.cell_type === "code");
  const current = to.cells.filter((c): c is CodeCell => c.cell_type === "code");
  current.forEach((cell, i) => {
    const old = cached[i];
    cell.outputs = old?.outputs ?? [];
    cell.execution_count = old?.execution_count ?? null;
    if (old?.metadata.execution) cell.metadata.execution = old.metadata.execution;
    else delete cell.metadata.execution;
  });
  if (from.metadata.language_info) to.metadata.language_info = from.metadata.language_info;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}
