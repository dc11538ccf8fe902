// Lesion studies (Veit et al. 2016) on residual and plain nets, ‖F(x)‖/‖h(x)‖ per block, and the gradient that
// reaches each block through the shortcuts alone (He et al. 2016, Eq. 5 and 8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { branchRatios, deleteBlocks, lesionCurve, netBlocks } from "../../../src/skiplib/probes/lesion";
import { blockDeletion, shortcutGradients } from "../../../src/skiplib/probes/paths";
import { cifarPlainNet, cifarResNet } from "../../../src/skiplib/models";
import { batch, mlp } from "./nets";

type Symbolic = tf.SymbolicTensor;
const arch = { channels: [4, 4, 8] as [number, number, number], inputShape: [8, 8, 1] as [number, number, number], classes: 3, seed: 5 };

function labelled(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomNormal([n, 8, 8, 1], 0, 1, "float32", seed),
    y: tf.oneHot(tf.randomUniform([n], 0, 3, "int32", seed + 1), 3).toFloat(),
  }));
}

test("netBlocks finds the blocks of residual and plain CIFAR nets by name; plain blocks that change shape cannot be deleted", () => {
  for (const [kind, model] of [["residual", cifarResNet(14, arch)], ["plain", cifarPlainNet(14, arch)]] as const) {
    const blocks = netBlocks(model);
    assert.deepEqual(blocks.map((b) => b.name), ["stage1_block1", "stage1_block2", "stage2_block1", "stage2_block2", "stage3_block1", "stage3_block2"]);
    assert.ok(blocks.every((b) => b.kind === kind));
    assert.deepEqual(blocks.map((b) => b.deletable), kind === "residual" ? [true, true, true, true, true, true] : [true, true, false, true, false, true]);
    assert.deepEqual(blocks.map((b) => b.outputLayer), blocks.map((b) => `${b.name}_out`));
    assert.equal(blocks[1].input.sourceLayer.name, "stage1_block1_out");
    assert.throws(() => deleteBlocks(model, tf.zeros([1, 8, 8, 1]), tf.zeros([1, 3]), ["stage9_block1"]), /no block named "stage9_block1"; the blocks are stage1_block1, /);
    if (kind === "plain") assert.throws(() => deleteBlocks(model, tf.zeros([1, 8, 8, 1]), tf.zeros([1, 3]), ["stage2_block1"]), /block "stage2_block1" is plain and changes shape/);
    model.dispose();
  }
  const unnamed = mlp({ inputDim: 3, width: 4, depth: 2, outputDim: 2 });
  assert.throws(() => netBlocks(unnamed), /has no layer named like a block/);
  unnamed.dispose();
});

test("deleting a residual block matches blockDeletion; deleting a plain block equals the net rebuilt without it", () => {
  const residual = cifarResNet(14, arch);
  const { x, y } = labelled(24, 3);
  const single = blockDeletion(residual, x, y);
  for (const [i, name] of ["stage1_block1", "stage1_block2", "stage2_block1"].entries()) {
    const mine = deleteBlocks(residual, x, y, [name]);
    assert.equal(single[i + 1].block, `${name}_add`);
    assert.ok(Math.abs(mine.loss - single[i + 1].loss) < 1e-6 && mine.accuracy === single[i + 1].accuracy, name);
  }
  residual.dispose();

  const plain = cifarPlainNet(14, arch);
  const before = tf.tidy(() => tf.memory().numTensors);
  const result = deleteBlocks(plain, x, y, ["stage1_block2", "stage3_block2"]);
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  // the same layers applied in order, skipping the two deleted blocks' layers
  const reference = tf.tidy(() => {
    const skipped = (name: string) => name.startsWith("stage1_block2_") || name.startsWith("stage3_block2_");
    let h: tf.Tensor = x;
    for (const layer of plain.layers.slice(1)) if (!skipped(layer.name)) h = layer.apply(h, { training: false }) as tf.Tensor;
    const loss = tf.mean(tf.metrics.categoricalCrossentropy(y, h)).dataSync()[0];
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(h, 1), tf.argMax(y, 1)), "float32")).dataSync()[0];
    return { loss, accuracy };
  });
  assert.ok(Math.abs(result.loss - reference.loss) < 1e-6, `${result.loss} vs ${reference.loss}`);
  assert.equal(result.accuracy, reference.accuracy);
  assert.deepEqual(result.deleted, ["stage1_block2", "stage3_block2"]);
  const intact = deleteBlocks(plain, x, y, []);
  assert.notEqual(intact.loss, result.loss, "the deletion changed something, so the test can fail");
  tf.dispose([x, y]);
  plain.dispose();
});

test("lesionCurve: count 0 is the intact net, single deletions are exhaustive, larger sets are seeded samples", () => {
  const model = cifarResNet(20, arch);
  const { x, y } = labelled(16, 7);
  const before = tf.memory().numTensors;
  const curve = lesionCurve(model, x, y, { counts: [0, 1, 3], samples: 5, seed: 2 });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  assert.deepEqual(curve.map((p) => p.count), [0, 1, 3]);
  assert.equal(curve[0].results.length, 1);
  assert.deepEqual(curve[0].results[0].deleted, []);
  assert.equal(curve[1].results.length, 9, "all nine single blocks, though samples is 5");
  assert.equal(curve[2].results.length, 5);
  assert.ok(curve[2].results.every((r) => r.deleted.length === 3 && new Set(r.deleted).size === 3));
  assert.equal(new Set(curve[2].results.map((r) => r.deleted.join())).size, 5, "distinct sets");
  const mean = curve[1].results.reduce((a, r) => a + r.accuracy, 0) / 9;
  assert.ok(Math.abs(curve[1].meanAccuracy - mean) < 1e-12);
  const again = lesionCurve(model, x, y, { counts: [3], samples: 5, seed: 2 });
  assert.deepEqual(again[0].results.map((r) => r.deleted), curve[2].results.map((r) => r.deleted), "seeded");
  const only = lesionCurve(model, x, y, { blocks: ["stage1_block2", "stage2_block2"], samples: 5 });
  assert.deepEqual(only.map((p) => p.count), [0, 1, 2]);
  assert.deepEqual(only[2].results[0].deleted, ["stage1_block2", "stage2_block2"]);
  assert.throws(() => lesionCurve(model, x, y, { counts: [10] }), /counts must be integers from 0 to 9 \(the deletable blocks\), got 10/);
  assert.throws(() => lesionCurve(model, x, y, { samples: 0 }), /samples must be a positive integer, got 0/);
  tf.dispose([x, y]);
  model.dispose();
});

test("branchRatios: ‖F‖/‖h‖ read off each add's inputs, 0 for zeroed branches; training mode leaves BN's statistics alone", () => {
  const model = mlp({ inputDim: 3, width: 6, depth: 2, outputDim: 2, activation: "relu", residual: true, batchNorm: true, seed: 4 });
  const { x } = batch([10, 3], 5);
  const expected = tf.tidy(() => {
    const L = (name: string, t: tf.Tensor) => model.getLayer(name).apply(t, { training: false }) as tf.Tensor;
    const h0 = L("stem", x);
    const f1 = L("act1", L("bn1", L("dense1", h0)));
    const h1 = tf.add(h0, f1);
    const f2 = L("act2", L("bn2", L("dense2", h1)));
    return [tf.norm(f1).dataSync()[0] / tf.norm(h0).dataSync()[0], tf.norm(f2).dataSync()[0] / tf.norm(h1).dataSync()[0]];
  });
  const ratios = branchRatios(model, x);
  assert.deepEqual(ratios.map((r) => r.block), ["add1", "add2"]);
  ratios.forEach((r, i) => assert.ok(Math.abs(r.ratio - expected[i]) < 1e-5 * expected[i], `${r.ratio} vs ${expected[i]}`));
  const stats = () => model.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
  const saved = stats();
  const before = tf.memory().numTensors;
  branchRatios(model, x, { training: true });
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  assert.deepEqual(stats(), saved, "moving statistics restored");
  const zero = cifarResNet(8, { ...arch, zeroInitResidual: true });
  const { x: images } = labelled(4, 1);
  assert.ok(branchRatios(zero, images).every((r) => r.ratio === 0));
  tf.dispose([x, images]);
  [model, zero].forEach((m) => m.dispose());
});

test("shortcutGradients: pre-activation carries ∂L/∂x unchanged through each stage's shortcuts; ×λ shrinks it by λ per block", () => {
  const { x, y } = labelled(16, 9);
  const pre = cifarResNet(20, { ...arch, preActivation: true });
  const before = tf.memory().numTensors;
  const rows = shortcutGradients(pre, x, y);
  assert.equal(tf.memory().numTensors, before, "no tensor leak");
  assert.equal(rows.length, 9);
  assert.deepEqual(rows.map((r) => r.keepsShape), [true, true, true, false, true, true, false, true, true]);
  // blocks 1-3 of stage 1 and stage 2's first block (whose input is stage 1's output): one value
  const stage1 = rows.slice(0, 4).map((r) => r.shortcutOnly);
  stage1.forEach((v) => assert.ok(Math.abs(v / stage1[0] - 1) < 1e-5, `stage 1: ${stage1}`));
  assert.ok(rows.every((r) => r.full > 0 && r.shortcutOnly > 0 && Number.isFinite(r.full)));
  assert.ok(Math.abs(rows[0].full / rows[0].shortcutOnly - 1) > 1e-3, "the branches add to the full gradient");
  const scaled = cifarResNet(20, { ...arch, preActivation: true, shortcutVariant: { kind: "scale", scale: 0.5 } });
  const halves = shortcutGradients(scaled, x, y).slice(0, 4).map((r) => r.shortcutOnly);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(halves[i] / halves[i + 1] - 0.5) < 1e-5, `×0.5 per block: ${halves}`);
  // post-activation: the ReLU after each addition can only take away
  const post = cifarResNet(20, arch);
  const postRows = shortcutGradients(post, x, y).slice(0, 4).map((r) => r.shortcutOnly);
  for (let i = 0; i < 3; i++) assert.ok(postRows[i] <= postRows[i + 1] * (1 + 1e-6), `post-activation: ${postRows}`);
  const stats = () => pre.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
  const saved = stats();
  shortcutGradients(pre, x, y);
  assert.deepEqual(stats(), saved, "moving statistics restored");
  tf.dispose([x, y]);
  [pre, scaled, post].forEach((m) => m.dispose());
});
