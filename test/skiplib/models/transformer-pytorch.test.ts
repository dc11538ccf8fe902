// The same weights in PyTorch's own Transformer modules (reference/transformer.py: nn.TransformerEncoderLayer with
// norm_first true/false, nn.MultiheadAttention, nn.LayerNorm; float64) must give the same logits, loss and gradient
// for every weight. Tolerance: float32 against float64 on 2-block models, so 1e-4 of each quantity's scale.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tf } from "../../../src/skiplib/backend";
import { transformer, type TransformerOptions } from "../../../src/skiplib/models/transformer";
import { tokenCrossEntropy } from "../../../src/skiplib/train/token-loss";
import { variablesOf } from "../../../src/skiplib/probes/weight-snapshot";
import { torchPython } from "../probes/torch-export";

const REFERENCE = join(__dirname, "..", "reference", "transformer.py");
const TOLERANCE = 1e-4;

interface Reference {
  logits: number[][][];
  loss: number;
  grads: Record<string, Record<string, unknown>>;
}

const shortName = (w: tf.LayerVariable) => w.originalName.split("/").pop()!;

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const base = { vocabSize: 7, maxLength: 6, dModel: 8, numHeads: 2, depth: 2, mlpDim: 12 };
const cases: { title: string; options: TransformerOptions }[] = [
  { title: "pre-LN, causal (x + F(LN(x)); norm_first=True)", options: { ...base, norm: "pre", residual: true, causal: true, seed: 3 } },
  { title: "post-LN, causal (LN(x + F(x)); norm_first=False)", options: { ...base, norm: "post", residual: true, causal: true, seed: 4 } },
  { title: "no residual, causal (the control without the additions)", options: { ...base, norm: "pre", residual: false, causal: true, seed: 5 } },
  { title: "post-LN, bidirectional, 3 heads", options: { ...base, dModel: 9, numHeads: 3, norm: "post", residual: true, causal: false, seed: 6 } },
];

test(`Transformer logits, loss and every weight's gradient match PyTorch on the same weights within ${TOLERANCE} of their scale`, async (t) => {
  const python = await torchPython();
  const x = tf.tensor2d([[6, 0, 3, 3, 1, 5], [2, 4, 4, 0, 6, 1], [1, 1, 5, 2, 0, 3]], [3, 6], "int32");
  const y = tf.tensor2d([[-1, -1, 2, 0, 4, 6], [-1, -1, 1, 1, 3, 5], [-1, -1, 0, 2, 2, 6]], [3, 6], "int32");
  const models = cases.map((c) => {
    const model = transformer(c.options);
    // every weight moved off its init (LayerNorm γ ≠ 1, biases ≠ 0), so the check sees each one used
    model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, "float32", 100 + i))));
    return model;
  });
  const specs = cases.map((c, i) => {
    const weights: Record<string, Record<string, unknown>> = {};
    for (const layer of models[i].layers) for (const w of layer.weights) (weights[layer.name] ??= {})[shortName(w)] = w.read().arraySync();
    return { config: c.options, weights, x: x.arraySync(), y: y.arraySync() };
  });
  const run = spawnSync(python, [REFERENCE], { input: JSON.stringify(specs), encoding: "utf8", maxBuffer: 1 << 26 });
  assert.equal(run.status, 0, run.stderr);
  const references = JSON.parse(run.stdout) as Reference[];

  for (const [i, c] of cases.entries()) {
    await t.test(c.title, () => {
      const [model, reference] = [models[i], references[i]];
      const variables = variablesOf(model.trainableWeights);
      const { value, grads } = tf.variableGrads(() => tokenCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), variables);
      const logits = model.predict(x) as tf.Tensor;
      const refLogits = reference.logits.flat(2);
      const logitError = maxAbsDiff(logits.dataSync(), refLogits);
      assert.ok(logitError < TOLERANCE * Math.max(1, maxAbs(refLogits)), `logits differ by up to ${logitError}`);
      const loss = value.dataSync()[0];
      assert.ok(Math.abs(loss - reference.loss) < TOLERANCE * reference.loss, `loss ${loss} vs PyTorch ${reference.loss}`);
      for (const layer of model.layers) {
        for (const w of layer.trainableWeights) {
          const what = `${layer.name}/${shortName(w)}`;
          const expected = reference.grads[layer.name]?.[shortName(w)];
          assert.ok(expected !== undefined, `PyTorch has no gradient for ${what}`);
          const flat = [expected].flat(3) as number[];
          const scale = maxAbs(flat);
          const error = maxAbsDiff(grads[(w.read() as tf.Variable).name].dataSync(), flat);
          assert.ok(scale > 0, `${what}: PyTorch's gradient is all zeros, so the check would be empty`);
          assert.ok(error <= TOLERANCE * scale, `${what}: max |Δ| ${error.toExponential(2)} against max |g| ${scale.toExponential(2)}`);
        }
      }
      assert.equal(Object.keys(grads).length, variables.length);
      tf.dispose([value, logits, ...Object.values(grads)]);
      model.dispose();
    });
  }
  tf.dispose([x, y]);
});
