import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../src/skiplib/backend";
import { cifarPlainNet, cifarResNet, denseNet, highwayMLP, plainMLP, resNet34Stem, residualMLP, uNet } from "../../src/skiplib/models";
import { countParams, layerSummary } from "../../src/skiplib/params";

// The papers' figures (He et al. 2015 table 6; Huang et al. 2017 table 2) and the exact counts of these builders
// (trainable parameters, option-A shortcuts; the same as the PyTorch reference implementations).
const paramCases = [
  { title: "ResNet-20", build: () => cifarResNet(20), paper: 0.27e6, exact: 269_722 },
  { title: "ResNet-56", build: () => cifarResNet(56), paper: 0.85e6, exact: 853_018 },
  { title: "ResNet-110", build: () => cifarResNet(110), paper: 1.7e6, exact: 1_727_962 },
  { title: "plain-20", build: () => cifarPlainNet(20), paper: 0.27e6, exact: 269_722 },
  { title: "DenseNet-BC L=100 k=12", build: () => denseNet({ depth: 100, growthRate: 12, bottleneck: true, compression: 0.5 }), paper: 0.8e6, exact: 769_162 },
];
for (const c of paramCases) {
  test(`${c.title} has ${c.exact.toLocaleString("en")} parameters (paper ≈ ${c.paper / 1e6}M)`, () => {
    const model = c.build();
    const n = countParams(model);
    assert.equal(n, c.exact);
    assert.ok(Math.abs(n - c.paper) / c.paper < 0.04, `within 4% of the paper's ${c.paper}`);
    assert.ok(countParams(model, { trainableOnly: false }) > n, "BN running statistics are counted only when asked");
    model.dispose();
  });
}

test("option-B projection shortcuts add exactly the two 1×1 convs and their BNs", () => {
  const a = cifarResNet(20);
  const b = cifarResNet(20, { shortcut: "B" });
  // stage 2: 16→32 (1·1·16·32 + 2·32), stage 3: 32→64 (1·1·32·64 + 2·64)
  assert.equal(countParams(b) - countParams(a), 16 * 32 + 64 + 32 * 64 + 128);
  [a, b].forEach((m) => m.dispose());
});

type ShapeCase = { title: string; build: () => tf.LayersModel; input: number[]; output: (number | null)[] };
const shapeCases: ShapeCase[] = [
  { title: "cifarResNet(8) on 32×32×3", build: () => cifarResNet(8, { widthMultiplier: 0.25 }), input: [32, 32, 3], output: [10] },
  { title: "cifarResNet(14) pre-activation, B, 5 classes on 16×16×1", build: () => cifarResNet(14, { channels: [4, 8, 8], preActivation: true, shortcut: "B", classes: 5, inputShape: [16, 16, 1] }), input: [16, 16, 1], output: [5] },
  { title: "cifarPlainNet(8) on 12×12×3", build: () => cifarPlainNet(8, { widthMultiplier: 0.25, inputShape: [12, 12, 3] }), input: [12, 12, 3], output: [10] },
  { title: "denseNet L=10 k=4 BC", build: () => denseNet({ depth: 10, growthRate: 4, inputShape: [16, 16, 3] }), input: [16, 16, 3], output: [10] },
  { title: "denseNet L=13 k=3, no bottleneck, θ=1, 2 blocks", build: () => denseNet({ depth: 13, growthRate: 3, bottleneck: false, compression: 1, blocks: 2, classes: 4, inputShape: [8, 8, 3] }), input: [8, 8, 3], output: [4] },
  { title: "uNet depth 2 with skips", build: () => uNet({ depth: 2, baseChannels: 4, inputShape: [16, 16, 1] }), input: [16, 16, 1], output: [16, 16, 1] },
  { title: "uNet depth 3 without skips, 3 classes, BN", build: () => uNet({ depth: 3, baseChannels: 2, skips: false, outputChannels: 3, batchNorm: true, inputShape: [24, 16, 3] }), input: [24, 16, 3], output: [24, 16, 3] },
  { title: "plainMLP depth 5", build: () => plainMLP({ inputDim: 2, depth: 5, width: 8, activation: "sigmoid", outputDim: 2 }), input: [2], output: [2] },
  { title: "residualMLP depth 1", build: () => residualMLP({ inputDim: 3, depth: 1, width: 8, outputDim: 1 }), input: [3], output: [1] },
  { title: "highwayMLP depth 4", build: () => highwayMLP({ inputDim: 2, depth: 4, width: 6, activation: "tanh", outputDim: 3 }), input: [2], output: [3] },
  { title: "resNet34Stem on 64×64×3", build: () => resNet34Stem({ inputShape: [64, 64, 3] }), input: [64, 64, 3], output: [16, 16, 64] },
];
for (const c of shapeCases) {
  test(`${c.title} → [${c.output}]`, () => {
    const model = c.build();
    assert.deepEqual(model.outputShape, [null, ...c.output]);
    const y = tf.tidy(() => model.predict(tf.randomNormal([2, ...c.input], 0, 1, "float32", 1)) as tf.Tensor);
    assert.deepEqual(y.shape, [2, ...c.output]);
    assert.ok(y.dataSync().every(Number.isFinite));
    tf.dispose(y);
    model.dispose();
  });
}

test("resNet34Stem has ResNet-34's first layers and output shapes on 224×224×3", () => {
  const model = resNet34Stem();
  const shapes = Object.fromEntries(model.layers.map((l) => [l.name, (l.outputShape as number[]).slice(1)]));
  assert.deepEqual(shapes.conv1, [112, 112, 64]);
  assert.deepEqual(shapes.pool1, [56, 56, 64]);
  assert.deepEqual(shapes.conv2_block1_add, [56, 56, 64]);
  assert.deepEqual((model.getLayer("conv1").getWeights()[0]).shape, [7, 7, 3, 64]);
  assert.equal(countParams(model), 7 * 7 * 3 * 64 + 2 * 64 + 2 * (3 * 3 * 64 * 64 + 2 * 64));
  const rows = layerSummary(model);
  assert.deepEqual(rows.slice(0, 5).map((r) => [r.name, r.type, r.outputShape.join("×"), r.params]), [
    ["input", "InputLayer", "224×224×3", 0],
    ["conv1", "Conv2D", "112×112×64", 9408],
    ["bn1", "BatchNormalization", "112×112×64", 128],
    ["relu1", "ReLU", "112×112×64", 0],
    ["pool1", "MaxPooling2D", "56×56×64", 0],
  ]);
  assert.equal(rows.reduce((sum, r) => sum + r.params, 0), countParams(model));
  model.dispose();
});

test("MLP depth counts hidden layers; the residual MLP adds a skip around each after the first", () => {
  const dense = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "Dense").length;
  const plain = plainMLP({ inputDim: 2, depth: 6, width: 4, outputDim: 2 });
  const residual = residualMLP({ inputDim: 2, depth: 6, width: 4, outputDim: 2 });
  assert.equal(dense(plain), 7);
  assert.equal(dense(residual), 7);
  assert.equal(residual.layers.filter((l) => l.getClassName() === "Add").length, 5);
  assert.equal(countParams(plain), countParams(residual), "skips add no parameters");
  assert.equal(plain.getLayer("hidden3").getConfig().activation, "relu");
  assert.equal(plain.getLayer("output").getConfig().activation, "softmax");
});

// The vanishing-gradient chapter's claim: at depth 50 the plain sigmoid MLP's first layer gets (almost) no gradient,
// the residual MLP's first layer gets as much as its last hidden layer.
function firstAndLastHiddenGradNorms(model: tf.LayersModel, depth: number): [number, number] {
  const x = tf.randomNormal([32, 2], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 2), "int32"), 2).toFloat();
  const kernel = (name: string) => (model.getLayer(name).trainableWeights[0] as unknown as { val: tf.Variable }).val;
  const [first, last] = [kernel("hidden1"), kernel(`hidden${depth}`)];
  const norms = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, tf.log(model.predict(x) as tf.Tensor)) as tf.Scalar, [first, last]);
    return [tf.norm(grads[first.name]).dataSync()[0], tf.norm(grads[last.name]).dataSync()[0]] as [number, number];
  });
  tf.dispose([x, y]);
  return norms;
}

test("depth-50 sigmoid MLP: plain first-layer gradients vanish, residual ones do not", () => {
  const options = { inputDim: 2, depth: 50, width: 16, activation: "sigmoid", outputDim: 2 } as const;
  const [plainFirst, plainLast] = firstAndLastHiddenGradNorms(plainMLP(options), 50);
  const [resFirst, resLast] = firstAndLastHiddenGradNorms(residualMLP(options), 50);
  assert.ok(plainFirst < 1e-12 * plainLast, `plain: first ${plainFirst} vs last ${plainLast}`);
  assert.ok(resFirst > 0.1 * resLast, `residual: first ${resFirst} vs last ${resLast}`);
});

test("residualMLP scales each branch by 1/√depth unless branchScale is given", () => {
  const scales = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === "Rescaling").map((l) => l.getConfig().scale);
  assert.deepEqual(scales(residualMLP({ inputDim: 2, depth: 4, width: 4, outputDim: 2 })), [0.5, 0.5, 0.5]);
  assert.deepEqual(scales(residualMLP({ inputDim: 2, depth: 4, width: 4, outputDim: 2, branchScale: 0.1 })), [0.1, 0.1, 0.1]);
  assert.deepEqual(scales(residualMLP({ inputDim: 2, depth: 4, width: 4, outputDim: 2, branchScale: 1 })), [], "α = 1 is the textbook h + F(h)");
  // with α = 1 the layer computes exactly h + relu(W h + b)
  const model = residualMLP({ inputDim: 3, depth: 2, width: 3, outputDim: 2, branchScale: 1, activation: "relu" });
  const probe = tf.model({ inputs: model.inputs, outputs: [model.getLayer("hidden1").output, model.getLayer("hidden2_add").output] as tf.SymbolicTensor[] });
  const [h, y] = probe.predict(tf.randomNormal([4, 3], 0, 1, "float32", 2)) as tf.Tensor[];
  const [w, b] = model.getLayer("hidden2").getWeights();
  const expected = tf.add(h, tf.relu(tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b)));
  assert.ok(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0] < 1e-6);
});

test("CIFAR layers are named by stage and block, in depth order", () => {
  const model = cifarResNet(14, { widthMultiplier: 0.25 });
  const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").map((l) => l.name);
  const expected = ["stem_conv"];
  for (const s of [1, 2, 3]) for (const b of [1, 2]) expected.push(`stage${s}_block${b}_conv1`, `stage${s}_block${b}_conv2`);
  assert.deepEqual(convs, expected);
  assert.deepEqual(model.layers.slice(-2).map((l) => l.name), ["pool", "head"]);
  model.dispose();
});

const seededBuilders: [string, (seed?: number) => tf.LayersModel][] = [
  ["cifarResNet", (seed) => cifarResNet(8, { widthMultiplier: 0.25, seed, shortcut: "B" })],
  ["denseNet", (seed) => denseNet({ depth: 10, growthRate: 4, seed })],
  ["uNet", (seed) => uNet({ depth: 1, baseChannels: 2, inputShape: [4, 4, 1], seed })],
  ["highwayMLP", (seed) => highwayMLP({ inputDim: 2, depth: 3, width: 4, outputDim: 2, seed })],
];
for (const [name, build] of seededBuilders) {
  test(`${name}: two builds with one seed have bit-identical weights; another seed differs`, () => {
    const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    const [a, b, c] = [build(), build(), build(7)];
    assert.deepEqual(weights(a), weights(b));
    assert.notDeepEqual(weights(a), weights(c));
    [a, b, c].forEach((m) => m.dispose());
  });
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  // through a string, as a file would carry it
  return tf.loadLayersModel(tf.io.fromMemory(JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })).modelTopology, artifacts!.weightSpecs, artifacts!.weightData));
}

const serialisable: [string, () => tf.LayersModel, number[]][] = [
  ["cifarResNet option A (ZeroPadShortcut)", () => cifarResNet(8, { widthMultiplier: 0.25, inputShape: [8, 8, 3] }), [8, 8, 3]],
  ["cifarResNet pre-activation B", () => cifarResNet(8, { widthMultiplier: 0.25, inputShape: [8, 8, 3], preActivation: true, shortcut: "B" }), [8, 8, 3]],
  ["residualMLP (Rescaling)", () => residualMLP({ inputDim: 3, depth: 3, width: 5, outputDim: 2 }), [3]],
  ["highwayMLP (HighwayCombine)", () => highwayMLP({ inputDim: 3, depth: 3, width: 5, outputDim: 2 }), [3]],
  ["denseNet", () => denseNet({ depth: 10, growthRate: 3, inputShape: [8, 8, 3] }), [8, 8, 3]],
  ["uNet", () => uNet({ depth: 2, baseChannels: 2, inputShape: [8, 8, 1] }), [8, 8, 1]],
];
for (const [title, build, input] of serialisable) {
  test(`${title} round-trips through save/load with the same layers and outputs`, async () => {
    const model = build();
    // change the weights away from their seeded init, so the test sees loaded weights, not re-initialised ones
    model.setWeights(model.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.1, "float32", i))));
    const loaded = await roundTrip(model);
    assert.deepEqual(loaded.layers.map((l) => `${l.name}:${l.getClassName()}`), model.layers.map((l) => `${l.name}:${l.getClassName()}`));
    const x = tf.randomNormal([2, ...input], 0, 1, "float32", 4);
    const [y0, y1] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
    assert.deepEqual(Array.from(y1.dataSync()), Array.from(y0.dataSync()));
    // and the topology alone rebuilds too (tf.models.modelFromJSON)
    const fromJson = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON["modelTopology"] });
    assert.equal(fromJson.countParams(), model.countParams());
    tf.dispose([x, y0, y1]);
    [model, loaded, fromJson].forEach((m) => m.dispose());
  });
}

const badInput: [string, () => unknown, RegExp][] = [
  ["cifarResNet(21)", () => cifarResNet(21), /depth must be 6n\+2 for a CIFAR ResNet \(20, 32, 44, 56, 110, \.\.\.\), got 21/],
  ["cifarPlainNet(2)", () => cifarPlainNet(2), /depth must be 6n\+2.*got 2/],
  ["cifarResNet channels [16, 0, 64]", () => cifarResNet(8, { channels: [16, 0, 64] }), /channels\[1\] must be a positive integer, got 0/],
  ["cifarPlainNet zeroInitResidual", () => cifarPlainNet(8, { zeroInitResidual: true }), /zeroInitResidual needs residual blocks/],
  ["denseNet growthRate −12", () => denseNet({ growthRate: -12 }), /growthRate must be a positive integer.*got -12/],
  ["denseNet compression 0", () => denseNet({ compression: 0 }), /compression must be in \(0, 1\].*got 0/],
  ["denseNet compression 1.2", () => denseNet({ compression: 1.2 }), /compression must be in \(0, 1\].*got 1.2/],
  ["denseNet depth 99", () => denseNet({ depth: 99 }), /depth must be 4 \+ 6·n for a DenseNet with 3 blocks and bottlenecks \(e\.g\. 100\), got 99/],
  ["uNet depth 3 on 20×20", () => uNet({ depth: 3, inputShape: [20, 20, 1] }), /inputShape height must be a multiple of 2\^depth = 8 for a U-Net of depth 3, got 20/],
  ["uNet depth 2 on 16×18", () => uNet({ depth: 2, inputShape: [16, 18, 1] }), /inputShape width must be a multiple of 2\^depth = 4.*got 18/],
  ["uNet depth 0", () => uNet({ depth: 0 }), /depth must be an integer ≥ 1 \(encoder stages\), got 0/],
  ["plainMLP depth 0", () => plainMLP({ inputDim: 2, depth: 0, width: 4, outputDim: 1 }), /depth must be an integer ≥ 1 \(hidden layers\), got 0/],
  ["residualMLP activation softplus", () => residualMLP({ inputDim: 2, depth: 2, width: 4, outputDim: 1, activation: "softplus" as never }), /activation must be one of sigmoid, tanh, relu, got "softplus"/],
  ["residualMLP branchScale 0", () => residualMLP({ inputDim: 2, depth: 2, width: 4, outputDim: 1, branchScale: 0 }), /branchScale must be a positive number.*got 0/],
  ["highwayMLP gateBias 2", () => highwayMLP({ inputDim: 2, depth: 2, width: 4, outputDim: 1, gateBias: 2 }), /gateBias must be in \[-10, 0\].*got 2/],
];
for (const [title, build, message] of badInput) {
  test(`${title} fails naming the parameter`, () => assert.throws(build, message));
}

// Training loops must not leak: the tensor count after step 20 equals the count after step 1.
const trainCases: [string, () => tf.LayersModel, number[], number][] = [
  ["cifarResNet(8) option A", () => cifarResNet(8, { widthMultiplier: 0.25, inputShape: [8, 8, 3], classes: 3 }), [8, 8, 8, 3], 3],
  ["highwayMLP", () => highwayMLP({ inputDim: 2, depth: 4, width: 8, outputDim: 3 }), [16, 2], 3],
];
for (const [title, build, shape, classes] of trainCases) {
  test(`${title}: 20 training steps keep tf.memory().numTensors flat and lower the loss`, async () => {
    const model = build();
    const x = tf.randomNormal(shape, 0, 1, "float32", 5);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: shape[0] }, (_, i) => i % classes), "int32"), classes).toFloat());
    const optimizer = tf.train.momentum(0.05, 0.9);
    const step = () =>
      tf.tidy(() => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(model.apply(x, { training: true }) as tf.Tensor, 1e-7))) as tf.Scalar, true)!.dataSync()[0]);
    const first = step();
    const after1 = tf.memory().numTensors;
    let last = first;
    for (let i = 2; i <= 20; i++) last = step();
    assert.equal(tf.memory().numTensors, after1);
    assert.ok(last < first, `loss fell from ${first} to ${last}`);
    // and through Keras' compiled path (model.fit uses trainOnBatch)
    model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
    await model.trainOnBatch(x, y);
    const afterCompiled = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await model.trainOnBatch(x, y);
    assert.equal(tf.memory().numTensors, afterCompiled);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
}
