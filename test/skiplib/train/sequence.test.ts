import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { sequenceTask } from "../../../src/skiplib/data/sequence-tasks";
import { transformer } from "../../../src/skiplib/models/transformer";
import { evaluateTokens, trainSequenceModel, warmupLearningRate } from "../../../src/skiplib/train/sequence";
import { tokenAccuracy, tokenCrossEntropy } from "../../../src/skiplib/train/token-loss";

test("token loss and accuracy count the scored positions only", () => {
  // two positions scored: one certain and right, one uniform over 2 classes (argmax picks class 0, the target)
  const logits = tf.tensor3d([[[0, 50], [0, 0], [9, 0]]]);
  const targets = tf.tensor2d([[1, 0, -1]], [1, 3], "int32");
  assert.ok(Math.abs(tokenCrossEntropy(targets, logits).dataSync()[0] - Math.log(2) / 2) < 1e-6);
  assert.equal(tokenAccuracy(targets, logits), 1);
  const wrong = tf.tensor2d([[0, -1, 1]], [1, 3], "int32");
  assert.equal(tokenAccuracy(wrong, logits), 0);
  tf.dispose([logits, targets, wrong]);
});

test("warm-up rises linearly to the peak, then holds", () => {
  assert.deepEqual([1, 5, 10, 20].map((s) => warmupLearningRate(s, 1e-3, 10)), [1e-4, 5e-4, 1e-3, 1e-3]);
  assert.equal(warmupLearningRate(1, 1e-3, 0), 1e-3);
});

test("flat Adam gives the same weights as tfjs's Adam with the same settings", () => {
  const data = sequenceTask({ samples: 16, length: 3, digits: 4, seed: 1 });
  const options = { vocabSize: 5, maxLength: 6, dModel: 8, numHeads: 2, depth: 1, seed: 7 };
  const [ours, stock] = [transformer(options), transformer(options)];
  trainSequenceModel(ours, data, { steps: 3, batchSize: 16, learningRate: 1e-2, progress: "silent" });
  const adam = tf.train.adam(1e-2, 0.9, 0.98, 1e-9);
  for (let i = 0; i < 3; i++) {
    // the whole set is one batch, so the order cannot differ
    tf.dispose(adam.minimize(() => tokenCrossEntropy(data.y, stock.apply(data.x, { training: true }) as tf.Tensor), true) ?? []);
  }
  // The key bias is left out: softmax ignores a constant added to a row of scores, so its gradient is 0 in exact
  // arithmetic and Adam moves it by ±lr·noise/|noise|, which differs with the (shuffled) order of the batch's sums.
  const d = options.dModel;
  const withoutKeyBias = (w: tf.LayerVariable) =>
    w.originalName.endsWith("qkv_bias") ? tf.concat([w.read().slice(0, d), w.read().slice(2 * d)]) : w.read();
  const diffs = ours.weights.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(withoutKeyBias(w), withoutKeyBias(stock.weights[i])))).dataSync()[0]));
  assert.ok(Math.max(...diffs) < 1e-5, `weights differ by up to ${Math.max(...diffs)}`);
  adam.dispose();
  tf.dispose([data.x, data.y]);
  [ours, stock].forEach((m) => m.dispose());
});

test("a 1-block Transformer learns to reverse 3 tokens; training keeps tf.memory().numTensors flat", () => {
  const train = sequenceTask({ task: "reverse", samples: 512, length: 3, digits: 5, seed: 1 });
  const heldOut = sequenceTask({ task: "reverse", samples: 128, length: 3, digits: 5, seed: 2 });
  const model = transformer({ vocabSize: 6, maxLength: 6, dModel: 16, numHeads: 2, depth: 1, seed: 1 });
  const before = evaluateTokens(model, heldOut);
  trainSequenceModel(model, train, { steps: 2, progress: "silent" });
  const tensors = tf.memory().numTensors;
  const history = trainSequenceModel(model, train, { steps: 150, learningRate: 3e-3, warmupSteps: 10, evalEvery: 50, evalData: heldOut, progress: "silent" });
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(history.evalSteps, [50, 100, 150]);
  assert.equal(history.loss.length, 150);
  assert.ok(before.accuracy < 0.5, `untrained accuracy ${before.accuracy}`);
  assert.ok(history.evalAccuracy[2] > 0.9, `held-out accuracy after training ${history.evalAccuracy[2]}`);
  tf.dispose([train.x, train.y, heldOut.x, heldOut.y]);
  model.dispose();
});

test("a diverging run stops at the first non-finite loss and says where", () => {
  const data = sequenceTask({ samples: 64, length: 3, digits: 4, seed: 1 });
  const model = transformer({ vocabSize: 5, maxLength: 6, dModel: 8, numHeads: 2, depth: 1, seed: 2 });
  model.setWeights(model.getWeights().map((w) => tf.mul(w, Number.NaN)));
  const history = trainSequenceModel(model, data, { steps: 10, progress: "silent" });
  assert.equal(history.divergedAt, 1);
  assert.equal(history.loss.length, 0);
  assert.throws(() => trainSequenceModel(model, data, { steps: 0 }), /steps must be a positive integer, got 0/);
  assert.throws(() => trainSequenceModel(model, data, { steps: 1, batchSize: 100 }), /batchSize \(100\) must not exceed the 64 samples/);
  tf.dispose([data.x, data.y]);
  model.dispose();
});
