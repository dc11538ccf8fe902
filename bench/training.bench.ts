/**
 * ResNet-20 training speed (He et al. 2015 §4.2; batch 32 of 32×32×3, 10 classes, SGD + momentum 0.9): one
 * training step (forward, backward, update, loss read back) and one inference forward pass on skiplib's backend,
 * against the same network written idiomatically in PyTorch (bench/training_peer.py, CPU, float32) in the same
 * run. The two are interleaved in rounds (ours, then the peer's, again) so a busy shared CPU hurts both alike;
 * figures are medians over all steps after a warm-up.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { backendSummary, ready, tf } from "../src/skiplib/backend";
import { cifarResNet } from "../src/skiplib/models";
import { oneDnnEnabled } from "../src/skiplib/native-kernels/onednn";
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

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  await ready;
  const rounds = ctx.quick ? 2 : 5;
  const stepsPerRound = ctx.quick ? 3 : 6;
  const model = cifarResNet(DEPTH, { seed: 1 });
  const optimizer = tf.train.momentum(0.1, 0.9);
  model.compile({ optimizer, loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, "float32", 1);
  const y = tf.tidy(() => tf.oneHot(tf.cast(tf.mul(tf.randomUniform([BATCH], 0, 1, "float32", 2), 10), "int32"), 10).toFloat());

  const oursTimes = async (kind: "train" | "forward", n: number) => {
    const seconds: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      if (kind === "train") await model.trainOnBatch(x, y); // reads the loss back: the step is finished
      else tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
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
  try {
    for (const kind of ["train", "forward"] as const) {
      await oursTimes(kind, 2); // warm-up: kernels, allocations, the optimizer's slots
      if (peer) await peer.ask(`${kind} 2`);
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        ours.push(...(await oursTimes(kind, stepsPerRound)));
        if (peer) theirs.push(...(await peer.ask<number[]>(`${kind} ${stepsPerRound}`)));
        ctx.log(`training: ${kind} round ${r + 1}/${rounds}: ours ${(median(ours) * 1000).toFixed(0)} ms` +
          (peer ? `, PyTorch ${(median(theirs) * 1000).toFixed(0)} ms` : ""));
      }
      rows.push({
        group: "training",
        name: kind === "train" ? `ResNet-20 training step, batch ${BATCH}` : `ResNet-20 forward (inference), batch ${BATCH}`,
        ours: median(ours) * 1000,
        peer: peer ? median(theirs) * 1000 : undefined,
        peerName: "PyTorch CPU",
        unit: "ms",
        lowerIsBetter: true,
        goal: "ratio ≤ 2",
        // The fastest steps are the ones the shared CPU disturbed least: their ratio is the uncontended one.
        note: `${backendSummary().replace("skiplib: ", "")}, oneDNN ${oneDnnEnabled() ? "on" : "off"}${process.env.SKIPLIB_NATIVE_KERNELS === "0" ? ", stock tfjs kernels (SKIPLIB_NATIVE_KERNELS=0)" : ""}; median of ${ours.length} steps` +
          (peer ? `; fastest ${(Math.min(...ours) * 1000).toFixed(0)} vs ${(Math.min(...theirs) * 1000).toFixed(0)} ms (ratio ${(Math.min(...ours) / Math.min(...theirs)).toFixed(2)})` : "") +
          `; ${peerNote}`,
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
