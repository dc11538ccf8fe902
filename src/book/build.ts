/**
 * `npm run book`: execute the notebooks with the project's runner (its cache makes unchanged ones free),
 * convert each executed notebook to a chapter, and build the HTML book with VitePress into `[build] build-dir`.
 *
 *   npm run book                 every chapter listed in SUMMARY.md must exist and execute without error
 *   npm run book -- --draft      missing chapters are skipped with a warning (while the book is being written)
 *   npm run book -- --no-execute use executed copies already in the runner's cache (.cache/executed/)
 *   npm run book -- --jobs 2     notebooks executed in parallel
 *   npm run book -- --executed DIR  executed notebooks made elsewhere (`npx skipbook run --out DIR`, CI jobs), each
 *                                checked against its source's code and this project by the runner's run identity
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { executedCopyProblem, readNotebook, runNotebooks, type Notebook, type ProgressEvent } from "../runner";
import { loadBookConfig, type BookConfig } from "./config";
import type { NotebookLike } from "./convert";
import { bundleLivePanels, type LiveBundle } from "./live/bundle";
import { writeSite, type ChapterInput, type PageReport } from "./site";
import { loadSummary, type Summary } from "./summary";

/** This repository: where VitePress, the runner and the theme live, wherever the book being built is. */
const PROJECT_ROOT = join(__dirname, "..", "..");

export interface BuildOptions {
  /** Project root holding book.toml (default: the current directory). */
  root?: string;
  /** book.toml path (default: <root>/book.toml). */
  configFile?: string;
  /** Skip chapters whose file does not exist yet instead of failing. */
  draft?: boolean;
  /** Execute notebooks with the runner (default true); false reads the runner's cache. */
  execute?: boolean;
  /** Executed notebooks supplied by the caller, keyed by chapter path relative to the book's src; nothing is executed. */
  executed?: Map<string, NotebookLike>;
  /** A folder of executed notebooks made elsewhere (`<dir>/<chapter path>` or `<dir>/<file name>`); nothing is executed. */
  executedDir?: string;
  /** The project whose src/, kernel/ and package-lock.json key the runner's runs (default: this repository). */
  projectRoot?: string;
  /** Parallel notebook executions. */
  jobs?: number;
  /** Re-execute notebooks even when cached. */
  force?: boolean;
  /** The runner's cache of executed copies (default: the runner's, .cache/executed). */
  cacheDir?: string;
  /** Where the HTML book goes, overriding book.toml's `[build] build-dir`. */
  outDir?: string;
  /** Where the VitePress project is written (default: .cache/book-site in this repository). */
  stagingDir?: string;
  /** Run `vitepress build` (default true); false stops after writing the VitePress project. */
  render?: boolean;
  log?: (message: string) => void;
}

export interface BuildResult {
  config: BookConfig;
  summary: Summary;
  outDir: string;
  pages: PageReport[];
  warnings: string[];
  /** The live panels' worker bundle, when a page has a panel. */
  live?: LiveBundle;
  timings: { executeMs: number; convertMs: number; liveMs: number; vitepressMs: number; totalMs: number };
}

export class BookBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BookBuildError";
  }
}

function readJson(path: string): NotebookLike {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as NotebookLike;
  } catch (error) {
    throw new BookBuildError(`${path} is not a readable notebook: ${(error as Error).message}`);
  }
}

/** The runner's cached executed copy of `notebookPath`, if there is one newer than the source. */
export function cachedExecutedNotebook(root: string, notebookPath: string): string | undefined {
  const cacheDir = join(root, ".cache", "executed");
  const candidates = [join(cacheDir, relative(root, notebookPath)), join(cacheDir, basename(notebookPath))];
  return candidates.find((c) => existsSync(c) && statSync(c).mtimeMs >= statSync(notebookPath).mtimeMs && !failedRun(c));
}

/** The runner records each run beside its executed copy (`<copy>.run.json`); a failed run is never published. */
function failedRun(executedPath: string): boolean {
  try {
    return (JSON.parse(readFileSync(`${executedPath}.run.json`, "utf8")) as { ok?: boolean }).ok === false;
  } catch {
    return false;
  }
}

/**
 * The executed copy of chapter `path` (source `file`) in `dir`, made elsewhere: at `dir/<path>` or `dir/<file name>`
 * (what `npx skipbook run --out dir` writes). It must record a successful run of the source's code on this project.
 */
function executedElsewhere(root: string, dir: string, path: string, file: string, projectRoot?: string): Notebook {
  const candidates = [join(dir, path), join(dir, basename(path))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new BookBuildError(`no executed copy of ${relative(root, file)} in ${dir} (looked for ${candidates.map((c) => relative(root, c) || c).join(" and ")}); make it with npx skipbook run ${relative(root, file)} --out ${dir}`);
  }
  let executed: Notebook;
  try {
    executed = readNotebook(found);
  } catch (error) {
    throw new BookBuildError(`${found} is not a readable notebook: ${(error as Error).message}`);
  }
  const problem = executedCopyProblem(readNotebook(file), executed, projectRoot);
  if (problem) throw new BookBuildError(`${relative(root, found) || found} cannot stand for ${relative(root, file)}: ${problem}; execute it again with npx skipbook run --out ${dir}`);
  return executed;
}

/** Runs `vitepress build` on the staging folder in its own process (VitePress is ESM; the project is CommonJS). */
function vitepressBuild(root: string, stagingDir: string, log: (m: string) => void): Promise<void> {
  const cli = join(root, "node_modules", "vitepress", "bin", "vitepress.js");
  if (!existsSync(cli)) throw new BookBuildError(`VitePress is not installed (${cli} missing): run npm run setup`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, "build", stagingDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        for (const line of output.split("\n")) if (/warn|error/i.test(line)) log(`vitepress: ${line.trim()}`);
        resolvePromise();
      } else {
        reject(new BookBuildError(`vitepress build failed (exit ${code}):\n${output.trim().split("\n").slice(-30).join("\n")}`));
      }
    });
  });
}

/** Builds the book; throws BookBuildError naming the chapter and cause when a chapter is missing or failed. */
export async function buildBook(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const root = resolve(options.root ?? process.cwd());
  const log = options.log ?? ((m: string) => process.stderr.write(`book: ${m}\n`));
  const loaded = loadBookConfig(options.configFile ?? join(root, "book.toml"));
  const config: BookConfig = options.outDir ? { ...loaded, buildDir: resolve(options.outDir) } : loaded;
  const summary = loadSummary(join(config.src, "SUMMARY.md"));
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log(`warning: ${message}`);
  };

  const chapters: ChapterInput[] = [];
  const notebookPaths = new Map<string, string>(); // chapter path → absolute source path
  for (const entry of summary.entries) {
    if (!entry.path) {
      chapters.push({ entry });
      continue;
    }
    const file = join(config.src, entry.path);
    const supplied = options.executed?.has(entry.path);
    if (!supplied && !existsSync(file)) {
      const where = `${relative(root, file)} (SUMMARY.md line ${entry.line}, "${entry.title}")`;
      if (!options.draft) throw new BookBuildError(`chapter ${where} does not exist; write it, or build with --draft to skip missing chapters`);
      warn(`skipping missing chapter ${where}`);
      chapters.push({ entry: { ...entry, path: undefined } });
      continue;
    }
    if (entry.path.endsWith(".md")) chapters.push({ entry, markdown: readFileSync(file, "utf8") });
    else {
      chapters.push({ entry });
      notebookPaths.set(entry.path, file);
    }
  }

  const executeStarted = Date.now();
  const executed = new Map<string, NotebookLike>(options.executed ?? []);
  if (options.executedDir) {
    for (const [path, file] of notebookPaths) if (!executed.has(path)) executed.set(path, executedElsewhere(root, options.executedDir, path, file, options.projectRoot));
  }
  const toExecute = [...notebookPaths].filter(([path]) => !executed.has(path));
  if (toExecute.length > 0) {
    if (options.execute !== false) {
      log(`executing ${toExecute.length} notebook(s) with the runner (cached ones are reused)`);
      const onProgress = (e: ProgressEvent) => {
        if (e.type === "cached") log(`${relative(root, e.path)}: cached`);
        else if (e.type === "start") log(`${relative(root, e.path)}: executing`);
        else if (e.type === "done" && !e.summary.cached) {
          log(`${relative(root, e.path)}: ${e.summary.ok ? "done" : "FAILED"} in ${(e.summary.durationMs / 1000).toFixed(1)} s`);
        }
      };
      const results = await runNotebooks(toExecute.map(([, file]) => file), { jobs: options.jobs, force: options.force, cacheDir: options.cacheDir, root: options.projectRoot, onProgress });
      const failed = results.filter((r) => !r.summary.ok);
      if (failed.length > 0) {
        const details = failed.map((r) => {
          const e = r.summary.error;
          return `  ${relative(root, r.path)}: ${e ? `cell ${e.cellIndex + 1}: ${e.ename}: ${e.evalue}` : (r.summary.message ?? "failed")}`;
        });
        throw new BookBuildError(`the book publishes no errors, and ${failed.length} notebook(s) failed:\n${details.join("\n")}`);
      }
      for (const [path, file] of toExecute) {
        const result = results.find((r) => resolve(r.path) === resolve(file));
        if (!result) throw new BookBuildError(`the runner returned no result for ${relative(root, file)}`);
        executed.set(path, result.notebook);
      }
    } else {
      for (const [path, file] of toExecute) {
        const cached = cachedExecutedNotebook(root, file);
        if (!cached) throw new BookBuildError(`no executed copy of ${relative(root, file)} in .cache/executed/ (newer than the notebook); execute it with the runner first`);
        executed.set(path, readJson(cached));
      }
    }
  }
  const executeMs = Date.now() - executeStarted;

  const convertStarted = Date.now();
  for (const chapter of chapters) {
    if (chapter.entry.path && executed.has(chapter.entry.path)) chapter.notebook = executed.get(chapter.entry.path);
  }
  // Inside this repository, so the generated theme resolves vitepress and plotly from its node_modules.
  const stagingDir = options.stagingDir ?? join(PROJECT_ROOT, ".cache", "book-site");
  const site = writeSite(config, chapters, stagingDir, { draft: options.draft });
  for (const warning of site.warnings) warn(warning);
  const convertMs = Date.now() - convertStarted;

  // The panels' worker (TensorFlow.js, skiplib's core, the experiments) is served from the site, never a CDN.
  const liveStarted = Date.now();
  let live: LiveBundle | undefined;
  if (site.hasLivePanels) {
    try {
      live = await bundleLivePanels(join(stagingDir, "public", "live"));
    } catch (error) {
      throw new BookBuildError(`bundling the live panels' worker failed: ${(error as Error).message}`);
    }
  }
  const liveMs = Date.now() - liveStarted;

  const vitepressStarted = Date.now();
  if (options.render !== false) await vitepressBuild(PROJECT_ROOT, stagingDir, log);
  const vitepressMs = Date.now() - vitepressStarted;
  return {
    config,
    summary,
    outDir: config.buildDir,
    pages: site.pages,
    warnings,
    live,
    timings: { executeMs, convertMs, liveMs, vitepressMs, totalMs: Date.now() - started },
  };
}

function parseArgs(argv: string[]): BuildOptions {
  const options: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--draft") options.draft = true;
    else if (arg === "--no-execute") options.execute = false;
    else if (arg === "--force") options.force = true;
    else if (arg === "--jobs" || arg === "--config" || arg === "--executed") {
      const value = argv[++i];
      if (value === undefined) throw new BookBuildError(`${arg} needs a value`);
      if (arg === "--config") options.configFile = value;
      else if (arg === "--executed") {
        if (!existsSync(value) || !statSync(value).isDirectory()) throw new BookBuildError(`--executed ${value}: no such folder (it holds executed notebooks, e.g. from npx skipbook run --out DIR)`);
        options.executedDir = resolve(value);
      }
      else {
        const jobs = Number(value);
        if (!Number.isInteger(jobs) || jobs < 1) throw new BookBuildError(`--jobs must be a positive integer, got "${value}"`);
        options.jobs = jobs;
      }
    } else throw new BookBuildError(`unknown option "${arg}"; options: --draft, --no-execute, --force, --jobs N, --config book.toml, --executed DIR`);
  }
  return options;
}

async function main(): Promise<void> {
  try {
    const result = await buildBook(parseArgs(process.argv.slice(2)));
    const { timings } = result;
    const figures = result.pages.reduce((n, p) => n + p.figures, 0);
    process.stderr.write(
      `book: ${result.pages.length} pages, ${figures} interactive figures in ${relative(process.cwd(), result.outDir) || "."}/ ` +
        `(execute ${(timings.executeMs / 1000).toFixed(1)} s, convert ${(timings.convertMs / 1000).toFixed(1)} s, ` +
        (result.live ? `live panels' bundle ${(timings.liveMs / 1000).toFixed(1)} s, ` : "") +
        `vitepress ${(timings.vitepressMs / 1000).toFixed(1)} s)\n` +
        `book: read it with \`npm run book:serve\` (http://127.0.0.1:4173${result.config.base})\n`,
    );
  } catch (error) {
    process.stderr.write(`book: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
