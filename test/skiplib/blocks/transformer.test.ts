import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { causalMask, MultiHeadSelfAttention } from "../../../src/skiplib/blocks/attention";
import { FeedForward } from "../../../src/skiplib/blocks/feed-forward";
import { LayerNorm, layerNormalize } from "../../../src/skiplib/blocks/layer-norm";
import { PositionEmbedding, transformerBlock } from "../../../src/skiplib/blocks/transformer";
import { blockModel, randomInput, run } from "./helpers";

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe("LayerNorm", () => {
  test("normalises each position to mean β and standard deviation γ, as the formula", () => {
    const x = randomInput([3, 4, 6], 2);
    const layer = new LayerNorm({ name: "ln" });
    const y = layer.apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, -1);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-6);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
    tf.dispose([x, y, mean, variance]);
    layer.dispose();
  });

  test("its closed-form gradient equals automatic differentiation of the forward formula", () => {
    const x = randomInput([2, 5, 7], 3);
    const gamma = randomInput([7], 4);
    const beta = randomInput([7], 5);
    const r = randomInput([2, 5, 7], 6);
    const autodiff = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const centered = tf.sub(a, tf.mean(a, -1, true));
      const normalized = tf.div(centered, tf.sqrt(tf.add(tf.mean(tf.square(centered), -1, true), 1e-5)));
      return tf.sum(tf.mul(r, tf.add(tf.mul(normalized, g), b)));
    };
    const ours = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, layerNormalize(a, g, b, 1e-5))))([x, gamma, beta]);
    const reference = tf.grads(autodiff)([x, gamma, beta]);
    ["x", "γ", "β"].forEach((name, i) => assert.ok(maxAbsDiff(ours[i], reference[i]) < 1e-4, `∂/∂${name} differs by ${maxAbsDiff(ours[i], reference[i])}`));
    tf.dispose([x, gamma, beta, r, ...ours, ...reference]);
  });

  test("rejects a non-positive epsilon", () => {
    assert.throws(() => new LayerNorm({ epsilon: 0 }), /epsilon must be positive, got 0/);
  });
});

describe("MultiHeadSelfAttention", () => {
  test("causal: the output at position t does not change when tokens after t change; without the mask it does", () => {
    for (const causal of [true, false]) {
      const model = blockModel([5, 8], (x) => new MultiHeadSelfAttention({ numHeads: 2, causal, seed: 1 }).apply(x) as tf.SymbolicTensor);
      const x = randomInput([2, 5, 8], 7);
      const changed = tf.concat([x.slice([0, 0, 0], [2, 3, 8]), randomInput([2, 2, 8], 8)], 1); // positions 3 and 4 differ
      const [a, b] = [run(model, x), run(model, changed)];
      const early = maxAbsDiff(a.slice([0, 0, 0], [2, 3, 8]), b.slice([0, 0, 0], [2, 3, 8]));
      const late = maxAbsDiff(a.slice([0, 3, 0], [2, 2, 8]), b.slice([0, 3, 0], [2, 2, 8]));
      assert.ok(late > 1e-3, "changed tokens must change their own positions' outputs");
      if (causal) assert.equal(early, 0, `positions 0–2 must not see positions 3–4, max change ${early}`);
      else assert.ok(early > 1e-3, "bidirectional attention must let early positions see later tokens");
      tf.dispose([x, changed, a, b]);
      model.dispose();
    }
  });

  test("the causal mask is 0 on and below the diagonal and very negative above it", () => {
    const mask = causalMask(3);
    assert.deepEqual(mask.arraySync(), [[0, -1e9, -1e9], [0, 0, -1e9], [0, 0, 0]]);
    mask.dispose();
  });

  test("checks heads against the width and the input's rank", () => {
    assert.throws(() => new MultiHeadSelfAttention({ numHeads: 0 }), /numHeads must be a positive integer, got 0/);
    assert.throws(() => blockModel([4, 6], (x) => new MultiHeadSelfAttention({ numHeads: 4, name: "att" }).apply(x) as tf.SymbolicTensor),
      /"att": features \(6\) must be a multiple of numHeads \(4\)/);
    assert.throws(() => blockModel([6], (x) => new MultiHeadSelfAttention({ numHeads: 2, name: "att" }).apply(x) as tf.SymbolicTensor),
      /"att" takes \[batch, positions, features\], got \[null, 6\]/);
  });
});

describe("transformerBlock", () => {
  const build = (norm: "pre" | "post", residual: boolean) => blockModel([4, 8], (x) => transformerBlock(x, { name: "b", numHeads: 2, mlpDim: 16, norm, residual, seed: 2 }));

  test("pre-LN with zeroed branch outputs is the identity; post-LN is then LayerNorm(x)", () => {
    const x = randomInput([2, 4, 8], 9);
    for (const norm of ["pre", "post"] as const) {
      const model = build(norm, true);
      // zero the last projection of both branches: F(·) = 0
      for (const name of ["b_attn", "b_mlp"]) {
        const layer = model.getLayer(name);
        layer.setWeights(layer.getWeights().map((w, i) => (i >= 2 ? tf.zerosLike(w) : w)));
      }
      const y = run(model, x);
      const expected = norm === "pre" ? x : tf.tidy(() => layerNormalize(layerNormalize(x, tf.ones([8]), tf.zeros([8]), 1e-5), tf.ones([8]), tf.zeros([8]), 1e-5));
      assert.ok(maxAbsDiff(y, expected) < 1e-5, `${norm}-LN block with F = 0`);
      if (expected !== x) expected.dispose();
      y.dispose();
      model.dispose();
    }
    x.dispose();
  });

  test("the three variants have the same weights and differ only in the skips and where the norms sit", () => {
    const names = (m: tf.LayersModel) => m.layers.map((l) => l.name);
    const [pre, post, plain] = [build("pre", true), build("post", true), build("pre", false)];
    const shapes = (m: tf.LayersModel) => m.weights.map((w) => `${w.originalName}:${w.shape}`).sort();
    assert.deepEqual(shapes(pre), shapes(post));
    assert.deepEqual(shapes(plain), shapes(pre));
    assert.ok(names(pre).includes("b_attn_add") && names(pre).includes("b_mlp_add"));
    assert.ok(!names(plain).some((n) => n.endsWith("_add")), "no residual: no Add layers");
    [pre, post, plain].forEach((m) => m.dispose());
  });

  test("rejects an unknown norm position", () => {
    assert.throws(() => build("middle" as "pre", true), /norm must be "pre" \(x \+ F\(LN\(x\)\)\) or "post" \(LN\(x \+ F\(x\)\)\), got "middle"/);
  });
});

describe("PositionEmbedding and FeedForward", () => {
  test("adds one learned vector per position; rejects sequences longer than the table", () => {
    const model = blockModel([3, 4], (x) => new PositionEmbedding({ maxLength: 5, seed: 1, name: "pos" }).apply(x) as tf.SymbolicTensor);
    const zeros = tf.zeros([2, 3, 4]);
    const y = run(model, zeros);
    const table = model.getLayer("pos").getWeights()[0];
    assert.deepEqual(y.arraySync(), [0, 1].map(() => table.slice([0, 0], [3, 4]).arraySync()));
    assert.throws(() => blockModel([6, 4], (x) => new PositionEmbedding({ maxLength: 5, name: "pos" }).apply(x) as tf.SymbolicTensor), /"pos": 6 positions exceed maxLength 5/);
    tf.dispose([zeros, y]);
    model.dispose();
  });

  test("FeedForward is max(0, xW₁ + b₁)W₂ + b₂ at every position", () => {
    const model = blockModel([3, 4], (x) => new FeedForward({ hiddenUnits: 6, seed: 3, name: "ffn" }).apply(x) as tf.SymbolicTensor);
    const layer = model.getLayer("ffn");
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, "float32", 20 + i)));
    const [w1, b1, w2, b2] = layer.getWeights();
    const x = randomInput([2, 3, 4], 11);
    const y = run(model, x);
    const expected = tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x.reshape([6, 4]), w1), b1)), w2), b2).reshape([2, 3, 4]));
    assert.ok(maxAbsDiff(y, expected) < 1e-5);
    assert.throws(() => new FeedForward({ hiddenUnits: 0 }), /hiddenUnits must be a positive integer, got 0/);
    tf.dispose([x, y, expected]);
    model.dispose();
  });
});
