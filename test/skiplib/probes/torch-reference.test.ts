// The same weights in another framework: PyTorch (float64, CPU) recomputes the per-layer gradient norms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { tf } from "../../../src/skiplib/backend";
import { activationGradientNorms, layerGradientNorms } from "../../../src/skiplib/probes/gradient-norms";
import { graphNodes } from "../../../src/skiplib/probes/graph";
import { batch, convResNet, mlp } from "./nets";

const root = resolve(__dirname, "../../..");
const REL_TOL = 1e-4;

async function torchPython(): Promise<string> {
  const envModule = join(root, "scripts/python-env.mjs");
  const { ensurePythonEnv } = (await import(envModule)) as { ensurePythonEnv: (name: string) => string };
  return ensurePythonEnv("torch");
}

/** The model's graph, weights and batch as JSON the reference script rebuilds (one node per layer). */
function exportModel(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, loss: string, training: boolean) {
  const layers = graphNodes(model).map((node) => {
    const layer = node.outboundLayer;
    const weights: Record<string, unknown> = {};
    layer.weights.forEach((w) => (weights[w.originalName.split("/").pop()!] = w.read().arraySync()));
    return {
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig(),
      inputs: node.inputTensors.map((t) => t.id),
      output: node.outputTensors[0].id,
      weights,
      trainable: layer.trainableWeights.map((w) => w.originalName.split("/").pop()!),
    };
  });
  return { layers, input: model.inputs[0].id, output: model.outputs[0].id, x: x.arraySync(), y: y.arraySync(), loss, training };
}

function runReference(python: string, spec: unknown) {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-torch-"));
  try {
    writeFileSync(join(dir, "model.json"), JSON.stringify(spec));
    const run = spawnSync(python, [join(__dirname, "torch_reference.py"), join(dir, "model.json"), join(dir, "out.json")], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, `torch_reference.py failed:\n${run.stderr}`);
    return JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as {
      loss: number;
      layers: Array<{ layer: string; gradNorm: number }>;
      activations: Array<{ layer: string; gradNorm: number }>;
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertAgree(ours: Array<{ layer: string; gradNorm: number }>, reference: Array<{ layer: string; gradNorm: number }>, what: string) {
  assert.deepEqual(ours.map((n) => n.layer), reference.map((n) => n.layer), `${what}: same layers in the same order`);
  ours.forEach((n, i) => {
    const rel = Math.abs(n.gradNorm - reference[i].gradNorm) / reference[i].gradNorm;
    assert.ok(rel <= REL_TOL, `${what} ${n.layer}: ours ${n.gradNorm} vs PyTorch ${reference[i].gradNorm} (rel ${rel.toExponential(2)})`);
  });
}

const cases = [
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
  for (const c of cases) {
    await t.test(c.name, () => {
      const model = c.build();
      const { x, y } = c.data();
      const spec = exportModel(model, x, y, c.loss, c.training);
      const reference = runReference(python, spec);
      const options = { loss: c.loss as "meanSquaredError", training: c.training };
      assertAgree(layerGradientNorms(model, x, y, options), reference.layers, "‖∂L/∂W‖");
      assertAgree(activationGradientNorms(model, x, y, options), reference.activations, "‖∂L/∂a‖");
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
