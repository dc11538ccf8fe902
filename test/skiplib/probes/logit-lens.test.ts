import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { sequenceTask } from "../../../src/skiplib/data/sequence-tasks";
import { transformer } from "../../../src/skiplib/models/transformer";
import { logitLens } from "../../../src/skiplib/probes/logit-lens";
import { evaluateTokens } from "../../../src/skiplib/train/sequence";

const data = () => sequenceTask({ samples: 64, length: 3, digits: 4, seed: 2 });
const options = { vocabSize: 5, maxLength: 6, dModel: 8, numHeads: 2, depth: 3 };

test("the logit lens decodes stream0 … stream{depth}; the last decoding is the model's own output", () => {
  const { x, y } = data();
  for (const norm of ["pre", "post"] as const) {
    const model = transformer({ ...options, norm, seed: 3 });
    const rows = logitLens(model, x, y);
    assert.deepEqual(rows.map((r) => [r.layer, r.depth]), [["stream0", 0], ["stream1", 1], ["stream2", 2], ["stream3", 3]]);
    const own = evaluateTokens(model, { x, y });
    assert.equal(rows[3].accuracy, own.accuracy);
    assert.ok(Math.abs(rows[3].loss - own.loss) < 1e-6, `${norm}: last stream loss ${rows[3].loss} vs the model's ${own.loss}`);
    model.dispose();
  }
  tf.dispose([x, y]);
});

test("in a pre-LN model whose blocks add nothing, every stream is the embedding and decodes alike", () => {
  const { x, y } = data();
  const model = transformer({ ...options, norm: "pre", seed: 4 });
  for (const layer of model.layers.filter((l) => /_(attn|mlp)$/.test(l.name))) {
    layer.setWeights(layer.getWeights().map((w, i) => (i >= 2 ? tf.zerosLike(w) : w))); // the last projection of each branch
  }
  const rows = logitLens(model, x, y);
  assert.ok(rows.every((r) => Math.abs(r.loss - rows[0].loss) < 1e-6 && r.accuracy === rows[0].accuracy));
  const before = tf.memory().numTensors;
  logitLens(model, x, y);
  assert.equal(tf.memory().numTensors, before, "the probe leaks no tensors");
  tf.dispose([x, y]);
  model.dispose();
});

test("the logit lens names what it needs", () => {
  const { x, y } = data();
  const mlp = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [6] })] });
  assert.throws(() => logitLens(mlp, x, y), /has no stream0 … streamN layers; build it with transformer\(\)/);
  const model = transformer({ ...options, seed: 1 });
  assert.throws(() => logitLens(model, x, y.slice(0, 10)), /x and y must hold the same number of sequences, got 64 and 10/);
  tf.dispose([x, y]);
  [mlp, model].forEach((m) => m.dispose());
});
