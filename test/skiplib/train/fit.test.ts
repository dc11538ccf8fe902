import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluate, fit, NonFiniteLossError, plainMLP, residualMLP, tf, twoSpirals } from "../../../src/skiplib";

const spirals = twoSpirals({ samples: 256 });
const mlp = { inputDim: 2, depth: 6, width: 32, activation: "relu" as const, outputDim: 1, seed: 1 };

describe("fit", () => {
  test("a residual MLP learns two spirals to a stated accuracy", async () => {
    const model = residualMLP(mlp);
    const history = await fit(model, spirals, { epochs: 150, batchSize: 64, learningRate: 0.01, loss: "binaryCrossentropy", progress: "silent" });
    assert.equal(history.loss.length, 150);
    assert.deepEqual(history.epochs.slice(0, 3), [1, 2, 3]);
    assert.ok(history.loss[149] < history.loss[0] / 2, `loss ${history.loss[0]} → ${history.loss[149]}`);
    const accuracy = tf.tidy(() => {
      const p = model.predict(spirals.x) as tf.Tensor;
      return tf.mean(tf.cast(tf.equal(tf.greater(p, 0.5), tf.greater(spirals.y, 0.5)), "float32")).dataSync()[0];
    });
    assert.ok(accuracy > 0.8, `accuracy ${accuracy}`);
  });

  test("the same seed gives the same history, bit for bit, and leaks no tensor", async () => {
    const run = () => fit(plainMLP(mlp), spirals, { epochs: 5, batchSize: 32, optimizer: "sgd", learningRate: 0.05, loss: "binaryCrossentropy", progress: "silent" });
    const first = await run();
    const before = tf.memory().numTensors;
    const second = await run();
    assert.deepEqual(second, first);
    // a new model holds its weights and optimizer slots; a second fit of the same model adds nothing
    const model = plainMLP(mlp);
    await fit(model, spirals, { epochs: 1, loss: "binaryCrossentropy", progress: "silent" });
    const afterOne = tf.memory().numTensors;
    await fit(model, spirals, { epochs: 3, loss: "binaryCrossentropy", progress: "silent" });
    assert.ok(tf.memory().numTensors <= afterOne, `${tf.memory().numTensors} tensors after, ${afterOne} before`);
    assert.ok(before > 0);
  });

  test("shuffling is seeded: the same seed repeats the run, another seed changes it, no tensor leaks", async () => {
    const run = (seed: number) =>
      fit(plainMLP(mlp), spirals, { epochs: 3, batchSize: 32, learningRate: 0.01, loss: "binaryCrossentropy", shuffle: true, seed, progress: "silent" });
    const first = await run(7);
    assert.deepEqual(await run(7), first);
    assert.notDeepEqual((await run(8)).loss, first.loss);
    assert.deepEqual(first.epochs, [1, 2, 3]);
    // refitting a model with a shuffle keeps no permuted copy of the data
    const model = plainMLP(mlp);
    await fit(model, spirals, { epochs: 1, loss: "binaryCrossentropy", shuffle: true, progress: "silent" });
    const afterOne = tf.memory().numTensors;
    await fit(model, spirals, { epochs: 3, loss: "binaryCrossentropy", shuffle: true, progress: "silent" });
    assert.ok(tf.memory().numTensors <= afterOne, `${tf.memory().numTensors} tensors after, ${afterOne} before`);
  });

  test("trackGradNorms records one norm per weighted layer per epoch", async () => {
    const model = plainMLP({ ...mlp, activation: "sigmoid" });
    const history = await fit(model, spirals, { epochs: 2, batchSize: 64, loss: "binaryCrossentropy", trackGradNorms: true, progress: "silent" });
    const weighted = model.layers.filter((l) => l.trainableWeights.length > 0).length;
    assert.equal(history.gradNorms?.length, 2);
    assert.ok(history.gradNorms.every((row) => row.length === weighted && row.every((v) => Number.isFinite(v) && v >= 0)));
    // sigmoid stacks vanish toward the input: the first layer's gradient is the smaller one
    assert.ok(history.gradNorms[0][0] < history.gradNorms[0][weighted - 1], JSON.stringify(history.gradNorms[0]));
    const before = tf.memory().numTensors;
    await fit(model, spirals, { epochs: 2, batchSize: 64, loss: "binaryCrossentropy", trackGradNorms: true, progress: "silent" });
    assert.ok(tf.memory().numTensors <= before, "the gradient probe keeps no tensor");
  });

  test("categorical runs report accuracy; evaluate agrees with the last epoch's data", async () => {
    const x = tf.randomNormal([64, 4], 0, 1, "float32", 1);
    const y = tf.oneHot(tf.argMax(x, 1), 4).toFloat();
    const model = plainMLP({ inputDim: 4, depth: 2, width: 16, activation: "relu", outputDim: 4, outputActivation: "softmax", seed: 2 });
    const history = await fit(model, { x, y }, { epochs: 30, batchSize: 64, learningRate: 0.03, progress: "silent" });
    assert.equal(history.accuracy?.length, 30);
    const result = evaluate(model, { x, y });
    assert.ok(result.accuracy > 0.8 && result.loss < history.loss[0], JSON.stringify(result));
    assert.throws(() => evaluate(model, { x, y: tf.zeros([64, 3]) }), /predicts shape \[64,4\] but the targets have shape \[64,3\]/);
    tf.dispose([x, y]);
  });

  test("a non-finite loss stops training at that batch with a clear error", async () => {
    const x = tf.tensor2d([[0, 1], [NaN, 1], [1, 0], [1, 1]]);
    const y = tf.tensor2d([[0], [1], [0], [1]]);
    await assert.rejects(
      fit(plainMLP(mlp), { x, y }, { epochs: 3, batchSize: 2, loss: "binaryCrossentropy", progress: "silent" }),
      (error: unknown) => error instanceof NonFiniteLossError && error.epoch === 0 && error.batch === 0 && /loss became NaN at epoch 1, batch 1/.test(error.message),
    );
    tf.dispose([x, y]);
  });

  test("bad options are refused before training", async () => {
    await assert.rejects(fit(plainMLP(mlp), spirals, { epochs: 0 }), /epochs must be a positive integer, got 0/);
    await assert.rejects(fit(plainMLP(mlp), { x: spirals.x, y: spirals.y.slice(0, 10) }, { epochs: 1 }), /256 samples but data.y has 10/);
    await assert.rejects(fit(plainMLP(mlp), spirals, { epochs: 1, optimizer: "rmsprop" as "sgd" }), /optimizer must be "adam" or "sgd"/);
  });

  test("a learning-rate schedule applies epoch by epoch: a zero rate leaves the weights alone", async () => {
    const model = plainMLP(mlp);
    const snapshot = () => model.getWeights().map((w) => Array.from(w.dataSync()));
    await fit(model, spirals, { epochs: 1, optimizer: "sgd", learningRate: 0.1, loss: "binaryCrossentropy", progress: "silent" });
    const before = snapshot();
    await fit(model, spirals, { epochs: 2, optimizer: "sgd", momentum: 0, learningRate: 0.1, schedule: () => 0, loss: "binaryCrossentropy", progress: "silent" });
    assert.deepEqual(snapshot(), before);
  });
});
