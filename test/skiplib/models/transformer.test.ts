import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { residualStreamNames, transformer, transformerDepth, TRANSFORMER_VARIANTS } from "../../../src/skiplib/models/transformer";

const small = { vocabSize: 6, maxLength: 5, dModel: 8, numHeads: 2, depth: 3 };
const tokens = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], "int32");

describe("transformer()", () => {
  test("tokens [batch, T] → logits [batch, T, vocab], with the residual stream named stream0 … stream{depth}", () => {
    const model = transformer(small);
    const x = tokens([[0, 1, 2, 3, 4], [5, 5, 0, 1, 2]]);
    const y = model.predict(x) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 5, 6]);
    assert.deepEqual(residualStreamNames(model), ["stream0", "stream1", "stream2", "stream3"]);
    assert.equal(transformerDepth(model), 3);
    tf.dispose([x, y]);
    model.dispose();
  });

  test("causal by default: the logits at position t do not change when the tokens after t change", () => {
    for (const variant of Object.values(TRANSFORMER_VARIANTS)) {
      const model = transformer({ ...small, ...variant, seed: 4 });
      const [a, b] = [tokens([[1, 2, 3, 4, 5]]), tokens([[1, 2, 3, 0, 0]])];
      const [ya, yb] = [model.predict(a), model.predict(b)] as tf.Tensor[];
      const diff = tf.tidy(() => Array.from(tf.max(tf.abs(tf.sub(ya, yb)), [0, 2]).dataSync()));
      assert.deepEqual(diff.slice(0, 3), [0, 0, 0], `${JSON.stringify(variant)}: positions 0–2 changed by ${diff.slice(0, 3)}`);
      assert.ok(diff[3] > 1e-4 && diff[4] > 1e-4, "positions 3–4 see their own new tokens");
      tf.dispose([a, b, ya, yb]);
      model.dispose();
    }
  });

  test("the three variants have equal parameter counts; the same seed gives the same weights, another seed others", () => {
    const counts = Object.values(TRANSFORMER_VARIANTS).map((v) => {
      const m = transformer({ ...small, ...v });
      const n = m.countParams();
      m.dispose();
      return n;
    });
    assert.equal(new Set(counts).size, 1);
    const [a, b, c] = [transformer({ ...small, seed: 1 }), transformer({ ...small, seed: 1 }), transformer({ ...small, seed: 2 })];
    const flat = (m: tf.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    assert.deepEqual(flat(a), flat(b));
    assert.notDeepEqual(flat(a), flat(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  test("round-trips through toJSON/modelFromJSON and save/load with the same outputs", async () => {
    const model = transformer({ ...small, norm: "post" });
    model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.1, "float32", i))));
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(topology, saved!.weightSpecs, saved!.weightData));
    assert.deepEqual(loaded.layers.map((l) => `${l.name}:${l.getClassName()}`), model.layers.map((l) => `${l.name}:${l.getClassName()}`));
    const x = tokens([[3, 1, 4, 1, 5]]);
    const [y0, y1] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
    assert.deepEqual(Array.from(y1.dataSync()), Array.from(y0.dataSync()));
    const fromJson = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON["modelTopology"] });
    assert.equal(fromJson.countParams(), model.countParams());
    tf.dispose([x, y0, y1]);
    [model, loaded, fromJson].forEach((m) => m.dispose());
  });

  test("bad options are named with what would be right", () => {
    assert.throws(() => transformer({ ...small, dModel: 9 }), /dModel \(9\) must be a multiple of numHeads \(2\)/);
    assert.throws(() => transformer({ ...small, depth: 0 }), /depth must be an integer ≥ 1 \(Transformer blocks\), got 0/);
    assert.throws(() => transformer({ ...small, norm: "mid" as "pre" }), /norm must be "pre".*got "mid"/);
    const mlp = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    assert.throws(() => residualStreamNames(mlp), /has no stream0 … streamN layers; build it with transformer\(\)/);
    mlp.dispose();
  });

  test("building, predicting and disposing leaks no tensors", () => {
    const before = tf.memory().numTensors;
    const model = transformer(small);
    const x = tokens([[0, 1, 2, 3, 4]]);
    tf.dispose(model.predict(x));
    x.dispose();
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
