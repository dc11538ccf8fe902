import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { denseBlock, denseLayer, transitionLayer } from "../../../src/skiplib/blocks/dense";
import { blockModel, randomInput, run } from "./helpers";

const blockCases = [
  { c0: 16, layers: 1, k: 12, bottleneck: false },
  { c0: 24, layers: 4, k: 12, bottleneck: true },
  { c0: 3, layers: 6, k: 5, bottleneck: false },
  { c0: 8, layers: 3, k: 32, bottleneck: true },
];
for (const c of blockCases) {
  const out = c.c0 + c.layers * c.k;
  test(`denseBlock c0=${c.c0}, L=${c.layers}, k=${c.k}${c.bottleneck ? ", bottleneck" : ""} outputs c0 + L·k = ${out} channels`, () => {
    const model = blockModel([6, 6, c.c0], (x) => denseBlock(x, { name: "block1", layers: c.layers, growthRate: c.k, bottleneck: c.bottleneck }));
    assert.deepEqual(model.outputShape, [null, 6, 6, out]);
    assert.equal(model.layers.filter((l) => l.getClassName() === "Concatenate").length, c.layers);
    assert.equal(model.layers.filter((l) => l.getClassName() === "Conv2D").length, c.layers * (c.bottleneck ? 2 : 1));
    const shape = tf.tidy(() => run(model, randomInput([2, 6, 6, c.c0])).shape);
    assert.deepEqual(shape, [2, 6, 6, out]);
    model.dispose();
  });
}

test("a dense layer passes its input through unchanged in the first c0 channels", () => {
  const model = blockModel([4, 4, 5], (x) => denseLayer(x, { name: "l", growthRate: 3, bottleneck: true }));
  const x = randomInput([2, 4, 4, 5]);
  const y = run(model, x, true);
  assert.deepEqual(Array.from(y.slice([0, 0, 0, 0], [2, 4, 4, 5]).dataSync()), Array.from(x.dataSync()));
  assert.ok(tf.max(tf.abs(y.slice([0, 0, 0, 5], [2, 4, 4, 3]))).dataSync()[0] > 0, "the new channels carry the layer's features");
  assert.equal(model.getLayer("l_conv1").getConfig().filters, 12, "bottleneck width 4k");
  tf.dispose([x, y]);
});

const transitionCases = [
  { c: 48, theta: 0.5, out: 24 },
  { c: 45, theta: 0.5, out: 22 },
  { c: 16, theta: 1, out: 16 },
  { c: 10, theta: 0.05, out: 1 },
];
for (const c of transitionCases) {
  test(`transitionLayer θ=${c.theta} on ${c.c} channels keeps ⌊θ·c⌋ = ${c.out} and halves 8×8`, () => {
    const model = blockModel([8, 8, c.c], (x) => transitionLayer(x, { name: "t", compression: c.theta }));
    assert.deepEqual(model.outputShape, [null, 4, 4, c.out]);
  });
}

const bad: [string, () => unknown, RegExp][] = [
  ["growth rate −4", () => denseLayer(tf.input({ shape: [4, 4, 3] }), { name: "l", growthRate: -4 }), /growthRate must be a positive integer.*got -4/],
  ["growth rate 0", () => denseBlock(tf.input({ shape: [4, 4, 3] }), { name: "b", layers: 2, growthRate: 0 }), /growthRate must be a positive integer.*got 0/],
  ["zero layers", () => denseBlock(tf.input({ shape: [4, 4, 3] }), { name: "b", layers: 0, growthRate: 4 }), /layers must be a positive integer, got 0/],
  ["compression 0", () => transitionLayer(tf.input({ shape: [4, 4, 8] }), { name: "t", compression: 0 }), /compression must be in \(0, 1\].*got 0/],
  ["compression 1.5", () => transitionLayer(tf.input({ shape: [4, 4, 8] }), { name: "t", compression: 1.5 }), /compression must be in \(0, 1\].*got 1.5/],
];
for (const [what, build, message] of bad) {
  test(`dense blocks reject ${what}`, () => assert.throws(build, message));
}
