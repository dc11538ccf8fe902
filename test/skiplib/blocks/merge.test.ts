import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { skipMerge } from "../../../src/skiplib/blocks/merge";

const cases = [
  { mode: "add", a: [4, 4, 8], b: [4, 4, 8], out: [4, 4, 8] },
  { mode: "concat", a: [4, 4, 8], b: [4, 4, 3], out: [4, 4, 11] },
  { mode: "none", a: [4, 4, 8], b: [2, 2, 16], out: [2, 2, 16] },
  { mode: "add", a: [5], b: [5], out: [5] },
] as const;

for (const c of cases) {
  test(`skipMerge("${c.mode}") of [${c.a}] and [${c.b}] has shape [${c.out}]`, () => {
    const a = tf.input({ shape: [...c.a] });
    const b = tf.input({ shape: [...c.b] });
    const y = skipMerge(c.mode, `m_${c.mode}`)(a, b);
    assert.deepEqual(y.shape, [null, ...c.out]);
    if (c.mode === "none") assert.equal(y, b, "no merge layer: the branch itself");
  });
}

test("skipMerge computes shortcut + branch, [shortcut, branch] and branch", () => {
  const a = tf.input({ shape: [3] });
  const b = tf.input({ shape: [3] });
  const model = tf.model({ inputs: [a, b], outputs: (["add", "concat", "none"] as const).map((m) => skipMerge(m, `m_${m}`)(a, b)) });
  const [add, concat, none] = model.predict([tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[10, 20, 30]])]) as tf.Tensor[];
  assert.deepEqual(add.arraySync(), [[11, 22, 33]]);
  assert.deepEqual(concat.arraySync(), [[1, 2, 3, 10, 20, 30]]);
  assert.deepEqual(none.arraySync(), [[10, 20, 30]]);
});

test("skipMerge rejects mismatched shapes naming both, and unknown modes", () => {
  const a = tf.input({ shape: [8, 8, 16] });
  assert.throws(() => skipMerge("add", "x_add")(a, tf.input({ shape: [4, 4, 32] })), /skipMerge\("add"\) at "x_add" needs equal shapes, got shortcut \[8,8,16\] and branch \[4,4,32\]/);
  assert.throws(() => skipMerge("concat", "x_cat")(a, tf.input({ shape: [4, 4, 16] })), /equal shapes except channels.*\[8,8,16\].*\[4,4,16\]/);
  assert.throws(() => skipMerge("mul" as never, "x"), /mode must be one of add, concat, none, got "mul"/);
});
