import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../src/skiplib/backend";
import { identityDifference, identityExtend } from "../../src/skiplib/identity";
import { batch, convResNet, mlp } from "./probes/nets";
import { cifarPlainNet, cifarResNet, plainMLP } from "../../src/skiplib/models";
import { identityDeepenPlainNet } from "../../src/skiplib/identity-deepen";
import { fit } from "../../src/skiplib/train";
import { countParams } from "../../src/skiplib/params";

const TOL = 1e-5;

function outputsOf(model: tf.LayersModel, x: tf.Tensor, training = false): number[] {
  return tf.tidy(() => Array.from((model.apply(x, { training }) as tf.Tensor).dataSync()));
}

test("identity-extended ReLU MLP computes exactly the shallow MLP", () => {
  const shallow = mlp({ inputDim: 4, width: 8, depth: 2, outputDim: 3, activation: "relu", seed: 3, outputActivation: "softmax" });
  const { x } = batch([16, 4], 3);
  const tensors = tf.memory().numTensors;
  const deep = identityExtend(shallow, 5);
  assert.equal(tf.memory().numTensors - tensors, deep.weights.length, "only the new model's weights were allocated");
  assert.equal(deep.layers.filter((l) => l.name.endsWith("_dense")).length, 5, "five extra dense layers");
  assert.ok(!deep.layers.some((l) => l.getClassName() === "BatchNormalization"), "no BN added to a net without BN");
  assert.ok(identityDifference(shallow, deep, x) <= TOL);
  // the deep model owns its weights: changing them leaves the shallow model alone
  const before = outputsOf(shallow, x);
  deep.getLayer("stem").setWeights(deep.getLayer("stem").getWeights().map((w) => tf.zerosLike(w)));
  assert.deepEqual(outputsOf(shallow, x), before);
  // extending again continues the numbering
  const deeper = identityExtend(deep, 1);
  assert.ok(deeper.layers.some((l) => l.name === "extra6_dense"));
  tf.dispose(x);
  [shallow, deep, deeper].forEach((m) => m.dispose());
});

for (const after of ["b2_relu2", undefined]) {
  test(`identity-extended conv net with BatchNorm matches to 1e-5 (${after ? "conv layers after " + after : "dense layers before the head"})`, () => {
    const shallow = convResNet({ blocks: 2 });
    const { x } = batch([6, 8, 8, 3], 3);
    const deep = identityExtend(shallow, 3, { after });
    const kind = after ? "Conv2D" : "Dense";
    assert.equal(deep.layers.filter((l) => l.name.startsWith("extra") && l.getClassName() === kind).length, 3);
    assert.equal(deep.layers.filter((l) => l.name.startsWith("extra") && l.getClassName() === "BatchNormalization").length, 3);
    assert.ok(identityDifference(shallow, deep, x) <= TOL, `max |Δ| ${identityDifference(shallow, deep, x)}`);
    const random = identityExtend(shallow, 3, { after, init: "random", seed: 1 });
    assert.ok(identityDifference(shallow, random, x) > 1e-3, "random extra layers are not the identity");
    tf.dispose(x);
    [shallow, deep, random].forEach((m) => m.dispose());
  });
}

test("residual extra blocks with the last norm at zero (BatchZero) are the identity, in training mode too", () => {
  const shallow = convResNet({ blocks: 1 });
  const { x } = batch([6, 8, 8, 3], 3);
  const deep = identityExtend(shallow, 2, { after: "b1_relu2", form: "residual", seed: 5 });
  const conv = deep.getLayer("extra1_a_conv").getWeights()[0];
  assert.ok(tf.tidy(() => tf.max(tf.abs(conv)).dataSync()[0]) > 0, "the branch's first conv is random, not zero");
  assert.ok(identityDifference(shallow, deep, x) <= TOL);
  // batch statistics in every BN: the zeroed last norm still outputs β = 0, so the blocks stay x ↦ x
  const expected = outputsOf(shallow, x, true);
  outputsOf(deep, x, true).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= TOL));
  const plainDeep = identityExtend(shallow, 2, { after: "b1_relu2" });
  const shallowTraining = outputsOf(shallow, x, true);
  const trainingGap = Math.max(...outputsOf(plainDeep, x, true).map((v, i) => Math.abs(v - shallowTraining[i])));
  assert.ok(trainingGap > 1e-3, "plain identity layers with BN are the identity in inference mode only");
  const noBn = mlp({ inputDim: 4, width: 8, depth: 1, outputDim: 2, activation: "relu" });
  const { x: xs } = batch([8, 4], 2);
  const residualNoBn = identityExtend(noBn, 2, { form: "residual" });
  assert.ok(identityDifference(noBn, residualNoBn, xs) <= TOL, "without BN the branch's last layer starts at zero");
  tf.dispose([x, xs]);
  [shallow, deep, plainDeep, noBn, residualNoBn].forEach((m) => m.dispose());
});

test("copyWeights: false re-initialises every layer, reproducibly from the seed", () => {
  const shallow = mlp({ inputDim: 4, width: 8, depth: 2, outputDim: 3, activation: "relu" });
  const a = identityExtend(shallow, 2, { init: "random", copyWeights: false, seed: 9 });
  const b = identityExtend(shallow, 2, { init: "random", copyWeights: false, seed: 9 });
  const stem = (m: tf.LayersModel) => Array.from(m.getLayer("stem").getWeights()[0].dataSync());
  assert.deepEqual(stem(a), stem(b), "same seed, same weights");
  assert.notDeepEqual(stem(a), stem(shallow), "trained weights not copied");
  [shallow, a, b].forEach((m) => m.dispose());
});

test("tanh features can be negative: ReLU extra layers break the identity, linear ones keep it", () => {
  const shallow = mlp({ inputDim: 4, width: 8, depth: 2, outputDim: 3, activation: "tanh", seed: 5 });
  const { x } = batch([16, 4], 3);
  const relu = identityExtend(shallow, 2);
  const linear = identityExtend(shallow, 2, { activation: "linear" });
  assert.ok(identityDifference(shallow, relu, x) > 1e-3);
  assert.ok(identityDifference(shallow, linear, x) <= TOL);
  assert.ok(!linear.layers.some((l) => l.name.startsWith("extra") && l.getClassName() === "ReLU"));
  tf.dispose(x);
  [shallow, relu, linear].forEach((m) => m.dispose());
});

test("identityExtend names what is wrong", () => {
  const model = mlp({ inputDim: 4, width: 8, depth: 1, outputDim: 3, activation: "relu" });
  assert.throws(() => identityExtend(model, -1), /extraLayers must be a non-negative integer, got -1/);
  assert.throws(() => identityExtend(model, 1, { after: "nope" }), /after must name a layer of model .* got "nope"; layers: stem, dense1/);
  assert.throws(() => identityExtend(model, 1, { kernelSize: 2 }), /kernelSize must be a positive odd integer, got 2/);
  assert.throws(() => identityExtend(model, 1, { init: "zeros" as never }), /init must be "identity" or "random", got "zeros"/);
  assert.throws(() => identityExtend(model, 1, { activation: "tanh" as never }), /activation must be "relu" or "linear", got "tanh"/);
  model.dispose();
});

test("skiplib builders: a CIFAR ResNet (custom zero-pad shortcut layers) and a plain MLP extend exactly", () => {
  const net = cifarResNet(8, { inputShape: [8, 8, 3], classes: 4, seed: 3 });
  const { x } = batch([4, 8, 8, 3], 4);
  for (const after of ["stage3_block1_out", undefined]) {
    const deep = identityExtend(net, 2, { after });
    assert.ok(identityDifference(net, deep, x) <= TOL);
    deep.dispose();
  }
  const plain = plainMLP({ inputDim: 2, depth: 3, width: 8, outputDim: 2 });
  const xs = tf.randomNormal([16, 2], 0, 1, "float32", 1);
  const deeper = identityExtend(plain, 4);
  assert.equal(countParams(deeper) - countParams(plain), 4 * (8 * 8 + 8), "four 8×8 dense layers with bias");
  assert.ok(identityDifference(plain, deeper, xs) <= TOL);
  tf.dispose([x, xs]);
  [net, plain, deeper].forEach((m) => m.dispose());
});

describe("identityDeepenPlainNet", () => {
  const options = { inputShape: [8, 8, 1] as [number, number, number], classes: 4, channels: [4, 6, 8] as [number, number, number], seed: 5 };

  test("a plain-8 becomes a plain-20 with exactly its outputs, layer for layer the same architecture as cifarPlainNet(20)", async () => {
    const shallow = cifarPlainNet(8, options);
    const x = tf.randomUniform([16, 8, 8, 1], 0, 1, "float32", 1);
    const labels = tf.oneHot(tf.randomUniform([16], 0, 4, "int32", 2), 4).toFloat();
    // train briefly so BN statistics and weights are not at their initial values
    await fit(shallow, { x, y: labels }, { epochs: 2, batchSize: 8, progress: "silent" });
    const deep = identityDeepenPlainNet(shallow, 20, options);
    const reference = cifarPlainNet(20, options);
    assert.deepEqual(deep.layers.map((l) => [l.name, l.getClassName(), JSON.stringify(l.outputShape)]), reference.layers.map((l) => [l.name, l.getClassName(), JSON.stringify(l.outputShape)]));
    assert.ok(identityDifference(shallow, deep, x) < 1e-5, `max |difference| ${identityDifference(shallow, deep, x)}`);
    tf.dispose([x, labels]);
    for (const m of [shallow, deep, reference]) m.dispose();
  });

  test("bad input: a residual net, a shallower target, other options", () => {
    const residual = cifarResNet(8, options);
    assert.throws(() => identityDeepenPlainNet(residual, 20, options), /residual additions/);
    const shallow = cifarPlainNet(20, options);
    assert.throws(() => identityDeepenPlainNet(shallow, 8, options), /at least the shallow net's 20 layers, got 8/);
    assert.throws(() => identityDeepenPlainNet(shallow, 32, { ...options, channels: [4, 6, 10] }), /other shapes in the shallow net.*same options/);
    assert.throws(() => identityDeepenPlainNet(shallow, 32, { ...options, preActivation: true }), /post-activation/);
    residual.dispose();
    shallow.dispose();
  });
});
