import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cifarPlainNet, cifarResNet, evaluate, fit, plainMLP, recalibrateBatchNorm, recalibratedErrors, tf } from "../../../src/skiplib";

const net = { inputShape: [8, 8, 1] as [number, number, number], classes: 3, channels: [4, 4, 4] as [number, number, number], seed: 3 };

function data(n: number, seed: number) {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 8, 8, 1], 0.5, 2, "float32", seed);
    const labels = tf.randomUniform([n], 0, 3, "int32", seed + 1);
    return { x, y: tf.oneHot(labels, 3).toFloat() };
  });
}

describe("recalibrateBatchNorm", () => {
  test("with one batch of all samples, inference mode computes exactly what training mode does", () => {
    const model = cifarResNet(8, net);
    const d = data(48, 1);
    const n = recalibrateBatchNorm(model, d, { batchSize: 48 });
    assert.equal(n, model.layers.filter((l) => l.getClassName() === "BatchNormalization").length);
    const maxDifference = tf.tidy(() => {
      const inference = model.predict(d.x) as tf.Tensor;
      const training = model.apply(d.x, { training: true }) as tf.Tensor;
      return tf.max(tf.abs(tf.sub(inference, training))).dataSync()[0];
    });
    assert.ok(maxDifference < 1e-5, `max |inference − training| = ${maxDifference}`);
    tf.dispose([d.x, d.y]);
    model.dispose();
  });

  test("the first layer's statistics are the batch-weighted means of its input's batch statistics", () => {
    const model = cifarPlainNet(8, net);
    const d = data(50, 2);
    recalibrateBatchNorm(model, d, { batchSize: 20 }); // batches of 20, 20 and 10
    const stem = tf.model({ inputs: model.inputs, outputs: model.getLayer("stem_conv").output as tf.SymbolicTensor });
    const [expectedMean, expectedVariance] = tf.tidy(() => {
      const parts = [[0, 20], [20, 20], [40, 10]].map(([start, size]) => tf.moments(stem.predict(d.x.slice(start, size)) as tf.Tensor, [0, 1, 2]));
      const weighted = (pick: (m: { mean: tf.Tensor; variance: tf.Tensor }) => tf.Tensor) =>
        tf.div(tf.addN(parts.map((p, i) => tf.mul(pick(p), [20, 20, 10][i]))), 50).arraySync() as number[];
      return [weighted((p) => p.mean), weighted((p) => p.variance)];
    });
    const bn = model.getLayer("stem_bn");
    const read = (suffix: string) => Array.from(bn.weights.find((w) => w.originalName.endsWith(suffix))!.read().dataSync());
    read("moving_mean").forEach((v, i) => assert.ok(Math.abs(v - expectedMean[i]) < 1e-5, `mean[${i}] ${v} vs ${expectedMean[i]}`));
    read("moving_variance").forEach((v, i) => assert.ok(Math.abs(v - expectedVariance[i]) < 1e-4 * Math.max(1, expectedVariance[i]), `variance[${i}] ${v} vs ${expectedVariance[i]}`));
    tf.dispose([d.x, d.y]);
    model.dispose();
  });

  test("after a short training run it brings the inference-mode loss to the trained weights' level; trainable weights untouched, no leak", async () => {
    const model = cifarPlainNet(8, net);
    const d = data(64, 3);
    await fit(model, d, { epochs: 2, batchSize: 16, learningRate: 1e-2, progress: "silent" });
    const trainable = model.trainableWeights.map((w) => w.read().arraySync());
    const before = tf.memory().numTensors;
    recalibrateBatchNorm(model, d, { batchSize: 16 });
    assert.equal(tf.memory().numTensors, before, "recalibration must not leave tensors behind");
    assert.deepEqual(model.trainableWeights.map((w) => w.read().arraySync()), trainable);
    const loss = evaluate(model, d).loss;
    assert.ok(Number.isFinite(loss) && loss < 5, `loss ${loss}`);
    tf.dispose([d.x, d.y]);
    model.dispose();
  });

  test("a model without batch norm is left alone; a bad batch size is an error", () => {
    const mlp = plainMLP({ inputDim: 2, depth: 2, width: 4, outputDim: 1 });
    const x = tf.zeros([4, 2]);
    assert.equal(recalibrateBatchNorm(mlp, { x }), 0);
    assert.throws(() => recalibrateBatchNorm(cifarPlainNet(8, net), { x }, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
    x.dispose();
    mlp.dispose();
  });

  test("recalibratedErrors: training and test loss and error of the recalibrated net", async () => {
    const model = cifarResNet(8, net);
    const [train, test] = [data(32, 7), data(32, 8)];
    await fit(model, train, { epochs: 1, batchSize: 16, progress: "silent" });
    const errors = recalibratedErrors(model, train, test);
    const [onTrain, onTest] = [evaluate(model, train), evaluate(model, test)];
    assert.deepEqual(errors, { trainLoss: onTrain.loss, trainError: 1 - onTrain.accuracy, testLoss: onTest.loss, testError: 1 - onTest.accuracy });
    tf.dispose([train.x, train.y, test.x, test.y]);
    model.dispose();
  });
});
