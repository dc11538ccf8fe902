/**
 * Kernel start-up against stock tslab (issue 4), both started the same way in the same run: a fresh connection
 * file, the process spawned, a client connected at once.
 * - start: spawn → first kernel_info_reply (goal ≤ 1.5 s);
 * - first import: the first cell, `import * as tf from "@tensorflow/tfjs-node"` (and, ours only, skiplib's `tf`),
 *   sent right after kernel_info_reply, until its execute_reply and idle (goal ≤ 1 s);
 * - the same first imports sent after a reader's pause of 5 s, when our kernel has checked and loaded them ahead.
 *   Sent at once, ours still pays TypeScript's declaration loading in the cell (no on-disk cache yet).
 * Medians of 3 (1 with --quick).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelClient } from "../src/jupyter/client";
import { newConnectionInfo, writeConnectionFile } from "../src/jupyter/connection";
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
async function timeKernel(argv: string[], cwd: string, cell: string, pauseMs: number): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-bench-kernel-"));
  const info = await newConnectionInfo();
  const file = join(dir, "kernel.json");
  writeConnectionFile(info, file);
  const args = argv.map((arg) => arg.replace("{connection_file}", file));
  const started = performance.now();
  const child = spawn(args[0], args.slice(1), { cwd, detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, JPY_PARENT_PID: String(process.pid) } });
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
  const runs = async (argv: string[], cell: string, pauseMs: number, label: string) => {
    const timings: Timing[] = [];
    for (let i = 0; i < repeats; i++) {
      const timing = await timeKernel(argv, cwd, cell, pauseMs);
      ctx.log(`kernel: ${label} run ${i + 1}: start ${timing.startMs.toFixed(0)} ms, first cell ${timing.firstCellMs.toFixed(0)} ms`);
      timings.push(timing);
    }
    return { startMs: median(timings.map((t) => t.startMs)), firstCellMs: median(timings.map((t) => t.firstCellMs)) };
  };
  const oursNow = await runs(ours, TF_CELL, 0, "skipbook, tfjs-node at once");
  const tslabNow = await runs(tslab, TF_CELL, 0, "tslab, tfjs-node at once");
  const oursSkiplib = await runs(ours, SKIPLIB_CELL, 0, "skipbook, skiplib at once");
  const oursLater = await runs(ours, TF_CELL, 5000, "skipbook, tfjs-node after 5 s");
  const tslabLater = await runs(tslab, TF_CELL, 5000, "tslab, tfjs-node after 5 s");
  const oursSkiplibLater = await runs(ours, SKIPLIB_CELL, 5000, "skipbook, skiplib after 5 s");
  const s = (ms: number) => ms / 1000;
  const peer = { peerName: "tslab 1.0.22", unit: "s", lowerIsBetter: true };
  return [
    { group: "kernel", name: "start → kernel_info_reply", ours: s(oursNow.startMs), peer: s(tslabNow.startMs), ...peer, goal: "≤ 1.5 s" },
    { group: "kernel", name: "first cell: import tfjs-node, sent at once", ours: s(oursNow.firstCellMs), peer: s(tslabNow.firstCellMs), ...peer, goal: "≤ 1 s" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent at once", ours: s(oursSkiplib.firstCellMs), unit: "s", lowerIsBetter: true, goal: "≤ 1 s", note: "stock tslab cannot resolve \"skiplib\"" },
    { group: "kernel", name: "first cell: import tfjs-node, sent after 5 s", ours: s(oursLater.firstCellMs), peer: s(tslabLater.firstCellMs), ...peer, goal: "≤ 1 s", note: "ours type-checks TypeScript and tfjs ahead while the reader reads" },
    { group: "kernel", name: "first cell: import tf from skiplib, sent after 5 s", ours: s(oursSkiplibLater.firstCellMs), unit: "s", lowerIsBetter: true, goal: "≤ 1 s" },
  ];
}
