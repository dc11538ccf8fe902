import { test } from "node:test";
import assert from "node:assert/strict";
import { backendInfo, ready, tf } from "../../../src/skiplib/backend";
import { cifarResNet } from "../../../src/skiplib/models";
import { plainMLP, residualMLP, uNet } from "../../../src/skiplib";
import { graphRoute, setGraphExecution } from "../../../src/skiplib/native-kernels/graph/install";
import { relativeError } from "./gradient-compare";

const native = () => backendInfo().backend === "tensorflow" && process.env.SKIPLIB_GRAPH !== "0";
const skip = { skip: !native() && "graph execution needs the native backend (and SKIPLIB_GRAPH unset)" };

/** Runs `body` with graph execution on or off, restoring it after. */
async function withGraph<T>(on: boolean, body: () => Promise<T> | T): Promise<T> {
  setGraphExecution(on);
  try {
    return await body();
  } finally {
    setGraphExecution(true);
  }
}

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

function assertClose(actual: number[][], expected: number[][], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: count`);
  expected.forEach((e, i) => {
    const error = relativeError(actual[i], e);
    assert.ok(error <= tolerance, `${what} ${i}: relative error ${error.toExponential(2)} > ${tolerance}`);
  });
}

function resnet(optimizer: () => tf.Optimizer) {
  const model = cifarResNet(8, { seed: 3, widthMultiplier: 0.5 });
  model.compile({ optimizer: optimizer(), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

function cifarBatch(n: number) {
  const x = tf.randomNormal([n, 32, 32, 3], 0, 1, "float32", 11);
  const y = tf.tidy(() => tf.oneHot(tf.cast(tf.mul(tf.randomUniform([n], 0, 1, "float32", 12), 10), "int32"), 10).toFloat());
  return { x, y };
}

test("graph training step = tfjs-layers' step: loss, accuracy, momentum slots (= the gradients), weights and BN statistics within 1e-4", skip, async () => {
  await ready;
  const { x, y } = cifarBatch(8);
  const eager = resnet(() => tf.train.momentum(0.05, 0.9));
  const graph = resnet(() => tf.train.momentum(0.05, 0.9));
  const stockLogs = await withGraph(false, () => eager.trainOnBatch(x, y)) as number[];
  const graphLogs = await graph.trainOnBatch(x, y) as number[];
  assert.equal(graphRoute(graph).training, "graph");
  assert.equal(graphRoute(eager).training, "not compiled yet");
  assert.ok(Math.abs(graphLogs[0] - stockLogs[0]) <= 1e-5 * stockLogs[0], `loss ${graphLogs[0]} vs ${stockLogs[0]}`);
  assert.equal(graphLogs[1], stockLogs[1], "accuracy");
  // after one step from zero, each momentum accumulator holds that weight's gradient
  const slots = (m: tf.LayersModel) => (m.optimizer as unknown as { accumulations: { variable: tf.Variable }[] }).accumulations.map((a) => a.variable);
  assert.equal(slots(graph).length, eager.trainableWeights.length);
  assertClose(values(slots(graph)), values(slots(eager)), 1e-4, "gradient");
  assertClose(values(graph.getWeights()), values(eager.getWeights()), 1e-4, "weight");
  // a second step carries the slots over in both
  const second = [await withGraph(false, () => eager.trainOnBatch(x, y)) as number[], await graph.trainOnBatch(x, y) as number[]];
  assert.ok(Math.abs(second[1][0] - second[0][0]) <= 1e-4 * second[0][0], `second loss ${second[1][0]} vs ${second[0][0]}`);
  assertClose(values(graph.getWeights()), values(eager.getWeights()), 1e-4, "weight after two steps");
  tf.dispose([x, y]);
  eager.dispose();
  graph.dispose();
});

for (const [name, optimizer] of [["Adam", () => tf.train.adam(1e-3)], ["SGD", () => tf.train.sgd(0.1)], ["Nesterov momentum", () => tf.train.momentum(0.1, 0.9, true)]] as const) {
  test(`graph training with ${name}: an MLP's weights and optimizer state after three steps match tfjs's within 1e-4`, skip, async () => {
    await ready;
    const x = tf.randomNormal([16, 2], 0, 1, "float32", 5);
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomNormal([16, 1], 0, 1, "float32", 6), 0), "float32"));
    const make = () => {
      const m = residualMLP({ inputDim: 2, depth: 4, width: 16, activation: "relu", outputDim: 1, seed: 2 });
      m.compile({ optimizer: optimizer(), loss: "binaryCrossentropy" });
      return m;
    };
    const [eager, graph] = [make(), make()];
    for (let i = 0; i < 3; i++) {
      const a = await withGraph(false, () => eager.trainOnBatch(x, y)) as number;
      const b = await graph.trainOnBatch(x, y) as number;
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(a), `step ${i}: loss ${b} vs ${a}`);
    }
    assert.equal(graphRoute(graph).training, "graph");
    assertClose(values(graph.getWeights()), values(eager.getWeights()), 1e-4, "weight");
    const state = async (m: tf.LayersModel) => (await m.optimizer.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
    assertClose(await state(graph), await state(eager), 1e-4, "optimizer weight (iterations, slots)");
    tf.dispose([x, y]);
  });
}

test("a NaN in a training batch gives a NaN loss through the graph, as through tfjs's eager ops", skip, async () => {
  await ready;
  const model = resnet(() => tf.train.momentum(0.1, 0.9));
  const { x, y } = cifarBatch(4);
  const poisoned = tf.tidy(() => tf.concat([tf.fill([1, 32, 32, 3], NaN), x.slice(1)]));
  const [loss] = (await model.trainOnBatch(poisoned, y)) as number[];
  assert.equal(graphRoute(model).training, "graph");
  assert.ok(Number.isNaN(loss), `loss ${loss}`);
  tf.dispose([x, y, poisoned]);
  model.dispose();
});

test("a U-Net (transposed convs, concatenated skips, max-pooling) with a per-pixel binary cross-entropy: graph SGD updates (= gradients) within 1e-4 of tfjs's", skip, async () => {
  await ready;
  const make = () => {
    const m = uNet({ depth: 2, baseChannels: 4, inputShape: [16, 16, 1], seed: 4 });
    m.compile({ optimizer: tf.train.sgd(0.1), loss: "binaryCrossentropy" });
    return m;
  };
  const [eager, graph] = [make(), make()];
  const x = tf.randomNormal([4, 16, 16, 1], 0, 1, "float32", 3);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomNormal([4, 16, 16, 1], 0, 1, "float32", 4), 0), "float32"));
  const start = values(eager.getWeights());
  const a = await withGraph(false, () => eager.trainOnBatch(x, y)) as number;
  const b = await graph.trainOnBatch(x, y) as number;
  assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(a), `loss ${b} vs ${a}`);
  assert.equal(graphRoute(graph).training, "graph");
  // w − 0.1·g: the updates compare the gradients
  const update = (m: tf.LayersModel) => values(m.getWeights()).map((w, i) => w.map((v, k) => v - start[i][k]));
  assertClose(update(graph), update(eager), 1e-4, "update");
  tf.dispose([x, y]);
});

test("graph fit leaves no tensor behind and keeps the history fit reports", skip, async () => {
  await ready;
  const model = resnet(() => tf.train.momentum(0.01, 0.9));
  const { x, y } = cifarBatch(24);
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  const before = tf.memory().numTensors;
  const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  assert.equal(tf.memory().numTensors, before, "tensors after vs before");
  assert.equal(history.history.loss.length, 2);
  assert.ok(history.history.loss.every((l) => Number.isFinite(l as number)));
  assert.equal(graphRoute(model).training, "graph");
  tf.dispose([x, y]);
  model.dispose();
});

test("graph predict = tfjs-layers' predict within 1e-5 (BN on moving statistics), NaN stays NaN, no tensor left", skip, async () => {
  await ready;
  const model = cifarResNet(8, { seed: 5, widthMultiplier: 0.5 });
  for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomUniform(w.shape, i % 3 === 1 ? -0.5 : 0.5, i % 3 === 1 ? 0.5 : 1.5, "float32", i + 1)));
  }
  const { x } = cifarBatch(40);
  const stock = await withGraph(false, () => model.predict(x, { batchSize: 16 }) as tf.Tensor);
  model.predict(x.slice(0, 2)); // builds the graph
  const before = tf.memory().numTensors;
  const viaGraph = model.predict(x, { batchSize: 16 }) as tf.Tensor;
  assert.equal(graphRoute(model).inference, "graph");
  assert.deepEqual(viaGraph.shape, stock.shape);
  assertClose([Array.from(viaGraph.dataSync())], [Array.from(stock.dataSync())], 1e-5, "softmax output");
  viaGraph.dispose();
  assert.equal(tf.memory().numTensors, before, "tensors after vs before");
  const poisoned = tf.tidy(() => tf.concat([tf.fill([1, 32, 32, 3], NaN), x.slice(0, 1)]));
  const out = (model.predict(poisoned) as tf.Tensor).dataSync();
  assert.ok(Number.isNaN(out[0]) && Number.isFinite(out[10]), "a NaN input gives NaN outputs for its sample only");
  tf.dispose([x, stock, poisoned]);
});

test("model.apply on a tensor in inference mode runs the inference graph; under a gradient tape, in training mode, tfjs-layers' path", skip, async () => {
  await ready;
  const model = cifarResNet(8, { seed: 6, widthMultiplier: 0.5 });
  const { x } = cifarBatch(6);
  const stock = await withGraph(false, () => model.apply(x) as tf.Tensor);
  const viaGraph = model.apply(x) as tf.Tensor;
  assert.equal(graphRoute(model).inference, "graph");
  assertClose([Array.from(viaGraph.dataSync())], [Array.from(stock.dataSync())], 1e-5, "output");
  // a graph is opaque to tfjs's autodiff: under a tape the layers run eagerly and the gradient exists
  const g = tf.grad((input: tf.Tensor) => tf.sum(model.apply(input) as tf.Tensor))(x);
  assert.ok(g.dataSync().some((v) => v !== 0));
  const training = model.apply(x, { training: true }) as tf.Tensor; // batch statistics: eager
  assert.ok(relativeError(training.dataSync(), stock.dataSync()) > 1e-3, "training mode uses batch statistics");
  tf.dispose([x, stock, viaGraph, g, training]);
  model.dispose();
});

test("a model the graph cannot express trains on tfjs-layers' path, and says why", skip, async () => {
  await ready;
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dropout({ rate: 0.5 }).apply(tf.layers.dense({ units: 8, activation: "relu" }).apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(hidden) as tf.SymbolicTensor });
  model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  const loss = await model.trainOnBatch(tf.ones([4, 4]), tf.ones([4, 1]));
  assert.ok(Number.isFinite(loss as number));
  assert.match(graphRoute(model).training, /dropout/);
});

test("setGraphExecution(false) (the run-time form of SKIPLIB_GRAPH=0) keeps every step on tfjs-layers' path", skip, async () => {
  await ready;
  const model = plainMLP({ inputDim: 2, depth: 3, width: 8, activation: "tanh", outputDim: 1, seed: 1 });
  model.compile({ optimizer: "adam", loss: "meanSquaredError" });
  await withGraph(false, () => model.fit(tf.ones([8, 2]), tf.zeros([8, 1]), { epochs: 2, batchSize: 4, verbose: 0 }));
  assert.equal(graphRoute(model).training, "not compiled yet");
  await model.fit(tf.ones([8, 2]), tf.zeros([8, 1]), { epochs: 1, batchSize: 4, verbose: 0 });
  assert.equal(graphRoute(model).training, "graph");
});

/** Makes the native backend's next `failures` session calls throw as TensorFlow does; counts every call. */
function failingSessions(failures: number) {
  const backend = tf.backend() as unknown as Record<string, unknown>;
  const own = Object.prototype.hasOwnProperty.call(backend, "runSavedModel");
  const original = backend.runSavedModel as (...args: unknown[]) => tf.Tensor[];
  const spy = {
    calls: 0,
    restore: () => (own ? (backend.runSavedModel = original) : delete backend.runSavedModel),
  };
  backend.runSavedModel = function (this: unknown, ...args: unknown[]) {
    spy.calls++;
    if (failures-- > 0) throw new Error("Invalid argument: injected session failure");
    return original.apply(this, args);
  };
  return spy;
}

test("a graph TensorFlow fails to run is retired: that call and later ones take tfjs-layers' path from a clean state, and say why", skip, async () => {
  await ready;
  const make = () => {
    const m = plainMLP({ inputDim: 2, depth: 3, width: 8, activation: "relu", outputDim: 1, seed: 4 });
    m.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: "meanSquaredError" });
    return m;
  };
  const x = tf.randomNormal([8, 2], 0, 1, "float32", 5);
  const y = tf.randomNormal([8, 1], 0, 1, "float32", 6);
  const stock = make();
  const model = make();
  const stockLosses = await withGraph(false, async () => [await stock.trainOnBatch(x, y), await stock.trainOnBatch(x, y), await stock.trainOnBatch(x, y)]);
  const losses = [await model.trainOnBatch(x, y)];
  assert.equal(graphRoute(model).training, "graph");
  const before = tf.memory().numTensors;
  const sessions = failingSessions(1);
  try {
    losses.push(await model.trainOnBatch(x, y), await model.trainOnBatch(x, y));
  } finally {
    sessions.restore();
  }
  assert.equal(sessions.calls, 1, "a retired graph is not run again");
  assert.match(graphRoute(model).training, /injected session failure/);
  assert.equal(tf.memory().numTensors, before, "tensors after vs before");
  // the failed step changed nothing, so the stock step after it is the second of three, not a repeat
  assertClose([losses as number[]], [stockLosses as number[]], 1e-4, "losses");
  assertClose(values(model.getWeights()), values(stock.getWeights()), 1e-4, "weight");
  const slots = (m: tf.LayersModel) => (m.optimizer as unknown as { accumulations: { variable: tf.Variable }[] }).accumulations.map((a) => a.variable);
  assertClose(values(slots(model)), values(slots(stock)), 1e-4, "momentum slot");

  const expected = await withGraph(false, () => model.predict(x) as tf.Tensor);
  tf.dispose(model.predict(x)); // builds the inference graph
  assert.equal(graphRoute(model).inference, "graph");
  const failing = failingSessions(1);
  let predicted: tf.Tensor;
  try {
    predicted = model.predict(x) as tf.Tensor;
  } finally {
    failing.restore();
  }
  assert.match(graphRoute(model).inference, /injected session failure/);
  assertClose([Array.from(predicted.dataSync())], [Array.from(expected.dataSync())], 1e-6, "prediction");
  tf.dispose([x, y, expected, predicted]);
  stock.dispose();
  model.dispose();
});
