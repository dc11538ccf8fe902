import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { residualBlock, type ResidualBlockOptions } from "../../../src/skiplib/blocks/residual";
import { plainBlock } from "../../../src/skiplib/blocks/plain";
import { ZeroPadShortcut } from "../../../src/skiplib/blocks/layers";
import { blockModel, randomInput, run } from "./helpers";

type Case = { input: [number, number, number]; options: Omit<ResidualBlockOptions, "name">; out: [number, number, number]; shortcutLayer: string };

const cases: Case[] = [
  { input: [8, 8, 16], options: { filters: 16 }, out: [8, 8, 16], shortcutLayer: "none" },
  { input: [8, 8, 16], options: { filters: 32, strides: 2, shortcut: "A" }, out: [4, 4, 32], shortcutLayer: "SkiplibZeroPadShortcut" },
  { input: [7, 7, 16], options: { filters: 32, strides: 2, shortcut: "A" }, out: [4, 4, 32], shortcutLayer: "SkiplibZeroPadShortcut" },
  { input: [8, 8, 16], options: { filters: 32, strides: 2, shortcut: "B" }, out: [4, 4, 32], shortcutLayer: "Conv2D" },
  { input: [8, 8, 16], options: { filters: 16, strides: 2, preActivation: true }, out: [4, 4, 16], shortcutLayer: "Conv2D" },
  { input: [8, 8, 64], options: { filters: 16, kind: "bottleneck" }, out: [8, 8, 64], shortcutLayer: "none" },
  { input: [8, 8, 16], options: { filters: 8, kind: "bottleneck", strides: 2 }, out: [4, 4, 32], shortcutLayer: "Conv2D" },
  { input: [8, 8, 32], options: { filters: 8, kind: "bottleneck", expansion: 2, preActivation: true }, out: [8, 8, 16], shortcutLayer: "Conv2D" },
];

for (const c of cases) {
  test(`residualBlock ${JSON.stringify(c.options)} on [${c.input}] → [${c.out}], shortcut ${c.shortcutLayer}`, () => {
    const model = blockModel(c.input, (x) => residualBlock(x, { ...c.options, name: "b" }));
    assert.deepEqual(model.outputShape, [null, ...c.out]);
    const shortcut = model.layers.find((l) => l.name.startsWith("b_shortcut"));
    assert.equal(shortcut?.getClassName() ?? "none", c.shortcutLayer);
    const convs = model.layers.filter((l) => /^b_conv\d$/.test(l.name)).length;
    assert.equal(convs, c.options.kind === "bottleneck" ? 3 : 2);
    const y = tf.tidy(() => run(model, randomInput([2, ...c.input])).shape);
    assert.deepEqual(y, [2, ...c.out]);
    model.dispose();
  });
}

test("plainBlock has the residual block's layers minus the addition", () => {
  const residual = blockModel([8, 8, 16], (x) => residualBlock(x, { name: "b", filters: 16 }));
  const plain = blockModel([8, 8, 16], (x) => plainBlock(x, { name: "b", filters: 16 }));
  const names = (m: tf.LayersModel) => m.layers.map((l) => l.name).slice(1);
  assert.deepEqual(names(plain), names(residual).filter((n) => n !== "b_add"));
  assert.equal(plain.countParams(), residual.countParams());
});

// The block starts as the identity when its branch is zeroed (fastai BatchZero). Post-activation ends with a
// ReLU after the addition, which is the identity only on non-negative inputs, so those cases feed relu(x).
const identityCases = [
  { preActivation: true, kind: "basic", nonNegative: false },
  { preActivation: true, kind: "bottleneck", nonNegative: false },
  { preActivation: false, kind: "basic", nonNegative: true },
  { preActivation: false, kind: "bottleneck", nonNegative: true },
] as const;
for (const c of identityCases) {
  for (const training of [false, true]) {
    test(`zeroInitResidual ${c.preActivation ? "pre" : "post"}-activation ${c.kind} block is exactly the identity (training ${training})`, () => {
      const filters = c.kind === "bottleneck" ? 4 : 16;
      const model = blockModel([6, 6, 16], (x) => residualBlock(x, { name: "b", filters, kind: c.kind, preActivation: c.preActivation, zeroInitResidual: true }));
      const [x, y] = tf.tidy(() => {
        const raw = randomInput([3, 6, 6, 16], 5);
        const x = c.nonNegative ? tf.relu(raw) : raw;
        return [x, run(model, x, training)];
      });
      assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
      // and it is not the identity without the zero init: the test can fail
      const other = blockModel([6, 6, 16], (z) => residualBlock(z, { name: "b", filters, kind: c.kind, preActivation: c.preActivation }));
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(run(other, x, training), x))).dataSync()[0]);
      assert.ok(diff > 1e-3, `ordinary init differs from the identity (max |Δ| = ${diff})`);
      tf.dispose([x, y]);
    });
  }
}

test("option-A shortcut subsamples x[:, ::2, ::2, :] and pads zero channels", () => {
  const layer = new ZeroPadShortcut({ strides: 2, outChannels: 3 });
  const x = tf.tensor4d(Array.from({ length: 1 * 3 * 3 * 1 }, (_, i) => i + 1), [1, 3, 3, 1]);
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.arraySync(), [[[[1, 0, 0], [3, 0, 0]], [[7, 0, 0], [9, 0, 0]]]]);
  assert.throws(() => new ZeroPadShortcut({ strides: 2, outChannels: 1 }).computeOutputShape([null, 4, 4, 2]), /outChannels \(1\) must be ≥ the input's 2 channels/);
});

// Directional derivatives (L(θ + εv) − L(θ − εv)) / 2ε against ⟨∇L, v⟩ for the input and every weight, along
// v = ∇L/‖∇L‖ (equals ‖∇L‖ only if the gradient is right, by Cauchy–Schwarz) and along a random unit v.
// Unit directions keep each element's step tiny, so ReLU kinks are rarely crossed.
function unit(t: tf.Tensor): tf.Tensor {
  return tf.div(t, tf.norm(t));
}

for (const options of [{ filters: 4, strides: 2, shortcut: "A" }, { filters: 4, preActivation: true, kind: "bottleneck", strides: 2 }, { filters: 6, strides: 2, shortcut: "B" }] as const) {
  test(`residual block gradients match finite differences (${JSON.stringify(options)})`, () => {
    const model = blockModel([5, 5, 3], (x) => residualBlock(x, { ...options, name: "b", seed: 11 }));
    // Non-trivial BN parameters and statistics, so inference-mode BN is not a no-op.
    for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      layer.setWeights(layer.getWeights().map((w, i) => tf.add(tf.randomUniform(w.shape, 0.5, 1.5, "float32", i + 3), i === 1 || i === 2 ? -1 : 0)));
    }
    const x = randomInput([2, 5, 5, 3], 9);
    const r = randomInput([2, ...(model.outputShape as number[]).slice(1)], 10);
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(run(model, input), r)) as tf.Scalar;
    const eps = 1e-3;
    const check = (g: tf.Tensor, at: (step: tf.Tensor) => number, what: string, seed: number) => {
      const norm = tf.norm(g).dataSync()[0];
      for (const [kind, v] of [["gradient", unit(g)], ["random", unit(randomInput(g.shape, seed))]] as const) {
        const analytic = tf.sum(tf.mul(g, v)).dataSync()[0];
        const numeric = (at(tf.mul(v, eps)) - at(tf.mul(v, -eps))) / (2 * eps);
        assert.ok(Math.abs(numeric - analytic) <= 1e-2 * Math.max(norm, 1e-3), `${what} (${kind} direction): finite difference ${numeric} vs gradient ${analytic}, ‖g‖ = ${norm}`);
      }
    };
    check(tf.grad(loss)(x), (step) => loss(tf.add(x, step)).dataSync()[0], "input", 12);
    const { grads } = tf.variableGrads(() => loss(x));
    model.trainableWeights.forEach((w, i) => {
      const variable = (w as unknown as { val: tf.Variable }).val;
      assert.ok(grads[variable.name], `gradient for ${w.name}`);
      const original = variable.clone();
      check(grads[variable.name], (step) => {
        variable.assign(tf.add(original, step));
        return loss(x).dataSync()[0];
      }, w.name, 20 + i);
      variable.assign(original);
    });
  });
}

const badOptions: [Partial<ResidualBlockOptions>, RegExp][] = [
  [{ filters: 0 }, /filters must be a positive integer, got 0/],
  [{ filters: 8, strides: 1.5 }, /strides must be a positive integer, got 1.5/],
  [{ filters: 8, kind: "wide" as never }, /kind must be "basic" or "bottleneck", got "wide"/],
  [{ filters: 8, shortcut: "C" as never }, /shortcut must be "A" \(zero-padding\) or "B" \(projection\), got "C"/],
  [{ filters: 4, shortcut: "A" }, /shortcut "A" \(zero-padding\) cannot reduce channels \(16 → 4\)/],
  [{ filters: 16, skip: "none", zeroInitResidual: true }, /zeroInitResidual needs skip "add"/],
];
for (const [options, message] of badOptions) {
  test(`residualBlock rejects ${JSON.stringify(options)}`, () => {
    assert.throws(() => residualBlock(tf.input({ shape: [8, 8, 16] }), { name: "b", ...options } as ResidualBlockOptions), message);
  });
}
