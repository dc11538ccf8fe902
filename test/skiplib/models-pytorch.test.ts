// Cross-check against an independent implementation (micrograd's habit): the CIFAR ResNet written from the papers
// in PyTorch (reference/cifar_resnet.py), fed the same weights, must give the same outputs and input gradients.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { tf } from "../../src/skiplib/backend";
import { cifarResNet, type CifarNetOptions } from "../../src/skiplib/models";

const ROOT = resolve(__dirname, "../..");

async function torchPython(): Promise<string> {
  const { ensurePythonEnv } = (await import(join(ROOT, "scripts", "python-env.mjs"))) as { ensurePythonEnv: (name: string) => string };
  return ensurePythonEnv("torch");
}

/** Weights by layer name and short weight name (kernel, gamma, moving_mean, ...). */
function namedWeights(model: tf.LayersModel): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    out[layer.name] = Object.fromEntries(layer.weights.map((w) => [w.originalName.split("/").pop(), w.read().arraySync()]));
  }
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

const cases: { title: string; depth: number; options: CifarNetOptions }[] = [
  { title: "ResNet-14, option A, post-activation, 10×10 input", depth: 14, options: { channels: [4, 6, 8], inputShape: [10, 10, 3], classes: 5 } },
  { title: "ResNet-8, option B, pre-activation, 9×9 input", depth: 8, options: { channels: [4, 8, 8], inputShape: [9, 9, 2], classes: 3, preActivation: true, shortcut: "B" } },
];

for (const c of cases) {
  test(`${c.title}: outputs and input gradients match a PyTorch reference written from the papers`, async () => {
    const python = await torchPython();
    const model = cifarResNet(c.depth, { ...c.options, seed: 5 });
    // non-trivial BN parameters and statistics, so inference-mode BN is not the identity
    for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 1 || i === 2 ? -0.5 : 0.5, i === 1 || i === 2 ? 0.5 : 1.5, "float32", i + 1)));
    }
    const [h, w, ch] = c.options.inputShape!;
    const x = tf.randomNormal([3, h, w, ch], 0, 1, "float32", 7);
    const r = tf.randomNormal([3, c.options.classes!], 0, 1, "float32", 8);
    const y = model.predict(x) as tf.Tensor;
    const gx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.predict(input) as tf.Tensor, r)))(x);
    const spec = { config: { depth: c.depth, preActivation: c.options.preActivation ?? false, shortcut: c.options.shortcut ?? "A" }, weights: namedWeights(model), x: x.arraySync(), r: r.arraySync() };
    const run = spawnSync(python, [join(__dirname, "reference", "cifar_resnet.py")], { input: JSON.stringify(spec), encoding: "utf8", maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const reference = JSON.parse(run.stdout) as { y: number[][]; gx: number[] };
    assert.ok(maxAbsDiff(Array.from(y.dataSync()), reference.y.flat()) < 1e-5, "softmax outputs agree to 1e-5");
    const gScale = Math.max(...reference.gx.flat(3).map(Math.abs));
    const gDiff = maxAbsDiff(Array.from(gx.dataSync()), reference.gx.flat(3) as number[]);
    assert.ok(gDiff < 1e-4 * Math.max(gScale, 1e-3), `input gradients agree (max |Δ| ${gDiff}, max |g| ${gScale})`);
    tf.dispose([x, r, y, gx]);
    model.dispose();
  });
}
