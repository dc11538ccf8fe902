import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { ready, tf, backendInfo } from "../../../src/skiplib/backend";
import { cifarResNet } from "../../../src/skiplib/models";
import {
  fusedBatchNormTraining,
  SKIPLIB_BATCH_NORM_TRAINING,
  SKIPLIB_BATCH_NORM_TRAINING_GRAD,
} from "../../../src/skiplib/native-kernels/batch-norm-training";
import { setGraphExecution } from "../../../src/skiplib/native-kernels/graph/install";

const ROOT = resolve(__dirname, "../../..");
// SKIPLIB_NATIVE_KERNELS=0 keeps tfjs's stock batch norm on purpose (for comparisons).
const native = () => backendInfo().backend === "tensorflow" && process.env.SKIPLIB_NATIVE_KERNELS !== "0";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function lcg(seed: number) {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

type Batch = { x: number[]; w: number[]; scale: number[]; offset: number[] };

/** y, batch mean, biased variance and ∂/∂(x, γ, β) of Σ w·y, by the fused op or by tfjs-core's moments + batchNorm. */
function forwardAndGrads(shape: [number, number, number, number], data: Batch, fused: boolean, epsilon: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x, shape);
    const w = tf.tensor4d(data.w, shape);
    const scale = tf.tensor1d(data.scale);
    const offset = tf.tensor1d(data.offset);
    const normalise = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      if (fused) return fusedBatchNormTraining(a as tf.Tensor4D, s as tf.Tensor1D, o as tf.Tensor1D, epsilon);
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return { y: tf.batchNorm4d(a as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, epsilon), mean, variance };
    };
    const { y, mean, variance } = normalise(x, scale, offset);
    const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.mul(w, normalise(a, s, o).y)))([x, scale, offset]);
    return [y, mean, variance, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

// Shapes: a conv activation, channels that are not a multiple of 4, and a batch of one image with one pixel per
// channel per row (n = H·W small), where the variance's Bessel factor matters most.
const shapes: [number, number, number, number][] = [[2, 3, 3, 4], [4, 5, 5, 3], [1, 2, 1, 5]];

for (const shape of shapes) {
  test(`fused training batch norm on [${shape}] equals tfjs-core's moments + batchNorm (CPU backend): y, mean, variance, ∂x, ∂γ, ∂β`, { skip: !native() && "native kernels not active" }, async () => {
    await ready;
    const rand = lcg(shape.reduce((a, b) => a * b, 7));
    const size = shape.reduce((a, b) => a * b, 1);
    const c = shape[3];
    // An offset mean per channel, as after a conv, so the statistics are not trivially 0 and 1.
    const data: Batch = {
      x: Array.from({ length: size }, (_, i) => 3 * rand() + (i % c) - 1),
      w: Array.from({ length: size }, rand),
      scale: Array.from({ length: c }, (_, i) => [1, 0.5, -1.2, 2, 0][i % 5]),
      offset: Array.from({ length: c }, (_, i) => [0, 0.1, -0.3, 1, 2][i % 5]),
    };
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      forwardAndGrads(shape, data, true, 1e-5);
    });
    for (const kernel of [SKIPLIB_BATCH_NORM_TRAINING, SKIPLIB_BATCH_NORM_TRAINING_GRAD]) {
      assert.ok(profile.kernelNames.includes(kernel), `${kernel} should run; kernels run: ${profile.kernelNames.join(", ")}`);
    }
    for (const stockOp of ["Mean", "SquaredDifference", "FusedBatchNorm"]) assert.ok(!profile.kernelNames.includes(stockOp), `${stockOp} still runs`);
    const fused = forwardAndGrads(shape, data, true, 1e-5);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    tf.setBackend("cpu");
    let stock: number[][];
    try {
      stock = forwardAndGrads(shape, data, false, 1e-5);
    } finally {
      tf.setBackend("tensorflow");
    }
    ["y", "mean", "variance", "∂x", "∂γ", "∂β"].forEach((name, i) => close(fused[i], stock[i], name));
  });
}

test("the fused op's batch statistics are detached: differentiating them is an error, not a silent zero", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  const x = tf.randomNormal([2, 2, 2, 3], 0, 1, "float32", 5);
  const [scale, offset] = [tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D];
  assert.throws(() => tf.grad((a: tf.Tensor) => tf.sum(fusedBatchNormTraining(a as tf.Tensor4D, scale, offset, 1e-5).mean))(x), /Cannot compute gradient/);
  tf.dispose([x, scale, offset]);
});

/** A small CIFAR ResNet trained for a few steps; losses and the stem's moving statistics after them. */
async function trainResNet(steps: number) {
  const model = cifarResNet(8, { channels: [4, 6, 8], inputShape: [8, 8, 3], classes: 3, seed: 9 });
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([6, 8, 8, 3], 0.5, 2, "float32", 21);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], "int32"), 3).toFloat());
  const losses: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((await model.trainOnBatch(x, y)) as number);
    counts.push(tf.memory().numTensors);
  }
  const stem = model.getLayer("stem_bn");
  const moving = stem.weights.filter((w) => /moving_(mean|variance)/.test(w.name)).map((w) => Array.from(w.read().dataSync()));
  model.dispose();
  tf.dispose([x, y]);
  return { losses, counts, moving };
}

test("a CIFAR ResNet trains through the fused layer path, and as one graph per step, to tfjs-layers' stock losses and moving statistics (CPU backend), tensor count flat", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  // eager steps here (the fused kernels); the whole-step graph (graph/) is checked against the same stock run below
  setGraphExecution(false);
  let fused: Awaited<ReturnType<typeof trainResNet>>;
  try {
    const profile = await tf.profile(async () => {
      await trainResNet(1);
    });
    assert.ok(profile.kernelNames.includes(SKIPLIB_BATCH_NORM_TRAINING), `the layers should use the fused op; kernels run: ${profile.kernelNames.join(", ")}`);
    fused = await trainResNet(5);
  } finally {
    setGraphExecution(true);
  }
  assert.ok(fused.counts.every((n) => n === fused.counts[0]), `tensor count per step: ${fused.counts.join(", ")}`);
  const graph = process.env.SKIPLIB_GRAPH !== "0" ? await trainResNet(5) : undefined;
  if (graph) assert.ok(graph.counts.every((n) => n === graph.counts[0]), `tensor count per graph step: ${graph.counts.join(", ")}`);
  tf.setBackend("cpu");
  let stock: Awaited<ReturnType<typeof trainResNet>>;
  try {
    stock = await trainResNet(5);
  } finally {
    tf.setBackend("tensorflow");
  }
  close(fused.losses, stock.losses, "loss", 1e-3);
  close(fused.moving[0], stock.moving[0], "moving mean", 1e-3);
  close(fused.moving[1], stock.moving[1], "moving variance", 1e-3);
  assert.ok(fused.losses[4] < fused.losses[0], `loss should fall: ${fused.losses.join(", ")}`);
  if (graph) {
    close(graph.losses, stock.losses, "graph loss", 1e-3);
    close(graph.moving[0], stock.moving[0], "graph moving mean", 1e-3);
    close(graph.moving[1], stock.moving[1], "graph moving variance", 1e-3);
  }
});

// Ranks the fused op does not cover; (4-D layers with axis 1 or without γ/β fail in tfjs-layers itself on this backend.)
for (const shape of [[4, 3], [2, 5, 3]]) {
  test(`a BatchNormalization layer on a ${shape.length}-D input keeps tfjs-layers' own training path`, { skip: !native() && "native kernels not active" }, async () => {
    await ready;
    const layer = tf.layers.batchNormalization({});
    const x = tf.randomNormal(shape, 0, 1, "float32", 8);
    const profile = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(layer.apply(a, { training: true }) as tf.Tensor)))(x));
    assert.ok(!profile.kernelNames.includes(SKIPLIB_BATCH_NORM_TRAINING) && profile.kernelNames.includes("Mean"), `kernels run: ${profile.kernelNames.join(", ")}`);
    tf.dispose([x, profile.result as tf.Tensor]);
    layer.dispose();
  });
}

test("SKIPLIB_NATIVE_KERNELS=0 trains BatchNormalization layers with tfjs-layers' stock moments", { skip: backendInfo().backend !== "tensorflow" && "native backend not active" }, () => {
  const code = `
    const { tf } = require("./src/skiplib/backend");
    const layer = tf.layers.batchNormalization({});
    const x = tf.randomNormal([2, 3, 3, 4]);
    tf.profile(() => tf.grad((a) => tf.sum(layer.apply(a, { training: true })))(x)).then((p) => console.log(JSON.stringify(p.kernelNames)));`;
  const kernels = (env: string) => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, SKIPLIB_QUIET: "1", SKIPLIB_NATIVE_KERNELS: env },
    });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout.trim().split("\n").pop()!) as string[];
  };
  const stock = kernels("0");
  assert.ok(stock.includes("Mean") && !stock.includes(SKIPLIB_BATCH_NORM_TRAINING), `stock kernels: ${stock.join(", ")}`);
  const fused = kernels("1");
  assert.ok(fused.includes(SKIPLIB_BATCH_NORM_TRAINING) && !fused.includes("Mean"), `fused kernels: ${fused.join(", ")}`);
});
