/**
 * ResNet-20 training speed (He et al. 2015 §4.2; batch 32 of 32×32×3, 10 classes, SGD + momentum 0.9): one
 * training step (forward, backward, update, loss read back) and one inference forward pass on skiplib's backend,
 * by both of skiplib's routes (one TensorFlow graph per step, the default; tfjs's eager ops), against the same
 * network written idiomatically in PyTorch (bench/training_peer.py, CPU, float32) in the same run. All three are
 * interleaved in rounds (graph, eager, the peer's, again) so a busy shared CPU hurts them alike; figures are
 * medians over all steps after a warm-up, and the fastest steps' ratio is in the note.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { backendSummary, ready, tf } from "../src/skiplib/backend";
import { cifarResNet } from "../src/skiplib/models";
import { oneDnnEnabled } from "../src/skiplib/native-kernels/onednn";
import { setGraphExecution } from "../src/skiplib/native-kernels/graph/install";
import type { BenchContext, BenchRow } from "./types";

const DEPTH = 20;
const BATCH = 32;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The PyTorch peer as a long-lived process: one command line in, one JSON line out. */
class Peer {
  private lines: AsyncIterableIterator<string>;
  private constructor(private child: ChildProcessWithoutNullStreams, private stderr: string[]) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(root: string): Promise<Peer> {
    const { ensurePythonEnv } = (await import(join(root, "scripts/python-env.mjs"))) as { ensurePythonEnv: (name: string) => string };
    const python = ensurePythonEnv("torch");
    // Spinning OpenMP waits collapse on a shared, oversubscribed CPU; passive waiting is the usual setting there.
    const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "PASSIVE" };
    const child = spawn(python, [join(root, "bench/training_peer.py"), String(DEPTH), String(BATCH)], { env });
    const stderr: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    return new Peer(child, stderr);
  }

  async ask<T>(command: string): Promise<T> {
    this.child.stdin.write(`${command}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`PyTorch peer exited (${this.child.exitCode}): ${this.stderr.join("").trim().split("\n").pop()}`);
    return JSON.parse(value) as T;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** Our two routes: one TensorFlow graph per step (the default) and tfjs's eager ops (SKIPLIB_GRAPH=0). */
const ROUTES = [
  { graph: true, label: "" },
  { graph: false, label: ", eager ops (SKIPLIB_GRAPH=0)" },
] as const;

const ISA_CAPS = ["ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS"];

const ms = (seconds: number) => (seconds * 1000).toFixed(0);

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  await ready;
  const rounds = ctx.quick ? 2 : 5;
  const stepsPerRound = ctx.quick ? 3 : 6;
  // the graph route can be off for the whole process (SKIPLIB_GRAPH=0): then only the eager rows are measured
  const routes = ROUTES.filter((r) => !r.graph || process.env.SKIPLIB_GRAPH !== "0");
  const model = cifarResNet(DEPTH, { seed: 1 });
  const optimizer = tf.train.momentum(0.1, 0.9);
  model.compile({ optimizer, loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, "float32", 1);
  const y = tf.tidy(() => tf.oneHot(tf.cast(tf.mul(tf.randomUniform([BATCH], 0, 1, "float32", 2), 10), "int32"), 10).toFloat());

  // Both routes train the same model and optimizer in turn: the graph leaves tfjs's state behind, so they can.
  const oursTimes = async (kind: "train" | "forward", graph: boolean, n: number) => {
    setGraphExecution(graph);
    const seconds: number[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        if (kind === "train") await model.trainOnBatch(x, y); // reads the loss back: the step is finished
        else tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
        seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
    } finally {
      setGraphExecution(true);
    }
    return seconds;
  };

  let peer: Peer | undefined;
  let peerNote = "peer not measured";
  try {
    peer = await Peer.start(ctx.root);
    const info = await peer.ask<{ params: number; torch: string; threads: number }>("info");
    const trainable = model.trainableWeights.reduce((sum, w) => sum + tf.util.sizeFromShape(w.shape as number[]), 0);
    peerNote = `PyTorch ${info.torch} CPU, ${info.threads} threads; ${info.params} vs our ${trainable} trainable parameters`;
  } catch (error) {
    ctx.log(`training: PyTorch peer unavailable: ${(error as Error).message.split("\n")[0]}`);
    peer?.close();
    peer = undefined;
  }

  const rows: BenchRow[] = [];
  const tensorsBefore = tf.memory().numTensors;
  // These caps make oneDNN (ours and PyTorch's), ATen and MKL pick the kernels they would on a CPU without AVX-512
  // (AMD Zen 2/3); the peer inherits them. TensorFlow's Eigen kernels are built for AVX whatever the CPU.
  const caps = ISA_CAPS.filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`);
  const setting = `${backendSummary().replace("skiplib: ", "")}, oneDNN ${oneDnnEnabled() ? "on" : "off"}` +
    `${caps.length ? ` (ISA caps, both sides: ${caps.join(" ")})` : ""}` +
    `${process.env.SKIPLIB_NATIVE_KERNELS === "0" ? ", stock tfjs kernels (SKIPLIB_NATIVE_KERNELS=0)" : ""}`;
  try {
    for (const kind of ["train", "forward"] as const) {
      // warm-up: the graph's build (once per model), kernels, allocations, the optimizer's slots
      const build = routes.some((r) => r.graph) ? (await oursTimes(kind, true, 1))[0] : 0;
      for (const r of routes) await oursTimes(kind, r.graph, 2);
      if (peer) await peer.ask(`${kind} 2`);
      const ours = routes.map(() => [] as number[]);
      const theirs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        for (const [i, r] of routes.entries()) ours[i].push(...(await oursTimes(kind, r.graph, stepsPerRound)));
        if (peer) theirs.push(...(await peer.ask<number[]>(`${kind} ${stepsPerRound}`)));
        ctx.log(`training: ${kind} round ${round + 1}/${rounds}: ${routes.map((r, i) => `${r.graph ? "graph" : "eager"} ${ms(median(ours[i]))} ms`).join(", ")}` +
          (peer ? `, PyTorch ${ms(median(theirs))} ms` : ""));
      }
      routes.forEach((r, i) => {
        rows.push({
          group: "training",
          name: (kind === "train" ? `ResNet-20 training step, batch ${BATCH}` : `ResNet-20 forward (inference), batch ${BATCH}`) + r.label,
          ours: median(ours[i]) * 1000,
          peer: peer ? median(theirs) * 1000 : undefined,
          peerName: "PyTorch CPU",
          unit: "ms",
          lowerIsBetter: true,
          goal: r.graph ? "ratio ≤ 1" : undefined,
          // The fastest steps are the ones the shared CPU disturbed least: their ratio is the uncontended one.
          note: `${setting}; median of ${ours[i].length} steps` +
            (peer ? `; fastest ${ms(Math.min(...ours[i]))} vs ${ms(Math.min(...theirs))} ms (ratio ${(Math.min(...ours[i]) / Math.min(...theirs)).toFixed(2)})` : "") +
            (r.graph ? `; first call ${build.toFixed(2)} s (graph built once per model)` : "") +
            `; ${peerNote}`,
        });
      });
    }
  } finally {
    peer?.close();
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked > 0) ctx.log(`training: ${leaked} tensors left after the bench (optimizer state, if small)`);
  return rows;
}
