import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { positionTokenBaseline, sequenceTask } from "../../../src/skiplib/data/sequence-tasks";

test("sorting: the model reads x₁…xₙ SEP y₁…yₙ₋₁ and is scored on y₁…yₙ = sorted x only", () => {
  const task = sequenceTask({ task: "sort", samples: 50, length: 5, digits: 7, seed: 3 });
  assert.deepEqual(task.x.shape, [50, 10]);
  assert.deepEqual([task.vocabSize, task.positions, task.answerStart], [8, 10, 5]);
  const [xs, ys] = [task.x.arraySync(), task.y.arraySync()];
  for (let s = 0; s < 50; s++) {
    const input = xs[s].slice(0, 5);
    const sorted = [...input].sort((a, b) => a - b);
    assert.equal(xs[s][5], 7, "the separator is the token `digits`");
    assert.deepEqual(xs[s].slice(6), sorted.slice(0, 4), "the model reads the answer so far (teacher forcing)");
    assert.deepEqual(ys[s].slice(0, 5), [-1, -1, -1, -1, -1], "the random prompt is not scored");
    assert.deepEqual(ys[s].slice(5), sorted, "each answer position predicts the next sorted token");
    assert.ok(input.every((d) => d >= 0 && d < 7));
  }
  tf.dispose([task.x, task.y]);
});

test("reversal, seeds and bad options", () => {
  const a = sequenceTask({ task: "reverse", samples: 20, length: 4, seed: 1 });
  const b = sequenceTask({ task: "reverse", samples: 20, length: 4, seed: 1 });
  const c = sequenceTask({ task: "reverse", samples: 20, length: 4, seed: 2 });
  const row = a.x.arraySync()[0];
  assert.deepEqual(a.y.arraySync()[0].slice(4), row.slice(0, 4).reverse());
  assert.deepEqual(a.x.arraySync(), b.x.arraySync());
  assert.notDeepEqual(a.x.arraySync(), c.x.arraySync());
  // every digit appears: the generator covers its range
  assert.equal(new Set(sequenceTask({ samples: 200, seed: 5 }).x.slice([0, 0], [200, 6]).dataSync()).size, 10);
  assert.throws(() => sequenceTask({ task: "copy" as "sort" }), /task must be one of sort, reverse, got "copy"/);
  assert.throws(() => sequenceTask({ length: 1 }), /length must be an integer ≥ 2 \(tokens per sequence\), got 1/);
  assert.throws(() => sequenceTask({ digits: 1 }), /digits must be an integer ≥ 2 \(distinct tokens\), got 1/);
  assert.throws(() => sequenceTask({ samples: 0 }), /samples must be an integer from 1/);
  tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y]);
});

test("the position-and-token baseline: high where the next token follows from the current one, near chance where it does not", () => {
  // reversing 2 digits: the answers x₂ then x₁ follow from neither the separator nor x₂, so it is near chance (1/10)
  const reverse = [sequenceTask({ task: "reverse", samples: 2000, length: 2, digits: 10, seed: 1 }), sequenceTask({ task: "reverse", samples: 500, length: 2, digits: 10, seed: 2 })];
  const low = positionTokenBaseline(reverse[0], reverse[1]);
  assert.ok(low < 0.2, `reversal baseline ${low}`);
  // sorting 3 binary digits: mostly decided by the current token and position (after a 1 comes a 1)
  const constant = [sequenceTask({ samples: 50, digits: 2, length: 3, seed: 1 }), sequenceTask({ samples: 50, digits: 2, length: 3, seed: 2 })];
  const high = positionTokenBaseline(constant[0], constant[1]);
  assert.ok(high > 0.6, `binary sorting baseline ${high}`);
  assert.throws(() => positionTokenBaseline(reverse[0], constant[1]), /same length, got 4 and 6 positions/);
  tf.dispose([...reverse, ...constant].flatMap((t) => [t.x, t.y]));
});
