import { test } from "node:test";
import assert from "node:assert/strict";
import { ready, tf, backendInfo } from "../../../src/skiplib/backend";

// SKIPLIB_NATIVE_KERNELS=0 keeps tfjs-core's gradients on purpose (for comparisons).
const native = () => backendInfo().backend === "tensorflow" && process.env.SKIPLIB_NATIVE_KERNELS !== "0";

/** ∂/∂(x, μ, σ², γ, β) of Σ w·batchNorm(x) on the current backend, as plain arrays. */
function batchNormGrads(data: { x: number[]; mean: number[]; variance: number[]; scale: number[]; offset: number[]; w: number[] }) {
  return tf.tidy(() => {
    const x = tf.tensor4d(data.x, [2, 3, 3, 4]);
    const w = tf.tensor4d(data.w, [2, 3, 3, 4]);
    const [mean, variance, scale, offset] = [data.mean, data.variance, data.scale, data.offset].map((v) => tf.tensor1d(v));
    const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
      tf.sum(tf.mul(w, tf.batchNorm(a as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, o as tf.Tensor1D, s as tf.Tensor1D, 1e-3)));
    return tf.grads(f)([x, mean, variance, scale, offset]).map((g) => Array.from(g.dataSync()));
  });
}

test("batch norm's fused native gradient equals tfjs-core's (CPU backend) for x, mean, variance, scale and offset", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const n = 2 * 3 * 3 * 4;
  const data = {
    x: Array.from({ length: n }, rand),
    w: Array.from({ length: n }, rand),
    mean: [0.1, -0.2, 0.3, 0],
    variance: [0.5, 1.5, 0.05, 2],
    scale: [1, 0.5, -1.2, 2],
    offset: [0, 0.1, -0.3, 1],
  };
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => {
    batchNormGrads(data);
  });
  assert.ok(profile.kernelNames.includes("SkiplibFusedBatchNormGrad"), `kernels run: ${profile.kernelNames.join(", ")}`);
  const fused = batchNormGrads(data);
  assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  tf.setBackend("cpu");
  let stock: number[][];
  try {
    stock = batchNormGrads(data);
  } finally {
    tf.setBackend("tensorflow");
  }
  const names = ["x", "mean", "variance", "scale", "offset"];
  fused.forEach((grad, i) => {
    assert.equal(grad.length, stock[i].length, names[i]);
    grad.forEach((g, j) => assert.ok(Math.abs(g - stock[i][j]) <= 1e-4 * Math.max(1, Math.abs(stock[i][j])), `∂${names[i]}[${j}]: ${g} vs ${stock[i][j]}`));
  });
});

test("a conv + batch-norm net trains with the fused gradient without leaking tensors", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: "relu" }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
  const x = tf.randomNormal([8, 6, 6, 2], 0, 1, "float32", 3);
  const y = tf.randomNormal([8, 2], 0, 1, "float32", 4);
  const losses: number[] = [(await model.trainOnBatch(x, y)) as number];
  const after = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  assert.equal(tf.memory().numTensors, after, "tensor count flat across training steps");
  assert.ok(losses.every(Number.isFinite) && losses[5] < losses[0], `loss should fall: ${losses.join(", ")}`);
  model.dispose();
  tf.dispose([x, y]);
});
