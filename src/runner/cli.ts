/**
 * `npx skipbook run [notebooks...] [--out DIR | --inplace] [--timeout SECONDS] [--jobs N] [--force] [--kernel NAME] [-p NAME VALUE]...
 *   [--server URL [--token T]] [--shard K/N]`
 * Executes notebooks headlessly on their kernel; exit code 0 when every notebook ran clean, 1 otherwise, 2 for usage.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { killAllKernels } from "../jupyter/launcher";
import { projectRoot } from "../jupyter/kernelspec";
import { runNotebooks } from "./batch";
import { shutdownServerKernels } from "./jupyter-server";
import { describeParameters, parseParameterValue } from "./parameters";
import { failureReport } from "./report";
import { parseShard, recordedDurations, shardPaths, type Shard } from "./shard";
import { DEFAULT_TIMEOUT_SECONDS } from "./run";
import type { ProgressEvent, RunOptions } from "./types";

const USAGE = `usage: skipbook run [notebooks or folders...] [options]
  (no notebooks: every notebooks/*.ipynb)
  --out DIR         also write executed notebooks into DIR
  --inplace         write executed notebooks over their sources (atomically)
  --timeout SEC     per-cell limit, default ${DEFAULT_TIMEOUT_SECONDS}; a cell's metadata.timeout overrides it
  --jobs N          notebooks run at once, one kernel each (default: number of cores)
  --force           execute even when the cache holds a run with the same code and dependencies
  --kernel NAME     kernelspec to use (default: the notebook's, else skipbook)
  --cache-dir DIR   where executed copies are cached (default .cache/executed/)
  --server URL      run the kernels on this Jupyter Server / Kernel Gateway / Enterprise Gateway
                    (default $SKIPBOOK_SERVER); --kernel names one of its kernelspecs
  --token T         the server's token (default $SKIPBOOK_TOKEN)
  --shard K/N       run only this job's share of the notebooks (K of N; balanced by the durations the cache
                    recorded when it has one for every notebook, else dealt out by name)
  -p NAME VALUE     set a parameter (VALUE is JSON) in a cell tagged injected-parameters, inserted after the
                    cell tagged parameters (papermill's convention); repeat for more; cached apart from default runs`;

class UsageError extends Error {}

interface CliOptions extends RunOptions {
  jobs: number;
  shard?: Shard;
  outDir?: string;
  paths: string[];
}

function parseArgs(args: string[]): CliOptions {
  const options: CliOptions = { jobs: availableParallelism(), paths: [] };
  let server: string | undefined;
  let token: string | undefined;
  const value = (flag: string, i: number) => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const positive = (flag: string, text: string, integer: boolean) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new UsageError(`${flag} must be a positive ${integer ? "integer" : "number"}, got "${text}"`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--out") options.outDir = resolve(value(arg, i++));
    else if (arg === "--inplace") options.inplace = true;
    else if (arg === "--timeout") options.timeoutSeconds = positive(arg, value(arg, i++), false);
    else if (arg === "--jobs" || arg === "-j") options.jobs = positive(arg, value(arg, i++), true);
    else if (arg === "--force") options.force = true;
    else if (arg === "--kernel") options.kernelName = value(arg, i++);
    else if (arg === "--cache-dir") options.cacheDir = resolve(value(arg, i++));
    else if (arg === "--server") server = value(arg, i++);
    else if (arg === "--token") token = value(arg, i++);
    else if (arg === "--shard") {
      try {
        options.shard = parseShard(value(arg, i++));
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    else if (arg === "-p" || arg === "--parameter") {
      const name = value(arg, i++);
      const text = args[++i];
      if (text === undefined) throw new UsageError(`${arg} ${name} needs a value (JSON): ${arg} ${name} VALUE`);
      if (options.parameters && name in options.parameters) throw new UsageError(`${arg} ${name} is given twice`);
      try {
        options.parameters = { ...options.parameters, [name]: parseParameterValue(name, text) };
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
    else options.paths.push(arg);
  }
  if (options.outDir && options.inplace) throw new UsageError("--out and --inplace exclude each other");
  server ??= process.env.SKIPBOOK_SERVER || undefined;
  token ??= process.env.SKIPBOOK_TOKEN || undefined;
  if (token && !server) throw new UsageError("--token (or SKIPBOOK_TOKEN) is for a server: give --server URL (or SKIPBOOK_SERVER) too");
  if (server) {
    if (!/^https?:\/\/[^/]/.test(server)) throw new UsageError(`--server must be an http(s) URL such as http://127.0.0.1:8888/, got "${server}"`);
    options.server = { url: server, ...(token && { token }) };
  }
  return options;
}

function expand(paths: string[]): string[] {
  const given = paths.length ? paths : [join(projectRoot, "notebooks")];
  const files: string[] = [];
  for (const path of given) {
    if (!existsSync(path)) throw new UsageError(`${path}: no such notebook or folder`);
    if (statSync(path).isDirectory()) {
      files.push(...readdirSync(path).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(path, f)));
    } else files.push(path);
  }
  if (!files.length) throw new UsageError(`no notebooks found in ${given.join(", ")}`);
  return files.map((f) => resolve(f));
}

/** Progress on stderr: a live line on a terminal, one line per finished notebook otherwise. */
function progressReporter(total: number, tty: boolean) {
  const active = new Map<string, { state: string; since: number }>();
  const started = Date.now();
  let done = 0;
  const name = (path: string) => relative(process.cwd(), path) || path;
  const redraw = () => {
    if (!tty) return;
    const status = [...active].map(([path, { state, since }]) => `${basename(path)} ${state} ${((Date.now() - since) / 1000).toFixed(0)} s`).join(" · ");
    const line = `[${done}/${total}] ${((Date.now() - started) / 1000).toFixed(1)} s ${status}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}`);
  };
  const timer = tty ? setInterval(redraw, 500) : undefined;
  timer?.unref();
  return {
    event(event: ProgressEvent) {
      if (event.type === "start") active.set(event.path, { state: `starting kernel (${event.cells} code cells)`, since: Date.now() });
      else if (event.type === "cell" && !event.finished) active.set(event.path, { state: `cell ${event.codeCell}/${event.codeCells}`, since: Date.now() });
      else if (event.type === "done") {
        active.delete(event.path);
        done++;
        const s = event.summary;
        const verdict = s.ok ? (s.cached ? "cached" : "ok    ") : "FAILED";
        const detail = s.cached ? "" : ` ${s.cellsExecuted} cells`;
        const parameters = s.parameters ? ` with ${describeParameters(s.parameters)}` : "";
        if (tty) process.stderr.write("\r\x1b[K");
        process.stderr.write(`${verdict} ${name(event.path)}${parameters} (${(s.durationMs / 1000).toFixed(1)} s${detail})\n`);
      }
      redraw();
    },
    stop() {
      if (timer) clearInterval(timer);
      if (tty) process.stderr.write("\r\x1b[K");
    },
  };
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command !== "run") {
    process.stderr.write(`skipbook: unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  let options: CliOptions;
  let paths: string[];
  try {
    options = parseArgs(rest);
    paths = expand(options.paths);
    if (options.shard) {
      const plan = shardPaths(paths, options.shard, recordedDurations(paths, options.cacheDir));
      const how = plan.by === "durations" ? "balanced by the durations the cache recorded" : "dealt out by name";
      process.stderr.write(`shard ${options.shard.index}/${options.shard.count}: ${plan.paths.length} of ${paths.length} notebooks, ${how}\n`);
      if (plan.paths.length === 0) return 0;
      paths = plan.paths;
    }
    if (options.outDir) {
      const names = paths.map((p) => basename(p));
      const clash = names.find((n, i) => names.indexOf(n) !== i);
      if (clash) throw new UsageError(`--out ${options.outDir}: two notebooks are named ${clash}`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`skipbook run: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const onSignal = async (signal: NodeJS.Signals) => {
    killAllKernels();
    await shutdownServerKernels();
    process.stderr.write(`\nskipbook run: ${signal}, kernels stopped\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tty = Boolean(process.stderr.isTTY);
  const progress = progressReporter(paths.length, tty);
  const outDir = options.outDir;
  // --out names each notebook's own output file, so the batch runs notebook by notebook through runNotebooks' pool
  const results = await runNotebooks(paths, {
    ...options,
    outPath: undefined,
    onProgress: (e) => progress.event(e),
    ...(outDir ? { outPathFor: (p: string) => join(outDir, basename(p)) } : {}),
  });
  progress.stop();
  const failed = results.filter((r) => !r.summary.ok);
  for (const result of failed) process.stderr.write(`\n${failureReport(result.summary, result.notebook, { color: tty })}`);
  const cached = results.filter((r) => r.summary.cached).length;
  process.stderr.write(
    `\n${results.length - failed.length}/${results.length} notebooks ok` +
      `${cached ? ` (${cached} from the cache)` : ""}${failed.length ? `, ${failed.length} failed` : ""}\n`,
  );
  return failed.length ? 1 : 0;
}
