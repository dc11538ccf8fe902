import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { filterNormalizedDirection, filterNorms as libraryFilterNorms } from "../../../src/skiplib/surface/directions";
import { lossSurface1D } from "../../../src/skiplib/surface/line";
import { linspace, lossSurface2D } from "../../../src/skiplib/surface/grid";
import { batch, convResNet, mlp } from "../probes/nets";
import { cifarResNet } from "../../../src/skiplib/models";

function bits(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(new Uint32Array(w.dataSync().slice().buffer)));
}

function filterNorms(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.norm(tf.reshape(t, [-1, t.shape[t.shape.length - 1]]), 2, 0).dataSync()));
}

test("filter norms of the direction equal those of the weights; rank-1 weights get zeros", () => {
  const model = convResNet();
  const direction = filterNormalizedDirection(model, { seed: 5 });
  model.weights.forEach((w, i) => {
    const d = direction[i];
    assert.deepEqual(d.shape, w.shape);
    if (w.shape.length <= 1) {
      assert.equal(tf.tidy(() => tf.max(tf.abs(d)).dataSync()[0]), 0, `${w.name} is zero`);
      return;
    }
    const expected = filterNorms(w.read());
    filterNorms(d).forEach((n, k) => assert.ok(Math.abs(n - expected[k]) <= 1e-5 * expected[k], `${w.name} filter ${k}: ${n} vs ${expected[k]}`));
  });
  // seeded: same seed → same direction, different seed → different direction
  const again = filterNormalizedDirection(model, { seed: 5 });
  const other = filterNormalizedDirection(model, { seed: 6 });
  assert.deepEqual(Array.from(again[0].dataSync()), Array.from(direction[0].dataSync()));
  assert.notDeepEqual(Array.from(other[0].dataSync()), Array.from(direction[0].dataSync()));
  const kept = filterNormalizedDirection(model, { seed: 5, ignoreBiasBN: false });
  const gammaIndex = model.weights.findIndex((w) => w.name.includes("gamma"));
  assert.deepEqual(Array.from(kept[gammaIndex].dataSync()), Array.from(model.weights[gammaIndex].read().dataSync()), "γ copied when not ignored");
  tf.dispose([...direction, ...again, ...other, ...kept]);
  model.dispose();
});

test("a 2-D surface leaves the weights bit-identical, leaks no tensor, and its centre is the model's loss", async () => {
  const model = convResNet();
  const { x, y } = batch([10, 8, 8, 3], 3);
  const before = bits(model);
  const tensors = tf.memory().numTensors;
  const progress: number[] = [];
  const surface = await lossSurface2D(model, x, y, { resolution: 5, seed: 1, batchSize: 4, onProgress: (p) => progress.push(p.done / p.total) });
  assert.equal(tf.memory().numTensors, tensors, "no tensor leak");
  assert.deepEqual(bits(model), before, "weights restored bit-exactly");
  assert.deepEqual(surface.alphas, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(surface.betas, surface.alphas);
  assert.equal(surface.losses.length, 5);
  assert.ok(surface.losses.every((row) => row.length === 5 && row.every(Number.isFinite)));
  assert.equal(progress.length, 25);
  assert.equal(progress[24], 1);
  const loss = tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y, model.predict(x) as tf.Tensor)).dataSync()[0]);
  assert.ok(Math.abs(surface.losses[2][2] - loss) <= 1e-6 * loss, `centre ${surface.losses[2][2]} vs model loss ${loss}`);
  assert.ok(surface.losses[0][0] !== surface.losses[2][2], "off-centre points move the weights");
  tf.dispose([x, y]);
  model.dispose();
});

test("a quadratic model gives the analytic paraboloid", async () => {
  // f(x) = x·w (one dense unit, no bias) with targets 0 and MSE: L(w) = wᵀAw with A = XᵀX/N, so
  // L(θ + αδ + βη) = (θ + αδ + βη)ᵀ A (θ + αδ + βη), computed here in float64.
  const input = tf.input({ shape: [3] });
  const dense = tf.layers.dense({ units: 1, useBias: false, kernelInitializer: "zeros" });
  const model = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
  const theta = [0.5, -1, 2];
  model.setWeights([tf.tensor2d(theta, [3, 1])]);
  const X = [[1, 0, 2], [0, 1, -1], [3, 1, 0], [-1, 2, 1]];
  const x = tf.tensor2d(X);
  const y = tf.zeros([4, 1]);
  const delta = [1, 0.5, -0.25];
  const eta = [-0.5, 1, 0.75];
  const directions: [tf.Tensor[], tf.Tensor[]] = [[tf.tensor2d(delta, [3, 1])], [tf.tensor2d(eta, [3, 1])]];
  const surface = await lossSurface2D(model, x, y, { resolution: 7, range: [-2, 2], directions, loss: "meanSquaredError", batchSize: 3 });
  surface.alphas.forEach((a, i) =>
    surface.betas.forEach((b, j) => {
      const w = theta.map((t, k) => t + a * delta[k] + b * eta[k]);
      const expected = X.reduce((s, row) => s + row.reduce((p, v, k) => p + v * w[k], 0) ** 2, 0) / X.length;
      assert.ok(Math.abs(surface.losses[i][j] - expected) <= 1e-5 * Math.max(1, expected), `(${a}, ${b}): ${surface.losses[i][j]} vs ${expected}`);
    }),
  );
  assert.equal(directions[0][0].isDisposed, false, "caller's directions are not disposed");
  tf.dispose([x, y, ...directions.flat()]);
  model.dispose();
});

test("1-D interpolation toward another model reaches its loss at α = 1", async () => {
  const a = mlp({ inputDim: 2, width: 4, depth: 2, outputDim: 2, seed: 1 });
  const b = mlp({ inputDim: 2, width: 4, depth: 2, outputDim: 2, seed: 2 });
  const { x } = batch([16, 2], 2);
  const y = tf.randomNormal([16, 2], 0, 1, "float32", 4);
  const before = bits(a);
  const tensors = tf.memory().numTensors;
  const curve = await lossSurface1D(a, x, y, { toward: b, resolution: 3, range: [0, 1], loss: "meanSquaredError" });
  assert.equal(tf.memory().numTensors, tensors, "no tensor leak");
  assert.deepEqual(bits(a), before);
  const lossOf = (m: tf.LayersModel) => tf.tidy(() => tf.mean(tf.square(tf.sub(y, m.predict(x) as tf.Tensor))).dataSync()[0]);
  assert.deepEqual(curve.alphas, [0, 0.5, 1]);
  assert.ok(Math.abs(curve.losses[0] - lossOf(a)) < 1e-6);
  assert.ok(Math.abs(curve.losses[2] - lossOf(b)) < 1e-5 * lossOf(b), `${curve.losses[2]} vs ${lossOf(b)}`);
  const random = await lossSurface1D(a, x, y, { resolution: 5, seed: 3, loss: "meanSquaredError" });
  assert.ok(Math.abs(random.losses[2] - lossOf(a)) < 1e-6, "centre of a random direction is the model");
  tf.dispose([x, y]);
  a.dispose();
  b.dispose();
});

test("surface options are checked", async () => {
  const model = mlp({ inputDim: 2, width: 3, depth: 1, outputDim: 1 });
  const x = tf.zeros([4, 2]);
  const y = tf.zeros([4, 1]);
  assert.throws(() => linspace([-1, 1], 1), /resolution must be an integer ≥ 2, got 1/);
  assert.throws(() => linspace([1, -1], 5), /range must be \[lo, hi\] with lo < hi/);
  await assert.rejects(lossSurface2D(model, x, y, { directions: [[x], [x]] }), /directions\[0\] must hold one tensor per model weight/);
  await assert.rejects(lossSurface2D(model, x, y, { resolution: 3, batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.equal(tf.memory().numTensors > 0, true);
  tf.dispose([x, y]);
  model.dispose();
});

test("a loss surface of skiplib's CIFAR ResNet restores it bit-exactly", async () => {
  const net = cifarResNet(8, { inputShape: [8, 8, 3], classes: 3, seed: 4 });
  const { x, y } = batch([6, 8, 8, 3], 3);
  const before = bits(net);
  const surface = await lossSurface2D(net, x, y, { resolution: 3 });
  assert.deepEqual(bits(net), before);
  const loss = tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y, net.predict(x) as tf.Tensor)).dataSync()[0]);
  assert.ok(Math.abs(surface.losses[1][1] - loss) <= 1e-6 * loss);
  tf.dispose([x, y]);
  net.dispose();
});

test("filterNorms: one norm per filter (last axis), as an independent reshape computes it", () => {
  const t = tf.randomNormal([3, 3, 4, 5], 0, 1, "float32", 9);
  const mine = libraryFilterNorms(t);
  filterNorms(t).forEach((n, i) => assert.ok(Math.abs(n - mine[i]) < 1e-5, `filter ${i}: ${mine[i]} vs ${n}`));
  assert.equal(mine.length, 5);
  t.dispose();
});
