import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { denseNet, recalibrateBatchNorm, tf } from "../../../src/skiplib";
import { cutInputChannels, denseBlockLayout, denseConnectionAblation, denseWeightReuse, sourceChannels } from "../../../src/skiplib/probes/feature-reuse";

// DenseNet-BC-16, k = 4: two dense layers per block, stem 2k = 8 channels, transitions halve 16 → 8.
const build = (seed = 1) => denseNet({ depth: 16, growthRate: 4, inputShape: [8, 8, 1], classes: 3, seed });
const input = () => tf.randomUniform([16, 8, 8, 1], 0, 1, "float32", 7);
const output = (model: tf.LayersModel, x: tf.Tensor) => tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));

describe("feature reuse in a dense block", () => {
  test("the layout: c₀, k, one target per layer plus the transition, and where each source's channels sit", () => {
    const model = build();
    const layout = denseBlockLayout(model, 1);
    assert.deepEqual([layout.layers, layout.inputChannels, layout.growthRate], [2, 8, 4]);
    assert.deepEqual(layout.targets.map((t) => t.label), ["layer 1", "layer 2", "transition"]);
    assert.deepEqual(layout.sources, ["block input", "layer 1", "layer 2"]);
    assert.deepEqual([0, 1, 2].map((s) => sourceChannels(layout, s)), [[0, 8], [8, 12], [12, 16]]);
    assert.deepEqual(denseBlockLayout(model, 3).targets.map((t) => t.label), ["layer 1", "layer 2"], "the last block has no transition");
    assert.throws(() => denseBlockLayout(model, 4), /no dense block 4 \(no layer block4_layer1_conv1\)/);
    assert.throws(() => sourceChannels(layout, 3), /source must be an integer from 0 \(block input\) to 2, got 3/);
    model.dispose();
  });

  test("the weight map is the mean |w| of each target's first conv over each source's input channels", () => {
    const model = build();
    const { weight } = denseWeightReuse(model, 1);
    const kernel = model.getLayer("block1_layer2_conv1").getWeights()[0].arraySync() as number[][][][];
    const meanAbs = (from: number, to: number) => {
      let sum = 0, count = 0;
      for (const row of kernel) for (const cell of row) for (let c = from; c < to; c++) for (const w of cell[c]) (sum += Math.abs(w)), count++;
      return sum / count;
    };
    assert.ok(Math.abs(weight[1][0] - meanAbs(0, 8)) < 1e-6);
    assert.ok(Math.abs(weight[1][1] - meanAbs(8, 12)) < 1e-6);
    assert.ok(Number.isNaN(weight[0][1]) && Number.isNaN(weight[1][2]), "a layer does not read sources above it");
    assert.equal(weight[2].filter(Number.isFinite).length, 3);
    model.dispose();
  });

  test("cutting input channels zeroes exactly their weights and disconnects them; restoring gives back the net", () => {
    const model = build();
    const x = input();
    const before = output(model, x);
    const original = model.getLayer("block1_layer2_conv1").getWeights()[0].arraySync() as number[][][][];
    const restore = cutInputChannels(model, "block1_layer2_conv1", [0, 3]);
    const cut = model.getLayer("block1_layer2_conv1").getWeights()[0].arraySync() as number[][][][];
    cut.forEach((row, i) => row.forEach((cell, j) => cell.forEach((outs, c) => outs.forEach((w, o) => {
      assert.equal(w + 0, c === 0 || c === 3 ? 0 : original[i][j][c][o]);
    }))));
    assert.notDeepEqual(output(model, x), before);
    restore();
    assert.deepEqual(output(model, x), before);
    assert.throws(() => cutInputChannels(model, "block1_layer2_conv1", [12]), /channel 12 is not an input channel of block1_layer2_conv1 \(0 to 11\)/);
    tf.dispose(x);
    model.dispose();
  });

  test("the ablation scores each cut connection against the uncut net and restores the net", () => {
    const model = build();
    const x = input();
    const score = () => output(model, x).reduce((a, v, i) => a + v * ((i % 3) - 1), 0);
    const baseline = score();
    const ablation = denseConnectionAblation(model, 1, score);
    assert.equal(ablation.baseline, baseline);
    const restore = cutInputChannels(model, "block1_layer2_conv1", [8, 9, 10, 11]);
    const expected = score();
    restore();
    assert.equal(ablation.cut[1][1], expected);
    assert.ok(Number.isNaN(ablation.cut[0][1]));
    assert.ok(ablation.cut.flat().filter(Number.isFinite).every((v) => v !== baseline), "every cut changes the output");
    assert.deepEqual(output(model, x).reduce((a, v, i) => a + v * ((i % 3) - 1), 0), baseline, "the net is restored");
    tf.dispose(x);
    model.dispose();
  });

  test("with recalibration each cut is scored with recomputed BatchNorm statistics, and the model's own come back", () => {
    const model = build();
    const x = input();
    const moving = () => model.getLayer("block1_layer2_bn2").getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    const saved = moving();
    const seen: number[][][] = [];
    const ablation = denseConnectionAblation(model, 1, () => (seen.push(moving()), 0), { recalibrate: { x } });
    assert.deepEqual(moving(), saved, "the moving statistics are restored");
    // the uncut score saw the statistics recalibration gives, not the fresh net's
    recalibrateBatchNorm(model, { x });
    assert.deepEqual(seen[0], moving());
    assert.notDeepEqual(seen[0], saved);
    assert.equal(ablation.cut.flat().filter(Number.isFinite).length, 1 + 2 + 3);
    tf.dispose(x);
    model.dispose();
  });

  test("no tensors leak", () => {
    const model = build();
    const x = input();
    const score = () => tf.tidy(() => (model.predict(x) as tf.Tensor).sum().dataSync()[0]);
    denseConnectionAblation(model, 2, score, { recalibrate: { x } });
    const before = tf.memory().numTensors;
    denseWeightReuse(model, 2);
    denseConnectionAblation(model, 2, score, { recalibrate: { x } });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
    model.dispose();
  });
});
