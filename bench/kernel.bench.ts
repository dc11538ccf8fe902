/**
 * Kernel start-up against stock tslab, both started the same way in the same run: a fresh connection file, the
 * process spawned, a client connected at once.
 * - start: spawn → first kernel_info_reply (goal ≤ 1.5 s);
 * - first import: the first cell, `import * as tf from "@tensorflow/tfjs-node"` (and, ours only, skiplib's `tf`),
 *   sent right after kernel_info_reply, until its execute_reply and idle (goal ≤ 1 s);
 * - the same first imports sent after a reader's pause of 5 s, when our kernel has checked and loaded them ahead.
 *
 * Ours runs at each start-up level (SKIPBOOK_KERNEL_STARTUP, kernel/startup/README.md): full, as set-up leaves
 * it; no-snapshot, what the first kernel after an edit of src/ or the packages does; off, tslab's own TypeScript
 * with no work ahead, in our kernel. Where the time goes: bench/README.md ("Kernel start-up"). The "spawn → done"
 * row adds start and cell: where each kernel puts the converter's cost.
 * Medians of 3 (1 with --quick).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "../src/jupyter/client";
import { newConnectionInfo, writeConnectionFile } from "../src/jupyter/connection";
import { AHEAD_OF_TIME_MODULES, buildCompilerSnapshot, findCompilerSnapshot, STARTUP_ENV, type StartupLevel } from "../kernel/startup";
import type { BenchContext, BenchRow } from "./types";

const TF_CELL = 'import * as tf from "@tensorflow/tfjs-node";\nconsole.log(tf.version.tfjs);';
const SKIPLIB_CELL = 'import { tf } from "skiplib";\nconsole.log(tf.version.tfjs);';

interface Timing {
  startMs: number;
  firstCellMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Starts `argv` (with `{connection_file}`), times kernel_info_reply, then the first cell after `pauseMs`. */
async function timeKernel(argv: string[], cwd: string, cell: string, pauseMs: number, env: Record<string, string> = {}): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-bench-kernel-"));
  const info = await newConnectionInfo();
  const file = join(dir, "kernel.json");
  writeConnectionFile(info, file);
  const args = argv.map((arg) => arg.replace("{connection_file}", file));
  const started = performance.now();
  const child = spawn(args[0], args.slice(1), { cwd, detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env, JPY_PARENT_PID: String(process.pid) } });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const client = await KernelClient.connect(info);
  try {
    const reply = await client.request("shell", "kernel_info_request", {}, 60_000).catch((error: Error) => {
      throw new Error(`${args.join(" ")}: no kernel_info_reply (${error.message}); stderr: ${stderr}`);
    });
    const startMs = performance.now() - started;
    if (reply.header.msg_type !== "kernel_info_reply") throw new Error(`expected kernel_info_reply, got ${reply.header.msg_type}`);
    if (pauseMs) await new Promise((done) => setTimeout(done, pauseMs));
    const sent = performance.now();
    const { reply: executed } = await client.execute(cell, { timeoutMs: 120_000 });
    const firstCellMs = performance.now() - sent;
    if (executed.content.status !== "ok") throw new Error(`first cell failed: ${executed.content.ename}: ${executed.content.evalue}`);
    return { startMs, firstCellMs };
  } finally {
    client.close();
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  execFileSync(process.execPath, [join(ctx.root, "scripts", "kernelspec.mjs"), "install"], { stdio: "ignore" });
  const ours = (JSON.parse(readFileSync(join(ctx.root, ".jupyter-kernels", "kernels", "skipbook", "kernel.json"), "utf8")) as { argv: string[] }).argv;
  const tslab = [join(ctx.root, "node_modules", ".bin", "tslab"), "kernel", "--config-path", "{connection_file}"];
  const cwd = join(ctx.root, "notebooks");
  const repeats = ctx.quick ? 1 : 3;
  // the compiler snapshot and the compile cache as set-up and a first kernel leave them (a change to src/ voids both)
  if (!findCompilerSnapshot(ctx.root, AHEAD_OF_TIME_MODULES)) await buildCompilerSnapshot(ctx.root, AHEAD_OF_TIME_MODULES);
  const primed = await timeKernel(ours, cwd, SKIPLIB_CELL, 0);
  ctx.log(`kernel: priming the compile cache (untimed): first skiplib cell ${primed.firstCellMs.toFixed(0)} ms`);
  const at = (level: StartupLevel) => ({ [STARTUP_ENV]: level });
  const configs = {
    oursNow: { argv: ours, cell: TF_CELL, pauseMs: 0, label: "skipbook, tfjs-node at once" },
    tslabNow: { argv: tslab, cell: TF_CELL, pauseMs: 0, label: "tslab, tfjs-node at once" },
    oursSkiplib: { argv: ours, cell: SKIPLIB_CELL, pauseMs: 0, label: "skipbook, skiplib at once" },
    oursNoSnapshot: { argv: ours, cell: TF_CELL, pauseMs: 0, label: "skipbook no-snapshot, tfjs-node at once", env: at("no-snapshot") },
    oursNoSnapshotSkiplib: { argv: ours, cell: SKIPLIB_CELL, pauseMs: 0, label: "skipbook no-snapshot, skiplib at once", env: at("no-snapshot") },
    oursOff: { argv: ours, cell: TF_CELL, pauseMs: 0, label: "skipbook off, tfjs-node at once", env: at("off") },
    oursOffSkiplib: { argv: ours, cell: SKIPLIB_CELL, pauseMs: 0, label: "skipbook off, skiplib at once", env: at("off") },
    oursLater: { argv: ours, cell: TF_CELL, pauseMs: 5000, label: "skipbook, tfjs-node after 5 s" },
    tslabLater: { argv: tslab, cell: TF_CELL, pauseMs: 5000, label: "tslab, tfjs-node after 5 s" },
    oursSkiplibLater: { argv: ours, cell: SKIPLIB_CELL, pauseMs: 5000, label: "skipbook, skiplib after 5 s" },
  };
  type Name = keyof typeof configs;
  const timings = Object.fromEntries(Object.keys(configs).map((name) => [name, [] as Timing[]])) as Record<Name, Timing[]>;
  // interleaved rounds: the other jobs on a shared machine load every configuration alike
  for (let round = 0; round < repeats; round++) {
    for (const [name, config] of Object.entries(configs) as [Name, (typeof configs)[Name]][]) {
      const timing = await timeKernel(config.argv, cwd, config.cell, config.pauseMs, "env" in config ? config.env : {});
      ctx.log(`kernel: ${config.label} run ${round + 1}: start ${timing.startMs.toFixed(0)} ms, first cell ${timing.firstCellMs.toFixed(0)} ms`);
      timings[name].push(timing);
    }
  }
  const medians = (name: Name) => ({
    startMs: median(timings[name].map((t) => t.startMs)),
    firstCellMs: median(timings[name].map((t) => t.firstCellMs)),
    totalMs: median(timings[name].map((t) => t.startMs + t.firstCellMs)),
  });
  const [oursNow, tslabNow, oursSkiplib, oursNoSnapshot, oursNoSnapshotSkiplib, oursOff, oursOffSkiplib, oursLater, tslabLater, oursSkiplibLater] = (Object.keys(configs) as Name[]).map(medians);
  const s = (ms: number) => ms / 1000;
  const peer = { peerName: "tslab 1.0.22", unit: "s", lowerIsBetter: true };
  const ownOnly = { unit: "s", lowerIsBetter: true };
  return [
    { group: "kernel", name: "start → kernel_info_reply", ours: s(oursNow.startMs), peer: s(tslabNow.startMs), ...peer, goal: "≤ 1.5 s" },
    { group: "kernel", name: "first cell: import tfjs-node, sent at once", ours: s(oursNow.firstCellMs), peer: s(tslabNow.firstCellMs), ...peer, goal: "≤ 1 s" },
    { group: "kernel", name: "spawn → that cell done (start + cell)", ours: s(oursNow.totalMs), peer: s(tslabNow.totalMs), ...peer, note: "tslab creates its TypeScript converter before kernel_info; this row holds both halves" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent at once", ours: s(oursSkiplib.firstCellMs), ...ownOnly, goal: "≤ 1 s", note: "stock tslab cannot resolve \"skiplib\"; unchanged src/ (snapshot up to date)" },
    { group: "kernel", name: "first cell: import tfjs-node, sent at once, no-snapshot", ours: s(oursNoSnapshot.firstCellMs), peer: s(tslabNow.firstCellMs), ...peer, note: "SKIPBOOK_KERNEL_STARTUP=no-snapshot: TypeScript parses and checks at start, as the first kernel after an edit of src/" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent at once, no-snapshot", ours: s(oursNoSnapshotSkiplib.firstCellMs), ...ownOnly, note: "the compile cache as the first kernel left it" },
    { group: "kernel", name: "first cell: import tfjs-node, sent at once, off", ours: s(oursOff.firstCellMs), peer: s(tslabNow.firstCellMs), ...peer, note: "SKIPBOOK_KERNEL_STARTUP=off: no start-up work, tslab's own TypeScript" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent at once, off", ours: s(oursOffSkiplib.firstCellMs), ...ownOnly },
    { group: "kernel", name: "first cell: import tfjs-node, sent after 5 s", ours: s(oursLater.firstCellMs), peer: s(tslabLater.firstCellMs), ...peer, goal: "≤ 1 s", note: "ours has checked them ahead (in the snapshot) and loaded tfjs-node while the reader reads" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent after 5 s", ours: s(oursSkiplibLater.firstCellMs), ...ownOnly, goal: "≤ 1 s" },
  ];
}
