// Every instrument on every skiplib builder, as the notebooks use them: probes, identity extension and surfaces
// must handle each architecture's layers (custom shortcut and highway layers, concatenations, transposed convs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { cifarPlainNet, cifarResNet, denseNet, highwayMLP, plainMLP, residualMLP, uNet } from "../../../src/skiplib/models";
import { activationGradientNorms, layerGradientNorms } from "../../../src/skiplib/probes/gradient-norms";
import { identityDifference, identityExtend } from "../../../src/skiplib/identity";
import { lossSurface2D } from "../../../src/skiplib/surface/grid";
import { lossFor } from "../../../src/skiplib/probes/loss";

const labels = (n: number, classes: number) => tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % classes), "int32"), classes).toFloat());

const builders: Array<{ name: string; build: () => tf.LayersModel; x: () => tf.Tensor; y: () => tf.Tensor }> = [
  { name: "plainMLP", build: () => plainMLP({ inputDim: 2, depth: 3, width: 8, outputDim: 3 }), x: () => tf.randomNormal([6, 2], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "residualMLP", build: () => residualMLP({ inputDim: 2, depth: 4, width: 8, outputDim: 3 }), x: () => tf.randomNormal([6, 2], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "highwayMLP", build: () => highwayMLP({ inputDim: 2, depth: 3, width: 8, outputDim: 3 }), x: () => tf.randomNormal([6, 2], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "cifarPlainNet(8)", build: () => cifarPlainNet(8, { inputShape: [8, 8, 3], classes: 3 }), x: () => tf.randomNormal([6, 8, 8, 3], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "cifarResNet(8)", build: () => cifarResNet(8, { inputShape: [8, 8, 3], classes: 3 }), x: () => tf.randomNormal([6, 8, 8, 3], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "denseNet", build: () => denseNet({ depth: 10, growthRate: 4, inputShape: [8, 8, 3], classes: 3 }), x: () => tf.randomNormal([6, 8, 8, 3], 0, 1, "float32", 1), y: () => labels(6, 3) },
  { name: "uNet", build: () => uNet({ depth: 2, baseChannels: 4, inputShape: [16, 16, 1], outputChannels: 1 }), x: () => tf.randomNormal([2, 16, 16, 1], 0, 1, "float32", 1), y: () => tf.tidy(() => tf.randomUniform([2, 16, 16, 1], 0, 1, "float32", 2).round()) },
];

for (const b of builders) {
  test(`instruments on ${b.name}: gradient norms, identity extension, loss surface`, async () => {
    const model = b.build();
    const x = b.x();
    const y = b.y();
    const tensors = tf.memory().numTensors;
    const norms = layerGradientNorms(model, x, y);
    assert.equal(norms.length, model.layers.filter((l) => l.trainableWeights.length > 0).length);
    assert.ok(norms.every((n) => Number.isFinite(n.gradNorm) && n.gradNorm >= 0), "finite norms");
    assert.ok(activationGradientNorms(model, x, y).every((n) => Number.isFinite(n.gradNorm)));
    assert.equal(tf.memory().numTensors, tensors, "probes leak no tensor");
    const deep = identityExtend(model, 2);
    assert.ok(identityDifference(model, deep, x) <= 1e-5, "identity extension keeps the outputs");
    deep.dispose();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const surface = await lossSurface2D(model, x, y, { resolution: 3 });
    assert.deepEqual(model.getWeights().map((w) => Array.from(w.dataSync())), before, "weights restored");
    const loss = tf.tidy(() => lossFor(model, y)(y, model.predict(x) as tf.Tensor).dataSync()[0]);
    assert.ok(Math.abs(surface.losses[1][1] - loss) <= 1e-6 * Math.max(1, loss), `centre ${surface.losses[1][1]} vs ${loss}`);
    tf.dispose([x, y]);
    model.dispose();
  });
}
