import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { highwayBlock } from "../../../src/skiplib/blocks/highway";
import { blockModel, randomInput, run } from "./helpers";

for (const activation of ["relu", "tanh", "sigmoid"] as const) {
  test(`highwayBlock (${activation}) computes T·H + (1 − T)·x from its own gate and transform`, () => {
    const model = blockModel([6], (x) => highwayBlock(x, { name: "hw", activation, gateBias: -1 }));
    assert.deepEqual(model.outputShape, [null, 6]);
    const x = randomInput([4, 6], 2);
    const apply = (name: string, act: (t: tf.Tensor) => tf.Tensor) => {
      const [w, b] = model.getLayer(name).getWeights();
      return act(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b));
    };
    const h = apply("hw_transform", (t) => tf[activation](t));
    const t = apply("hw_gate", (z) => tf.sigmoid(z));
    const expected = tf.add(tf.mul(t, h), tf.mul(tf.sub(1, t), x));
    const diff = tf.max(tf.abs(tf.sub(run(model, x), expected))).dataSync()[0];
    assert.ok(diff < 1e-6, `max |Δ| = ${diff}`);
  });
}

test("the gate bias starts at gateBias, so T ≈ σ(b) and most of x is carried", () => {
  for (const gateBias of [0, -2, -10]) {
    const model = blockModel([5], (x) => highwayBlock(x, { name: "hw", gateBias }));
    assert.deepEqual(Array.from(model.getLayer("hw_gate").getWeights()[1].dataSync()), [gateBias, gateBias, gateBias, gateBias, gateBias]);
  }
  // with a very negative bias and a small input the block is nearly the identity
  const model = blockModel([5], (x) => highwayBlock(x, { name: "hw", gateBias: -10 }));
  const x = tf.mul(randomInput([3, 5]), 0.1);
  assert.ok(tf.max(tf.abs(tf.sub(run(model, x), x))).dataSync()[0] < 1e-4);
});

test("highwayBlock rejects a gate bias outside [-10, 0] and an unknown activation", () => {
  const x = tf.input({ shape: [4] });
  assert.throws(() => highwayBlock(x, { name: "hw", gateBias: 1 }), /gateBias must be in \[-10, 0\].*got 1/);
  assert.throws(() => highwayBlock(x, { name: "hw", gateBias: Number.NaN }), /gateBias must be in \[-10, 0\]/);
  assert.throws(() => highwayBlock(x, { name: "hw", activation: "gelu" as never }), /activation must be one of sigmoid, tanh, relu, got "gelu"/);
});
