/**
 * The runner against the reference client, same kernel, same notebooks, same run (issue 5 "Performance"):
 * - wall time of `npx skipbook run` vs `jupyter execute` (nbclient) on a fixed fixture, goal ≤ 0.8× nbclient;
 * - per trivial cell: the client's share of a cell's wall time beyond the kernel's own busy→idle time, goal ≤ 5 ms,
 *   with nbclient's per-cell wall time beside it, and the same share when the kernel runs behind a Jupyter server.
 * Uses the project's skipbook kernel when installed, else ipykernel from .venvs/jupyter (the note says which).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findKernelspec, kernelDirs } from "../src/jupyter/kernelspec";
import { runNotebook, serializeNotebook, type CodeCell, type Notebook, type RunOptions } from "../src/runner";
import { startJupyterServer } from "../test/runner/jupyter-server-process";
import type { BenchContext, BenchRow } from "./types";

interface KernelChoice {
  name: string;
  /** JUPYTER_PATH that makes both clients find it */
  jupyterPath: string;
  fixture: string;
  trivialCell: (i: number) => string;
  language: string;
}

function chooseKernel(root: string, scratch: string): KernelChoice {
  let skipbook: string | undefined;
  try {
    skipbook = findKernelspec("skipbook", kernelDirs(root)).dir;
  } catch {
    // not installed: compare on ipykernel instead
  }
  if (skipbook) {
    const jupyterPath = dirname(dirname(skipbook));
    return { name: "skipbook", jupyterPath, fixture: join(root, "test", "fixtures", "outputs.ipynb"), trivialCell: (i) => `const v${i} = ${i};`, language: "typescript" };
  }
  const python = join(root, ".venvs", "jupyter", "bin", "python");
  mkdirSync(join(scratch, "kernels", "pyk"), { recursive: true });
  writeFileSync(join(scratch, "kernels", "pyk", "kernel.json"), JSON.stringify({ argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "py", language: "python" }));
  return { name: "pyk", jupyterPath: scratch, fixture: join(root, "test", "fixtures", "py-outputs.ipynb"), trivialCell: (i) => `v${i} = ${i}`, language: "python" };
}

function trivialNotebook(kernel: KernelChoice, cells: number, path: string): void {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel.name, display_name: kernel.name, language: kernel.language } },
    cells: Array.from({ length: cells }, (_, i): CodeCell => ({ id: `c${i}`, cell_type: "code", metadata: {}, source: kernel.trivialCell(i), outputs: [], execution_count: null })),
  };
  writeFileSync(path, serializeNotebook(nb));
}

/** Wall seconds of one command, or throws with its output. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, encoding: "utf8", timeout: 300_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${(result.stderr || "").slice(-2000)}`);
  return seconds;
}

/** The same measure for nbclient: each cell's wall time between its hooks minus the kernel's busy→idle time. */
function nbclientShare(root: string, kernel: KernelChoice, notebook: string): number[] {
  const script = `import sys, time, json, datetime, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
starts, walls = {}, {}
def before(cell, cell_index, **kw): starts[cell_index] = time.perf_counter()
def after(cell, cell_index, **kw): walls[cell_index] = (time.perf_counter() - starts[cell_index]) * 1000
NotebookClient(nb, kernel_name=sys.argv[2], record_timing=True, on_cell_execute=before, on_cell_executed=after).execute()
def at(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000
print(json.dumps([walls[i] - (at(c.metadata.execution["iopub.status.idle"]) - at(c.metadata.execution["iopub.status.busy"])) for i, c in enumerate(nb.cells) if i in walls]))`;
  const python = join(root, ".venvs", "jupyter", "bin", "python");
  const result = spawnSync(python, ["-c", script, notebook, kernel.name], { env: { ...process.env, JUPYTER_PATH: kernel.jupyterPath, SKIPBOOK_KERNEL_STARTUP: "lazy" }, encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) throw new Error(`nbclient per-cell timing failed:\n${(result.stderr || "").slice(-2000)}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

/** Per cell of `notebook`: the wall time the runner saw minus the kernel's own busy→idle time (ms). */
async function clientShares(notebook: string, options: RunOptions): Promise<number[]> {
  const walls: number[] = [];
  const started = new Map<number, number>();
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const { notebook: executed } = await runNotebook(notebook, {
    ...options,
    onProgress: (e) => {
      if (e.type !== "cell") return;
      if (!e.finished) started.set(e.cellIndex, now());
      else walls[e.cellIndex] = now() - started.get(e.cellIndex)!;
    },
  });
  return executed.cells.flatMap((cell, i) => {
    const t = cell.metadata.execution;
    if (!t?.["iopub.status.busy"] || !t["iopub.status.idle"] || walls[i] === undefined) return [];
    return [walls[i] - (Date.parse(t["iopub.status.idle"]) - Date.parse(t["iopub.status.busy"]))];
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  // nbclient lives in .venvs/jupyter, made on first use like the tests' (a fresh clone has none yet)
  const { ensurePythonEnv } = (await import(join(ctx.root, "scripts", "python-env.mjs"))) as { ensurePythonEnv: (name: string) => string };
  ensurePythonEnv("jupyter");
  const scratch = mkdtempSync(join(tmpdir(), "skipbook-bench-runner-"));
  try {
    const kernel = chooseKernel(ctx.root, scratch);
    // the fixtures import no TensorFlow, so the skipbook kernel's library warm-up would only add the same seconds to both
    const env = { ...process.env, JUPYTER_PATH: kernel.jupyterPath, SKIPBOOK_KERNEL_STARTUP: "lazy" };
    const jupyter = join(ctx.root, ".venvs", "jupyter", "bin", "jupyter");
    const ours = (nb: string) => timed(process.execPath, [join(ctx.root, "bin", "skipbook.js"), "run", nb, "--force", "--kernel", kernel.name, "--cache-dir", join(scratch, "cache")], env);
    const theirs = (nb: string) => timed(jupyter, ["execute", `--kernel_name=${kernel.name}`, `--output=${join(scratch, "nbclient-out.ipynb")}`, nb], env);
    const repeats = ctx.quick ? 1 : 3;
    const cells = ctx.quick ? 40 : 100;
    const one = join(scratch, "one-cell.ipynb");
    const many = join(scratch, `${cells}-cells.ipynb`);
    trivialNotebook(kernel, 1, one);
    trivialNotebook(kernel, cells, many);

    const samples = { oursFixture: [] as number[], theirsFixture: [] as number[], oursOne: [] as number[], oursMany: [] as number[], theirsOne: [] as number[], theirsMany: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      ctx.log(`runner: round ${r + 1}/${repeats} on kernel ${kernel.name}`);
      // alternate who goes first so warm file caches favour neither
      const pairs: Array<[number[], () => number]> = [
        [samples.oursFixture, () => ours(kernel.fixture)],
        [samples.theirsFixture, () => theirs(kernel.fixture)],
        [samples.oursOne, () => ours(one)],
        [samples.theirsOne, () => theirs(one)],
        [samples.oursMany, () => ours(many)],
        [samples.theirsMany, () => theirs(many)],
      ];
      for (const [into, measure] of r % 2 ? pairs.reverse() : pairs) into.push(measure());
    }

    // the same trivial cells on a kernel behind a Jupyter server (REST + WebSocket), alternating with the local kernel
    const local: number[] = [];
    const remote: number[] = [];
    const server = await startJupyterServer(ctx.root, { jupyterPath: [kernel.jupyterPath], env: { SKIPBOOK_KERNEL_STARTUP: "lazy" } });
    try {
      for (let r = 0; r < repeats; r++) {
        ctx.log(`runner: per-cell share, round ${r + 1}/${repeats}, local and on a Jupyter server`);
        const rounds: Array<[number[], RunOptions]> = [
          [local, { kernelDirs: [join(kernel.jupyterPath, "kernels")], env: { SKIPBOOK_KERNEL_STARTUP: "lazy" } }],
          [remote, { server: { url: server.url, token: server.token } }],
        ];
        for (const [into, options] of r % 2 ? rounds.reverse() : rounds) into.push(...(await clientShares(many, { ...options, kernelName: kernel.name, cacheDir: join(scratch, "cache"), force: true })));
      }
    } finally {
      await server.stop();
    }
    const note = `kernel ${kernel.name}; median of ${repeats}`;
    return [
      { group: "runner", name: "fixture notebook, CLI wall time", ours: median(samples.oursFixture), peer: median(samples.theirsFixture), peerName: "jupyter execute", unit: "s", lowerIsBetter: true, goal: "ratio ≤ 0.8", note: `${note}; ${kernel.fixture.split("/").pop()}` },
      { group: "runner", name: `1-cell notebook, CLI wall time`, ours: median(samples.oursOne), peer: median(samples.theirsOne), peerName: "jupyter execute", unit: "s", lowerIsBetter: true, note },
      { group: "runner", name: `${cells}-cell notebook, CLI wall time`, ours: median(samples.oursMany), peer: median(samples.theirsMany), peerName: "jupyter execute", unit: "s", lowerIsBetter: true, note },
      { group: "runner", name: "client overhead per trivial cell beyond the kernel's busy→idle", ours: median(local), peer: median(nbclientShare(ctx.root, kernel, many)), peerName: "nbclient", unit: "ms", lowerIsBetter: true, goal: "≤ 5 ms", note: `median over ${local.length} cells; kernel ${kernel.name}` },
      { group: "runner", name: "the same, kernel on a Jupyter server (REST + WebSocket) vs local (ZeroMQ)", ours: median(remote), peer: median(local), peerName: "local kernel", unit: "ms", lowerIsBetter: true, note: `median over ${remote.length} cells; jupyter server on 127.0.0.1; kernel ${kernel.name}` },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
