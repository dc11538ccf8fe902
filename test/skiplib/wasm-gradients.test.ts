// SKIPLIB_BACKEND=wasm trains a small convnet: the borrowed Conv2DBackpropFilter (and friends) give the same
// gradients as the native backend, a training step changes the weights, and no tensors leak.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import assert from "node:assert/strict";
import { test } from "node:test";

const src = resolve(__dirname, "../../src/skiplib");

function nativeInstalled(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return Boolean(process.env.CI);
  }
}

/** Gradients of a seeded conv/BN/depthwise/dense net on a seeded batch, then 3 SGD steps, on one backend. */
function gradientsOn(backend: string) {
  const code = `
    const { ready, tf } = require(${JSON.stringify(`${src}/backend.ts`)});
    ready.then(async () => {
      const x = tf.randomNormal([4, 12, 12, 3], 0, 1, "float32", 1);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3).toFloat();
      const input = tf.input({ shape: [12, 12, 3] });
      let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: "same", kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input);
      h = tf.layers.batchNormalization().apply(h);
      h = tf.layers.reLU().apply(h);
      h = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: "valid", depthwiseInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(h);
      h = tf.layers.globalAveragePooling2d({}).apply(h);
      const output = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(h);
      const model = tf.model({ inputs: input, outputs: output });
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })));
      const gradients = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k.replace(/_\\d+/, ""), Array.from(g.dataSync())]));
      tf.dispose(Object.values(grads));
      model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
      const before = model.getWeights()[0].dataSync().slice();
      const losses = [await model.trainOnBatch(x, y)];
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) losses.push(await model.trainOnBatch(x, y));
      const after = model.getWeights()[0].dataSync();
      console.log(JSON.stringify({ active: tf.getBackend(), gradients, losses, kernelMoved: after.some((v, i) => v !== before[i]), leaked: tf.memory().numTensors - tensors }));
    }).catch((e) => { console.error(e.message); process.exit(1); });`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, SKIPLIB_BACKEND: backend, SKIPLIB_QUIET: "1" },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr + run.stdout, /install our node backend/);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as {
    active: string; gradients: Record<string, number[]>; losses: number[]; kernelMoved: boolean; leaked: number;
  };
}

test("SKIPLIB_BACKEND=wasm trains a convnet with the same gradients as the reference backend", () => {
  const wasm = gradientsOn("wasm");
  // native TensorFlow where installed (always in CI); else the pure-JS backend, whose kernels WASM borrows
  const reference = gradientsOn(nativeInstalled() ? "tensorflow" : "cpu");
  assert.notEqual(reference.active, "wasm");
  assert.equal(wasm.active, "wasm");
  assert.deepEqual(Object.keys(wasm.gradients).sort(), Object.keys(reference.gradients).sort());
  for (const [name, values] of Object.entries(reference.gradients)) {
    const scale = Math.max(...values.map(Math.abs));
    const diff = Math.max(...values.map((v, i) => Math.abs(v - wasm.gradients[name][i])));
    assert.ok(scale > 0, `${name}: zero gradient, the check would be vacuous`);
    assert.ok(diff <= 1e-4 * scale + 1e-6, `${name}: max |wasm − reference| = ${diff} (scale ${scale})`);
  }
  assert.ok(wasm.losses.every(Number.isFinite), `losses ${wasm.losses}`);
  assert.ok(wasm.losses[2] < wasm.losses[0], `loss should fall over 3 steps: ${wasm.losses}`);
  assert.ok(wasm.kernelMoved, "the conv kernel did not change after a training step");
  assert.equal(wasm.leaked, 0);
});
