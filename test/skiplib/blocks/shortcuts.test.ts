// He et al. 2016's shortcut variants (Table 1) and the branch scale α in y = h(x) + α·F(x).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { residualBlock, type ResidualBlockOptions } from "../../../src/skiplib/blocks/residual";
import { SHORTCUT_VARIANTS, resolveShortcutVariant, type ShortcutVariant } from "../../../src/skiplib/blocks/shortcuts";
import { ShortcutDropout } from "../../../src/skiplib/blocks/layers";
import { residualBlocks } from "../../../src/skiplib/probes/paths";
import { cifarPlainNet, cifarResNet } from "../../../src/skiplib/models";
import { blockModel, randomInput, run } from "./helpers";

const block = (inputShape: number[], options: Omit<ResidualBlockOptions, "name">) =>
  blockModel(inputShape, (x) => residualBlock(x, { name: "b", seed: 3, ...options }));
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const layerList = (m: tf.LayersModel) => m.layers.map((l) => `${l.name}:${l.getClassName()}`);

for (const kind of SHORTCUT_VARIANTS) {
  for (const [input, options, out] of [
    [[6, 6, 8], { filters: 8 }, [6, 6, 8]],
    [[6, 6, 8], { filters: 16, strides: 2, shortcut: "A" }, [3, 3, 16]],
    [[6, 6, 8], { filters: 16, strides: 2, shortcut: "B", preActivation: true }, [3, 3, 16]],
  ] as const) {
    test(`shortcut variant ${kind}, ${JSON.stringify(options)}: [${input}] → [${out}] in training and inference`, () => {
      const model = block([...input], { ...options, shortcutVariant: kind });
      assert.deepEqual(model.outputShape, [null, ...out]);
      for (const training of [false, true]) {
        const shape = tf.tidy(() => run(model, randomInput([2, ...input]), training).shape);
        assert.deepEqual(shape, [2, ...out]);
      }
      model.dispose();
    });
  }
}

test("the identity variant and α = 1 are today's block: the same layers, weights and outputs, bit for bit", () => {
  for (const preActivation of [false, true]) {
    for (const variant of [{ shortcutVariant: "identity", branchScale: 1 }, { shortcutVariant: { kind: "identity" } }] as const) {
      const today = block([6, 6, 8], { filters: 8, preActivation });
      const other = block([6, 6, 8], { filters: 8, preActivation, ...variant });
      assert.deepEqual(layerList(other).slice(1), layerList(today).slice(1), "the same layers after the input");
      other.getWeights().forEach((w, i) => assert.deepEqual(values(w), values(today.getWeights()[i])));
      const x = randomInput([3, 6, 6, 8], 4);
      // inference first: a training-mode call moves BN's moving statistics (equally in both)
      for (const training of [false, true]) assert.deepEqual(values(run(other, x, training)), values(run(today, x, training)));
      x.dispose();
      [today, other].forEach((m) => m.dispose());
    }
  }
});

test("scale: with the branch at zero the block outputs exactly λ·x; α scales the branch", () => {
  const x = randomInput([2, 5, 5, 4], 6);
  // pre-activation with a zeroed last conv: F(x) = 0, nothing after the addition
  const scaled = block([5, 5, 4], { filters: 4, preActivation: true, zeroInitResidual: true, shortcutVariant: { kind: "scale", scale: 0.3 } });
  assert.deepEqual(values(run(scaled, x)), values(tf.mul(x, 0.3)));
  // with F ≠ 0: y = λx + αF, F read off the identity block with the same weights (y − x)
  const identity = block([5, 5, 4], { filters: 4, preActivation: true });
  const both = block([5, 5, 4], { filters: 4, preActivation: true, shortcutVariant: { kind: "scale", scale: 0.5 }, branchScale: 0.25 });
  const expected = tf.tidy(() => tf.add(tf.mul(x, 0.5), tf.mul(tf.sub(run(identity, x), x), 0.25)));
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(run(both, x), expected))).dataSync()[0]);
  assert.ok(gap < 1e-5, `y = 0.5x + 0.25F within float rounding, max |Δ| = ${gap}`);
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(run(identity, x), x))).dataSync()[0]) > 0.1, "F is not zero here, so the test can fail");
  tf.dispose([x, expected]);
  [scaled, identity, both].forEach((m) => m.dispose());
});

test("gates: y = (1 − g)·x + g·F (exclusive) or (1 − g)·x + F (shortcut-only), g = σ(W_g x + b_g) starting near σ(b_g)", () => {
  const x = randomInput([2, 4, 4, 6], 8);
  const identity = block([4, 4, 6], { filters: 6, preActivation: true });
  for (const kind of ["exclusive-gate", "shortcut-gate"] as const) {
    const gated = block([4, 4, 6], { filters: 6, preActivation: true, shortcutVariant: { kind, gateBias: -2 } });
    const gateLayer = gated.getLayer("b_gate");
    assert.equal(gateLayer.getClassName(), "Conv2D");
    const [, bias] = gateLayer.getWeights();
    assert.deepEqual(values(bias), new Array(6).fill(-2));
    const expected = tf.tidy(() => {
      const activated = run(tf.model({ inputs: gated.inputs, outputs: gated.getLayer("b_relu1").output as tf.SymbolicTensor }), x);
      const g = gateLayer.apply(activated) as tf.Tensor;
      const f = tf.sub(run(identity, x), x);
      return tf.add(tf.mul(tf.sub(1, g), x), kind === "exclusive-gate" ? tf.mul(g, f) : f);
    });
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(run(gated, x), expected))).dataSync()[0]);
    assert.ok(gap < 1e-5, `${kind}: max |Δ| = ${gap}`);
    const meanGate = tf.tidy(() => tf.mean(gateLayer.apply(run(tf.model({ inputs: gated.inputs, outputs: gated.getLayer("b_relu1").output as tf.SymbolicTensor }), x)) as tf.Tensor).dataSync()[0]);
    assert.ok(Math.abs(meanGate - 1 / (1 + Math.exp(2))) < 0.1, `mean gate ${meanGate} near σ(−2) = 0.12`);
    tf.dispose(expected);
    gated.dispose();
  }
  identity.dispose();
  x.dispose();
});

test("conv: a 1×1 conv (+ BN, post-activation) on a block that keeps the shape, option C", () => {
  const today = block([5, 5, 8], { filters: 8 });
  const conv = block([5, 5, 8], { filters: 8, shortcutVariant: "conv" });
  assert.equal(conv.getLayer("b_shortcut_conv").getClassName(), "Conv2D");
  assert.equal(conv.countParams() - today.countParams(), 8 * 8 + 4 * 8, "a 1×1 conv 8→8 and its BN");
  const pre = block([5, 5, 8], { filters: 8, preActivation: true, shortcutVariant: "conv" });
  assert.equal(pre.countParams() - block([5, 5, 8], { filters: 8, preActivation: true }).countParams(), 8 * 8, "pre-activation: the conv alone");
  // on a block that changes shape it replaces option A by the projection
  const strided = block([6, 6, 8], { filters: 16, strides: 2, shortcut: "A", shortcutVariant: "conv" });
  assert.ok(strided.layers.some((l) => l.name === "b_shortcut_conv") && !strided.layers.some((l) => l.getClassName() === "SkiplibZeroPadShortcut"));
  [today, conv, pre, strided].forEach((m) => m.dispose());
});

test("dropout: inference passes x; training zeroes about half the shortcut and doubles the rest, a new seeded mask each step", () => {
  const build = () => block([6, 6, 8], { filters: 8, preActivation: true, zeroInitResidual: true, shortcutVariant: "dropout" });
  const model = build();
  const x = tf.add(tf.abs(randomInput([4, 6, 6, 8], 2)), 0.1);
  assert.deepEqual(values(run(model, x, false)), values(x));
  const xs = values(x);
  const masks = [1, 2].map(() => {
    const y = values(run(model, x, true));
    y.forEach((v, i) => assert.ok(v === 0 || Math.abs(v - 2 * xs[i]) < 1e-6, `element ${i}: ${v} is neither 0 nor 2x = ${2 * xs[i]}`));
    return y.map((v) => v === 0);
  });
  const dropped = masks[0].filter(Boolean).length / masks[0].length;
  assert.ok(dropped > 0.4 && dropped < 0.6, `dropped share ${dropped}`);
  assert.notDeepEqual(masks[0], masks[1], "each training step draws a new mask");
  const again = build();
  assert.deepEqual(values(run(again, x, true)).map((v) => v === 0), masks[0], "the same seed gives the same first mask");
  assert.throws(() => new ShortcutDropout({ rate: 1, seed: 1 }), /rate must be in \[0, 1\)/);
  x.dispose();
  [model, again].forEach((m) => m.dispose());
});

test("residualBlocks finds the block input and the shortcut side for every variant (a gate shared by both addends too)", () => {
  for (const kind of SHORTCUT_VARIANTS) {
    const model = block([6, 6, 8], { filters: 8, shortcutVariant: kind, branchScale: 0.5 });
    const [found] = residualBlocks(model);
    assert.equal(found.input.sourceLayer.getClassName(), "InputLayer", kind);
    const addInputs = (model.getLayer("b_add") as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes[0].inboundLayers;
    const skipLayer = addInputs[found.skipInput];
    assert.ok(kind === "identity" ? skipLayer.getClassName() === "InputLayer" : skipLayer.name.startsWith("b_shortcut"), `${kind}: skip side is ${skipLayer.name}`);
    model.dispose();
  }
});

test("every variant round-trips through the model's JSON with the same outputs", async () => {
  for (const kind of SHORTCUT_VARIANTS) {
    const model = block([5, 5, 4], { filters: 4, shortcutVariant: kind, branchScale: 0.7 });
    model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.1, "float32", i))));
    const loaded = await tf.models.modelFromJSON({ modelTopology: JSON.parse(JSON.stringify(model.toJSON(null, false))) });
    loaded.setWeights(model.getWeights());
    assert.deepEqual(layerList(loaded), layerList(model));
    const x = randomInput([2, 5, 5, 4], 5);
    assert.deepEqual(values(loaded.predict(x) as tf.Tensor), values(model.predict(x) as tf.Tensor), kind);
    const dropout = loaded.layers.find((l) => l instanceof ShortcutDropout) as ShortcutDropout | undefined;
    if (kind === "dropout") assert.deepEqual([dropout?.rate, dropout?.seed], [(model.getLayer("b_shortcut_dropout") as ShortcutDropout).rate, (model.getLayer("b_shortcut_dropout") as ShortcutDropout).seed]);
    x.dispose();
    [model, loaded].forEach((m) => m.dispose());
  }
});

test("cifarResNet puts the variant and α on every block; the plain net refuses them", () => {
  const model = cifarResNet(14, { channels: [4, 4, 8], inputShape: [8, 8, 1], shortcutVariant: "scale", branchScale: 0.5 });
  assert.equal(model.layers.filter((l) => l.name.endsWith("_shortcut_scale")).length, 6);
  assert.equal(model.layers.filter((l) => l.name.endsWith("_branch_scale")).length, 6);
  model.dispose();
  assert.throws(() => cifarPlainNet(14, { shortcutVariant: "scale" }), /shortcutVariant and branchScale need residual blocks/);
  assert.throws(() => cifarPlainNet(14, { branchScale: 0.5 }), /shortcutVariant and branchScale need residual blocks/);
});

const badVariants: [unknown, RegExp][] = [
  ["gated", /shortcutVariant must be one of identity, scale, exclusive-gate, shortcut-gate, conv, dropout \(or \{ kind, \.\.\. \}\), got "gated"/],
  [{ kind: "scale", scale: Number.NaN }, /scale must be a finite number/],
  [{ kind: "exclusive-gate", gateBias: Number.POSITIVE_INFINITY }, /gateBias must be a finite number/],
  [{ kind: "dropout", rate: 1 }, /rate must be in \[0, 1\)/],
  [{ scale: 0.5 }, /shortcutVariant must be one of/],
];
for (const [variant, message] of badVariants) {
  test(`shortcutVariant ${JSON.stringify(variant)} fails naming what is wrong`, () => {
    assert.throws(() => residualBlock(tf.input({ shape: [4, 4, 4] }), { name: "b", filters: 4, shortcutVariant: variant as ShortcutVariant }), message);
  });
}

test("branchScale and a variant need a skip; bad α fails; defaults resolve to the paper's values", () => {
  assert.throws(() => residualBlock(tf.input({ shape: [4, 4, 4] }), { name: "b", filters: 4, skip: "none", shortcutVariant: "scale" }), /need skip "add"/);
  assert.throws(() => residualBlock(tf.input({ shape: [4, 4, 4] }), { name: "b", filters: 4, branchScale: Number.NaN }), /branchScale must be a finite number/);
  assert.deepEqual(resolveShortcutVariant("scale"), { kind: "scale", scale: 0.5, gateBias: -6, rate: 0.5 });
  assert.deepEqual(resolveShortcutVariant(undefined).kind, "identity");
});
