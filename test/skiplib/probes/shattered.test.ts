import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { gradientCorrelation, lagCorrelation, shatteredGradients } from "../../../src/skiplib/probes/shattered";
import { mlp } from "./nets";

test("∂f/∂x on the grid matches finite differences of the model output", () => {
  const model = mlp({ inputDim: 1, width: 8, depth: 3, outputDim: 2, activation: "tanh", seed: 3 });
  const before = tf.memory().numTensors;
  const result = gradientCorrelation(model, { points: 9, range: [-1, 1], maxLag: 3, output: 1 });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  const f = (v: number) => tf.tidy(() => (model.predict(tf.tensor2d([[v]])) as tf.Tensor).dataSync()[1]);
  // float32: central differences with h = 1e-2, Richardson-extrapolated (see gradient-norms.test.ts)
  const h = 1e-2;
  const scale = Math.max(...result.gradients.map(Math.abs));
  result.xs.forEach((x, i) => {
    const d = (s: number) => (f(x + s) - f(x - s)) / (2 * s);
    const fd = (4 * d(h / 2) - d(h)) / 3;
    assert.ok(Math.abs(result.gradients[i] - fd) <= 3e-3 * scale, `x=${x}: ${result.gradients[i]} vs ${fd}`);
  });
  assert.deepEqual(result.xs, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
  assert.equal(result.autocorrelation.length, 4);
  assert.ok(Math.abs(result.autocorrelation[0] - 1) < 1e-12);
  assert.equal(result.lag1, result.autocorrelation[1]);
  model.dispose();
});

test("lagCorrelation: a slow sine stays correlated, white noise does not", () => {
  const sine = Array.from({ length: 4000 }, (_, i) => Math.sin(0.1 * i));
  assert.ok(Math.abs(lagCorrelation(sine, 1) - Math.cos(0.1)) < 1e-3);
  assert.ok(Math.abs(lagCorrelation(sine, 5) - Math.cos(0.5)) < 1e-3);
  const noise = Array.from({ length: 4000 }, (_, i) => { const s = Math.sin(i * 12.9898) * 43758.5453; return s - Math.floor(s); });
  assert.ok(Math.abs(lagCorrelation(noise, 1)) < 0.05);
  assert.throws(() => lagCorrelation([1, 2, 3], 2), /lag must be an integer in \[0, 1\], got 2/);
});

test("plain ReLU nets' gradients decorrelate with depth; residual nets' stay correlated (Balduzzi et al. 2017)", () => {
  const build = (residual: boolean) => (depth: number) => mlp({ inputDim: 1, width: 64, depth, outputDim: 1, activation: "relu", residual, seed: 1 });
  const [plainShallow, plainDeep] = shatteredGradients(build(false), [2, 50]);
  const [, residualDeep] = shatteredGradients(build(true), [2, 50]);
  assert.ok(plainDeep.lag1 < plainShallow.lag1, `plain: depth 50 ${plainDeep.lag1} vs depth 2 ${plainShallow.lag1}`);
  assert.ok(1 - plainDeep.lag1 > 10 * (1 - residualDeep.lag1), `depth 50: plain ${plainDeep.lag1} vs residual ${residualDeep.lag1}`);
});

test("gradientCorrelation needs a 1-D input", () => {
  const model = mlp({ inputDim: 2, width: 4, depth: 1, outputDim: 1 });
  assert.throws(() => gradientCorrelation(model), /model must take one 1-D input of shape \[batch, 1\].*got \[,2\]/);
  model.dispose();
  const oneD = mlp({ inputDim: 1, width: 4, depth: 1, outputDim: 1 });
  assert.throws(() => gradientCorrelation(oneD, { points: 2 }), /points must be an integer ≥ 3, got 2/);
  assert.throws(() => gradientCorrelation(oneD, { output: 1 }), /output must be a unit index in \[0, 0\], got 1/);
  oneD.dispose();
});
