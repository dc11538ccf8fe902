// The same weights in another framework: PyTorch (float64, CPU) recomputes the per-layer gradient norms,
// and (float32) a loss-surface grid along the same directions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { activationGradientNorms, layerGradientNorms } from "../../../src/skiplib/probes/gradient-norms";
import { exportModel, runReference, torchPython, weightsByLayer } from "./torch-export";
import { filterNormalizedDirection } from "../../../src/skiplib/surface/directions";
import { lossSurface2D } from "../../../src/skiplib/surface/grid";
import { batch, convResNet, mlp } from "./nets";
import { cifarResNet } from "../../../src/skiplib/models";

const REL_TOL = 1e-4;

interface Reference {
  loss: number;
  layers: Array<{ layer: string; gradNorm: number }>;
  activations: Array<{ layer: string; gradNorm: number }>;
}

function assertAgree(ours: Array<{ layer: string; gradNorm: number }>, reference: Array<{ layer: string; gradNorm: number }>, what: string) {
  assert.deepEqual(ours.map((n) => n.layer), reference.map((n) => n.layer), `${what}: same layers in the same order`);
  ours.forEach((n, i) => {
    const rel = Math.abs(n.gradNorm - reference[i].gradNorm) / reference[i].gradNorm;
    assert.ok(rel <= REL_TOL, `${what} ${n.layer}: ours ${n.gradNorm} vs PyTorch ${reference[i].gradNorm} (rel ${rel.toExponential(2)})`);
  });
}

const cases = [
  { name: "skiplib CIFAR ResNet-8 (option-A shortcuts, BatchNorm in training mode)", training: true, loss: "categoricalCrossentropy",
    build: () => cifarResNet(8, { inputShape: [8, 8, 3], classes: 3, seed: 2 }), data: () => batch([8, 8, 8, 3], 3) },
  { name: "conv ResNet with BatchNorm in training mode", training: true, loss: "categoricalCrossentropy",
    build: () => convResNet({ blocks: 2, channels: 4 }), data: () => batch([8, 8, 8, 3], 3) },
  { name: "conv ResNet with BatchNorm in inference mode", training: false, loss: "categoricalCrossentropy",
    build: () => convResNet({ blocks: 1, channels: 4, seed: 21 }), data: () => batch([6, 8, 8, 3], 3, 11) },
  { name: "plain tanh MLP", training: true, loss: "meanSquaredError",
    build: () => mlp({ inputDim: 5, width: 12, depth: 4, outputDim: 3, activation: "tanh", seed: 8 }),
    data: () => ({ x: tf.randomNormal([10, 5], 0, 1, "float32", 1), y: tf.randomNormal([10, 3], 0, 1, "float32", 2) }) },
];

test("per-layer gradient norms agree with PyTorch on the same weights within 1e-4 relative", async (t) => {
  const python = await torchPython();
  const built = cases.map((c) => ({ ...c, model: c.build(), ...c.data() }));
  const references = runReference<Reference[]>(python, built.map((c) => exportModel(c.model, c.x, c.y, c.loss, c.training)));
  for (const [i, c] of built.entries()) {
    await t.test(c.name, () => {
      const options = { loss: c.loss as "meanSquaredError", training: c.training };
      assertAgree(layerGradientNorms(c.model, c.x, c.y, options), references[i].layers, "‖∂L/∂W‖");
      assertAgree(activationGradientNorms(c.model, c.x, c.y, options), references[i].activations, "‖∂L/∂a‖");
    });
    tf.dispose([c.x, c.y]);
    c.model.dispose();
  }
});

test("a 2-D loss surface agrees with the same grid evaluated in PyTorch", async () => {
  const python = await torchPython();
  const model = convResNet({ blocks: 2, channels: 4, seed: 5 });
  const { x, y } = batch([12, 8, 8, 3], 3, 4);
  const directions = [filterNormalizedDirection(model, { seed: 1 }), filterNormalizedDirection(model, { seed: 2 })] as [tf.Tensor[], tf.Tensor[]];
  const grid = { resolution: 3, range: [-0.5, 0.5] as [number, number], batchSize: 5 };
  const ours = await lossSurface2D(model, x, y, { ...grid, directions });
  const spec = exportModel(model, x, y, "categoricalCrossentropy", false, {
    ...grid,
    directions: directions.map((d) => weightsByLayer(model, d)),
  });
  const reference = runReference<{ losses: number[][] }>(python, spec, "surface");
  ours.losses.forEach((row, i) =>
    row.forEach((loss, j) => {
      const expected = reference.losses[i][j];
      assert.ok(Math.abs(loss - expected) <= 1e-4 * expected, `(${i}, ${j}): ours ${loss} vs PyTorch ${expected}`);
    }),
  );
  tf.dispose([x, y, ...directions.flat()]);
  model.dispose();
});
