import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { blockDeletion, pathCounts, pathLengthDistribution, residualBlocks } from "../../../src/skiplib/probes/paths";
import { activationGradientNorms } from "../../../src/skiplib/probes/gradient-norms";
import { batch, convResNet, mlp } from "./nets";
import { cifarResNet } from "../../../src/skiplib/models";

test("pathCounts are the binomial coefficients (2^n paths in all)", () => {
  assert.deepEqual(pathCounts(4), [1, 4, 6, 4, 1]);
  assert.equal(pathCounts(54).reduce((a, b) => a + b, 0), 2 ** 54);
  assert.throws(() => pathCounts(-1), /n must be a non-negative integer, got -1/);
});

test("residualBlocks finds each add, its skip input and the block input", () => {
  const model = convResNet({ blocks: 2 });
  const blocks = residualBlocks(model);
  assert.deepEqual(blocks.map((b) => [b.layer, b.skipInput, b.input.sourceLayer.name]), [
    ["b1_add", 0, "stem_relu"],
    ["b2_add", 0, "b1_relu2"],
  ]);
  model.dispose();
});

test("path-length distribution: the all-skip path carries ∂L/∂h_n; shares sum to 1; no tensor leak", () => {
  const model = mlp({ inputDim: 3, width: 8, depth: 4, outputDim: 2, activation: "tanh", residual: true, seed: 6 });
  const { x } = batch([16, 3], 2);
  const y = tf.randomNormal([16, 2], 0, 1, "float32", 2);
  const before = tf.memory().numTensors;
  const dist = pathLengthDistribution(model, x, y, { loss: "meanSquaredError", samples: 3, seed: 1 });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  assert.equal(dist.blocks, 4);
  assert.deepEqual(dist.counts, [1, 4, 6, 4, 1]);
  assert.deepEqual(dist.lengths, [0, 1, 2, 3, 4]);
  // With identity skips the length-0 path is x ↦ x through every block: its gradient is ∂L/∂h at the last add.
  const lastAdd = activationGradientNorms(model, x, y, { loss: "meanSquaredError", training: false }).find((n) => n.layer === "add4")!;
  assert.ok(Math.abs(dist.magnitude[0] - lastAdd.gradNorm) <= 1e-6 * lastAdd.gradNorm, `${dist.magnitude[0]} vs ${lastAdd.gradNorm}`);
  assert.ok(Math.abs(dist.share.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(dist.magnitude.every((m) => m > 0 && Number.isFinite(m)));
  const again = pathLengthDistribution(model, x, y, { loss: "meanSquaredError", samples: 3, seed: 1 });
  assert.deepEqual(again.magnitude, dist.magnitude, "seeded subset sampling");
  tf.dispose([x, y]);
  model.dispose();
});

test("blockDeletion drops exactly one branch: matches a hand-written forward pass", () => {
  const model = mlp({ inputDim: 3, width: 8, depth: 2, outputDim: 3, activation: "relu", residual: true, seed: 2, outputActivation: "softmax" });
  const { x, y } = batch([32, 3], 3);
  const results = blockDeletion(model, x, y);
  assert.deepEqual(results.map((r) => r.block), ["none", "add1", "add2"]);
  const L = (name: string, t: tf.Tensor) => model.getLayer(name).apply(t) as tf.Tensor;
  const reference = tf.tidy(() => {
    const h = L("stem", x); // block 1 deleted: h stays
    const h2 = tf.add(h, L("act2", L("dense2", h)));
    const p = L("head", h2);
    const loss = tf.mean(tf.metrics.categoricalCrossentropy(y, p)).dataSync()[0];
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)), "float32")).dataSync()[0];
    return { loss, accuracy };
  });
  assert.ok(Math.abs(results[1].loss - reference.loss) < 1e-6);
  assert.equal(results[1].accuracy, reference.accuracy);
  const intact = tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y, model.predict(x) as tf.Tensor)).dataSync()[0]);
  assert.ok(Math.abs(results[0].loss - intact) < 1e-6);
  const plain = mlp({ inputDim: 3, width: 4, depth: 1, outputDim: 3 });
  assert.throws(() => blockDeletion(plain, x, y), /model "plain_mlp" has no residual block/);
  plain.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

test("on skiplib's CIFAR ResNet-20 (option-A shortcuts): 9 blocks, the zero-pad shortcut is the skip, shares over 10 lengths", () => {
  const net = cifarResNet(20, { inputShape: [8, 8, 3], classes: 3, seed: 2 });
  const blocks = residualBlocks(net);
  assert.equal(blocks.length, 9);
  const downsampling = blocks.find((b) => b.layer === "stage2_block1_add")!;
  assert.equal(downsampling.input.sourceLayer.name, "stage1_block3_out");
  const { x, y } = batch([4, 8, 8, 3], 3);
  const dist = pathLengthDistribution(net, x, y, { samples: 1 });
  assert.equal(dist.share.length, 10);
  assert.ok(dist.share.every((s) => s >= 0 && s <= 1));
  const deletion = blockDeletion(net, x, y);
  assert.equal(deletion.length, 10);
  assert.ok(deletion.every((d) => Number.isFinite(d.loss)));
  tf.dispose([x, y]);
  net.dispose();
});
