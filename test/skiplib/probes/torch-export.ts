// Exports a tf.layers model (graph, weights) and a batch as the JSON that torch_reference.py rebuilds in PyTorch.
// Shared by the gradient cross-check and the loss-surface bench, so both compare against one reference.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { tf } from "../../../src/skiplib/backend";
import { graphNodes } from "../../../src/skiplib/probes/graph";

const root = resolve(__dirname, "../../..");
export const TORCH_REFERENCE = join(__dirname, "torch_reference.py");

/** The project's PyTorch venv python (created on first use by scripts/python-env.mjs). */
export async function torchPython(): Promise<string> {
  const envModule = join(root, "scripts/python-env.mjs");
  const { ensurePythonEnv } = (await import(envModule)) as { ensurePythonEnv: (name: string) => string };
  return ensurePythonEnv("torch");
}

const shortName = (w: tf.LayerVariable) => w.originalName.split("/").pop()!;

/** Per layer (by name): weight short name ("kernel", "gamma", …) → nested arrays, for tensors aligned with model.weights. */
export function weightsByLayer(model: tf.LayersModel, values: tf.Tensor[] = model.weights.map((w) => w.read())) {
  const index = new Map(model.weights.map((w, i) => [w.id, i]));
  const out: Record<string, Record<string, unknown>> = {};
  for (const layer of model.layers) {
    out[layer.name] = {};
    for (const w of layer.weights) out[layer.name][shortName(w)] = values[index.get(w.id)!].arraySync();
  }
  return out;
}

/** Graph + weights + batch; `extra` fields pass through (e.g. surface directions). */
export function exportModel(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, loss: string, training: boolean, extra: Record<string, unknown> = {}) {
  const weights = weightsByLayer(model);
  const layers = graphNodes(model).map((node) => {
    const layer = node.outboundLayer;
    return {
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig(),
      inputs: node.inputTensors.map((t) => t.id),
      output: node.outputTensors[0].id,
      weights: weights[layer.name],
      trainable: layer.trainableWeights.map(shortName),
    };
  });
  return { layers, input: model.inputs[0].id, output: model.outputs[0].id, x: x.arraySync(), y: y.arraySync(), loss, training, ...extra };
}

/** Runs torch_reference.py (`mode`: "gradients" or "surface") on `spec`; returns its JSON result. */
export function runReference<T>(python: string, spec: unknown, mode: "gradients" | "surface" = "gradients", timeoutMs = 300_000): T {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-torch-"));
  try {
    writeFileSync(join(dir, "model.json"), JSON.stringify(spec));
    // OpenMP threads that spin while waiting collapse on a shared, oversubscribed CPU (10× slower measured here);
    // passive waiting is the usual setting there and keeps the bench's peer honest.
    const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? "PASSIVE" };
    const run = spawnSync(python, [TORCH_REFERENCE, mode, join(dir, "model.json"), join(dir, "out.json")], { encoding: "utf8", timeout: timeoutMs, env });
    if (run.status !== 0) throw new Error(`torch_reference.py ${mode} failed (status ${run.status}):\n${run.stderr || run.error?.message}`);
    return JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
