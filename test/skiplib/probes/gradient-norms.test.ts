import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { layerGradientNorms, activationGradientNorms, firstToLastRatio } from "../../../src/skiplib/probes/gradient-norms";
import { updateSizes } from "../../../src/skiplib/probes/update-size";
import { runGraph } from "../../../src/skiplib/probes/graph";
import { batch, convResNet, mlp } from "./nets";

// Float32 only (the TensorFlow backend has no float64), so finite differences are central with a step h = 1e-2
// on smooth (tanh, MSE) nets, Richardson-extrapolated ((4·D(h/2) − D(h))/3 cancels the h² term, which BatchNorm's
// curvature makes large): rounding error ≈ 1e-7/h = 1e-5 relative and truncation O(h⁴), hence a 3e-3 tolerance.
// A wrong layer, a missing weight or a factor slip is off by far more.
const H = 1e-2;
const REL_TOL = 3e-3;

function lossAt(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, training: boolean): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(y, model.apply(x, { training }) as tf.Tensor))).dataSync()[0]);
}

/** Directional derivative of L along the unit vector u = g_l/‖g_l‖ of one layer's weights; equals ‖g_l‖. */
function finiteDifferenceNorm(model: tf.LayersModel, layerName: string, x: tf.Tensor, y: tf.Tensor, training: boolean): number {
  const layer = model.getLayer(layerName);
  const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const originals = vars.map((v) => v.clone());
  const grads = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(y, model.apply(x, { training }) as tf.Tensor))) as tf.Scalar, vars);
    return vars.map((v) => grads[v.name]);
  });
  const norm = tf.tidy(() => Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
  const shifted = (step: number) => {
    vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(originals[i], tf.mul(grads[i], step / norm)))));
    return lossAt(model, x, y, training);
  };
  const central = (h: number) => (shifted(h) - shifted(-h)) / (2 * h);
  const derivative = (4 * central(H / 2) - central(H)) / 3;
  vars.forEach((v, i) => v.assign(originals[i]));
  tf.dispose([...originals, ...grads]);
  return derivative;
}

function assertClose(actual: number, expected: number, rel: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected} (rel tol ${rel})`);
}

for (const residual of [false, true]) {
  for (const training of [false, true]) {
    test(`layerGradientNorms match finite differences (${residual ? "residual" : "plain"} MLP with BN, training=${training})`, () => {
      const model = mlp({ inputDim: 3, width: 6, depth: 3, outputDim: 2, residual, batchNorm: true, seed: 11 });
      const { x } = batch([8, 3], 2, 5);
      const y = tf.randomNormal([8, 2], 0, 1, "float32", 9);
      const before = tf.memory().numTensors;
      const norms = layerGradientNorms(model, x, y, { loss: "meanSquaredError", training });
      assert.equal(tf.memory().numTensors, before, "no tensor leak");
      const weighted = model.layers.filter((l) => l.trainableWeights.length > 0).map((l) => l.name);
      assert.deepEqual(norms.map((n) => n.layer), weighted, "one entry per weighted layer, input → output");
      assert.deepEqual(norms.map((n) => n.depth), weighted.map((_, i) => i + 1));
      for (const n of norms) {
        assertClose(n.gradNorm, finiteDifferenceNorm(model, n.layer, x, y, training), REL_TOL, n.layer);
        assert.ok(n.meanAbsGrad > 0 && n.meanAbsGrad <= n.gradNorm, `${n.layer}: mean |g| in (0, ‖g‖]`);
      }
      tf.dispose([x, y]);
      model.dispose();
    });
  }
}

test("a training-mode probe leaves BatchNorm's moving statistics untouched", () => {
  const model = convResNet({ blocks: 1 });
  const { x, y } = batch([4, 8, 8, 3], 3);
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  layerGradientNorms(model, x, y, { training: true });
  activationGradientNorms(model, x, y, { training: true });
  const after = model.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(after, before);
  tf.dispose([x, y]);
  model.dispose();
});

test("activationGradientNorms match finite differences on every layer output", () => {
  const model = mlp({ inputDim: 2, width: 3, depth: 2, outputDim: 2, residual: true, seed: 4 });
  const { x } = batch([2, 2], 2, 6);
  const y = tf.randomNormal([2, 2], 0, 1, "float32", 8);
  const before = tf.memory().numTensors;
  const norms = activationGradientNorms(model, x, y, { loss: "meanSquaredError", training: false });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  // stem, dense1, act1, add1, dense2, act2, add2, head
  assert.deepEqual(norms.map((n) => n.layer), ["stem", "dense1", "act1", "add1", "dense2", "act2", "add2", "head"]);
  for (const n of norms) {
    // ∂L/∂a by coordinate-wise central differences: perturb one entry of the layer's output at a time.
    const shape = model.getLayer(n.layer).outputShape as number[];
    const size = 2 * (shape[1] as number);
    let sumSquares = 0;
    for (let k = 0; k < size; k++) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const [p] = runGraph(model, x, {
            tap: (s, v) => (s.sourceLayer.name === n.layer ? tf.add(v, tf.reshape(tf.oneHot([k], size).mul(delta), v.shape)) : v),
          });
          return tf.mean(tf.square(tf.sub(y, p))).dataSync()[0];
        });
      sumSquares += ((at(H) - at(-H)) / (2 * H)) ** 2;
    }
    assertClose(n.gradNorm, Math.sqrt(sumSquares), REL_TOL, n.layer);
  }
  tf.dispose([x, y]);
  model.dispose();
});

test("runGraph reproduces model.predict on a conv ResNet with BatchNorm", () => {
  const model = convResNet();
  const { x } = batch([3, 8, 8, 3], 3);
  const expected = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
  const actual = tf.tidy(() => Array.from(runGraph(model, x)[0].dataSync()));
  // predict runs the model as one TensorFlow graph (native backend), runGraph layer by layer: equal to rounding
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-6, `output ${i}: ${v} vs ${expected[i]}`));
  x.dispose();
  model.dispose();
});

test("deep plain sigmoid nets lose the gradient at early layers; residual nets keep it", () => {
  const ratios = [false, true].map((residual) => {
    const model = mlp({ inputDim: 4, width: 16, depth: 20, outputDim: 3, residual, activation: "sigmoid", seed: 2, outputActivation: "softmax" });
    const { x, y } = batch([32, 4], 3);
    const ratio = firstToLastRatio(layerGradientNorms(model, x, y));
    tf.dispose([x, y]);
    model.dispose();
    return ratio;
  });
  assert.ok(ratios[1] > 1000 * ratios[0], `first/last ratio residual ${ratios[1]} vs plain ${ratios[0]}`);
});

test("updateSizes scale gradients by the learning rate (1e-15 × 1e-4 = 1e-19)", () => {
  const sizes = updateSizes([{ layer: "early", depth: 1, gradNorm: 2e-15, meanAbsGrad: 1e-15, weightNorm: 4, parameters: 10 }], 1e-4);
  assertClose(sizes[0].meanAbsUpdate, 1e-19, 1e-12, "mean |Δw|");
  assertClose(sizes[0].updateNorm, 2e-19, 1e-12, "‖Δw‖");
  assertClose(sizes[0].relativeUpdate, 5e-20, 1e-12, "‖Δw‖/‖w‖");
  assert.throws(() => updateSizes([], -1), /learningRate must be a positive finite number, got -1/);
});

test("bad inputs name the parameter", () => {
  const model = mlp({ inputDim: 2, width: 3, depth: 1, outputDim: 2 });
  const x = tf.zeros([4, 2]);
  assert.throws(() => layerGradientNorms(model, x, tf.zeros([3, 2])), /x and y must hold the same number of samples, got 4 and 3/);
  assert.throws(() => layerGradientNorms(model, x, tf.zeros([4, 2]), { loss: "hinge" as never }), /loss must be a function or one of .*meanSquaredError, got "hinge"/);
  assert.throws(() => firstToLastRatio([]), /norms must hold at least one layer/);
  assert.equal(firstToLastRatio([{ gradNorm: 1, meanAbsGrad: 1e-30 }, { gradNorm: 4, meanAbsGrad: 1e-10 }], "meanAbsGrad"), 1e-30 / 1e-10);
  assert.throws(() => firstToLastRatio([{ gradNorm: 1 }], "meanAbsGrad"), /layer 1 has no meanAbsGrad/);
  const input = tf.input({ shape: [2] });
  const twoHeads = tf.model({ inputs: input, outputs: [tf.layers.dense({ units: 1 }).apply(input), tf.layers.dense({ units: 1 }).apply(input)] as tf.SymbolicTensor[], name: "two_heads" });
  assert.throws(() => layerGradientNorms(twoHeads, x, tf.zeros([4, 1])), /model must have exactly one output for this measurement, "two_heads" has 2/);
  twoHeads.dispose();
  x.dispose();
  model.dispose();
});
