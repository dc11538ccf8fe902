/**
 * The execution cache: an executed copy is reused while nothing it depends on changed — the notebook's code cells
 * (and the tags/timeouts that change how they run), the kernel (its kernelspec and, for ours, the kernel/ tree),
 * the library (`src/`) and package-lock.json. Only successful runs are reused.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { projectRoot, type Kernelspec } from "../jupyter/kernelspec";
import { joinSource, type Notebook } from "./nbformat";
import type { RemoteKernelspec } from "./kernels";
import { parametersHash, type Parameters } from "./parameters";
import type { RunSummary } from "./types";

export function defaultCacheDir(root = projectRoot): string {
  return join(root, ".cache", "executed");
}

/** What is recorded beside each cached executed notebook. */
export interface CacheRecord {
  key: string;
  ok: boolean;
  source: string;
  summary: RunSummary;
}

/**
 * The cached copy's location: `<cacheDir>/<path relative to the repo>`; notebooks outside it go under
 * `external/<hash>/`. A run with parameters goes under `with-parameters/<hash of the parameters>/`, so it never
 * replaces the default run's copy, which is the one the book publishes.
 */
export function cachedNotebookPath(notebookPath: string, cacheDir = defaultCacheDir(), root = projectRoot, parameters?: Parameters): string {
  const abs = resolve(notebookPath);
  const base = parameters && Object.keys(parameters).length ? join(cacheDir, "with-parameters", parametersHash(parameters)) : cacheDir;
  const rel = relative(root, abs);
  if (rel && !rel.startsWith("..") && !isAbsolute(rel)) return join(base, rel);
  const dirHash = createHash("sha256").update(dirname(abs)).digest("hex").slice(0, 12);
  return join(base, "external", dirHash, basename(abs));
}

export function cacheRecordPath(executedPath: string): string {
  return `${executedPath}.run.json`;
}

/**
 * What a run depends on, hashed in three parts so that a mismatch can say which one changed. `key` covers all three;
 * paths of this checkout in a kernelspec are written relative to it, so copies of the project elsewhere (CI jobs)
 * agree on the key.
 */
export interface RunIdentity {
  key: string;
  /** the code cells, with the tags and timeouts that change how they run; injected parameters are code cells too */
  code: string;
  /** the kernelspec: the local one's files, or the Jupyter server's description of it */
  kernel: string;
  /** the project the kernel runs: src/, kernel/ and package-lock.json */
  project: string;
}

/** The identity of running `notebook` on `kernel` in the project at `root`. */
export function runIdentity(notebook: Notebook, kernel: Kernelspec | RemoteKernelspec, root = projectRoot): RunIdentity {
  const code = createHash("sha256");
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    const { tags = [], timeout } = cell.metadata;
    code.update(JSON.stringify([joinSource(cell.source), [...tags].sort(), timeout ?? null]));
    code.update("\0");
  }
  const project = createHash("sha256");
  for (const dir of ["src", "kernel"]) hashTree(project, join(root, dir), root);
  const lock = join(root, "package-lock.json");
  if (existsSync(lock)) project.update(readFileSync(lock));
  const parts = { code: code.digest("hex"), kernel: kernelHash(kernel, root), project: project.digest("hex") };
  return { key: combinedKey(parts), ...parts };
}

/**
 * What the executed notebook records of its run, in `metadata.skipbook.run` (as papermill records its run in
 * `metadata.papermill`): the identity's hashes and whether the run succeeded, so that a copy made elsewhere (a CI job,
 * `--out DIR`) can be checked against the sources (`executedCopyProblem`).
 */
export interface RunRecord extends RunIdentity {
  ok: boolean;
  parameters?: Parameters;
}

/** Writes the run's record into the executed notebook's metadata, keeping what else `metadata.skipbook` holds. */
export function recordRun(notebook: Notebook, identity: RunIdentity, ok: boolean, parameters?: Parameters): void {
  const run: RunRecord = { ...identity, ok, ...(parameters && { parameters }) };
  const skipbook = notebook.metadata.skipbook;
  notebook.metadata.skipbook = { ...(skipbook && typeof skipbook === "object" ? skipbook : {}), run };
}

/**
 * Why `executed` (a copy made elsewhere) cannot stand for running `source` in the project at `root`, or undefined
 * when it can: it must record a successful run of the same code cells on the same project (src/, kernel/,
 * package-lock.json). Its kernel may be another machine's (a GPU node's, a CI job's).
 */
export function executedCopyProblem(source: Notebook, executed: Notebook, root = projectRoot): string | undefined {
  const run = (executed.metadata.skipbook as { run?: Partial<RunRecord> } | undefined)?.run;
  if (!run?.key || !run.code || !run.kernel || !run.project) {
    return "it records no run (metadata.skipbook.run): it was not executed by `npx skipbook run`";
  }
  if (!run.ok) return "it records a failed run";
  const expected = runIdentity(source, { name: "", server: "", spec: {} }, root);
  if (run.code !== expected.code) {
    const theirs = executed.cells.filter((c) => c.cell_type === "code");
    const ours = source.cells.filter((c) => c.cell_type === "code");
    const differs = ours.findIndex((cell, i) => joinSource(cell.source) !== joinSource(theirs[i]?.source ?? ""));
    const where = differs >= 0 ? `code cell ${differs + 1} differs` : ours.length !== theirs.length ? `${theirs.length} code cells instead of ${ours.length}` : "a code cell's tags or timeout differ";
    return `it was executed from other code (${where}${run.parameters ? `; it ran with parameters ${JSON.stringify(run.parameters)}` : ""})`;
  }
  if (run.project !== expected.project) return "it was executed with other src/, kernel/ or package-lock.json than this copy of the project";
  if (combinedKey({ code: run.code, kernel: run.kernel, project: run.project }) !== run.key) return "its recorded run key does not match its parts (the record was edited)";
  return undefined;
}

/** The cache key of running `notebook` on `kernel`. */
export function cacheKey(notebook: Notebook, kernel: Kernelspec | RemoteKernelspec, root = projectRoot): string {
  return runIdentity(notebook, kernel, root).key;
}

function combinedKey(parts: Omit<RunIdentity, "key">): string {
  return createHash("sha256").update(`skipbook-runner-cache-v2\0${parts.code}\0${parts.kernel}\0${parts.project}`).digest("hex");
}

function kernelHash(kernel: Kernelspec | RemoteKernelspec, root: string): string {
  const hash = createHash("sha256").update(`kernel\0${kernel.name}\0`);
  if ("dir" in kernel) {
    // kernel.json holds this checkout's paths and the Node that set it up: the project's paths are written relative
    // to it and that Node by its version, which is what matters to a run
    const file = join(kernel.dir, "kernel.json");
    const text = existsSync(file) ? readFileSync(file, "utf8") : JSON.stringify(kernel.spec);
    hash.update(text.replaceAll(process.execPath, `node ${process.version}`).replaceAll(root, "<project>"));
    hashTree(hash, kernel.dir, kernel.dir, new Set(["kernel.json"]));
  } else {
    hash.update(`server\0${JSON.stringify(kernel.spec)}`);
  }
  return hash.digest("hex");
}

// files hashed by relative path and content, in a fixed order, so a rename or an edit changes the key
function hashTree(hash: ReturnType<typeof createHash>, dir: string, base: string, skip = new Set<string>()): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".") || (dir === base && skip.has(entry.name))) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, path, base);
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) {
      hash.update(`${relative(base, path)}\0`);
      hash.update(readFileSync(path));
      hash.update("\0");
    }
  }
}

/** The cached record for `executedPath` when it matches `key` and the run succeeded; undefined otherwise. */
export function lookup(executedPath: string, key: string): CacheRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(cacheRecordPath(executedPath), "utf8")) as CacheRecord;
    if (record.key === key && record.ok && existsSync(executedPath)) return record;
  } catch {
    // no record, or a damaged one: run again
  }
  return undefined;
}
