/**
 * A functional tfjs-layers model as a TensorFlow graph: its layer calls in topological order (as tfjs-layers'
 * `execute` runs them), each weight a placeholder fed with the variable's current value, and the new values of
 * the weights a training step changes (BatchNormalization's moving statistics) as extra outputs.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { Ref } from "./graph-def";
import { emitLayer, UnsupportedModel, type EmitContext, type LayerVariableLike } from "./layers";
import { GraphTape, type Shape } from "./tape";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Symbolic = any;

export interface ModelGraph {
  tape: GraphTape;
  /** One placeholder per model input, in the model's input order. */
  inputs: Ref[];
  outputs: Ref[];
  /** Every weight the graph reads, in first-use order, with its placeholder. */
  weights: { variable: LayerVariableLike; ref: Ref }[];
  /** New values of non-trainable weights after a training step. */
  updates: { variable: LayerVariableLike; ref: Ref }[];
}

const REGULARIZERS = ["kernelRegularizer", "biasRegularizer", "activityRegularizer", "gammaRegularizer", "betaRegularizer", "embeddingsRegularizer"];

/** Symbolic tensors from the inputs to `outputs`, each after those it reads. */
function topological(outputs: Symbolic[]): Symbolic[] {
  const order: Symbolic[] = [];
  const seen = new Set<number>();
  const visit = (s: Symbolic) => {
    if (seen.has(s.id)) return;
    seen.add(s.id);
    for (const input of s.inputs ?? []) visit(input);
    order.push(s);
  };
  outputs.forEach(visit);
  return order;
}

function checkLayer(layer: Symbolic, training: boolean): void {
  if (Array.isArray(layer.layers)) throw new UnsupportedModel(`nested model "${layer.name}"`);
  if (training && (REGULARIZERS.some((key) => layer[key] != null) || (layer.losses?.length ?? 0) > 0)) {
    throw new UnsupportedModel(`layer "${layer.name}" adds a regularisation loss`);
  }
}

/** The model's forward pass (training or inference mode); `tracked` weights get gradients. */
export function modelGraph(model: tfjs.LayersModel, training: boolean, tracked: Set<number>): ModelGraph {
  const m = model as unknown as { inputs: Symbolic[]; outputs: Symbolic[] };
  const tape = new GraphTape();
  const values = new Map<number, Ref>();
  const inputs = m.inputs.map((s: Symbolic, i: number) => {
    if (s.dtype !== "float32") throw new UnsupportedModel(`input "${s.name}" is ${s.dtype}`);
    const ref = tape.input(`input_${i}`, s.shape as Shape);
    values.set(s.id, ref);
    return ref;
  });
  const weights: ModelGraph["weights"] = [];
  const byVariable = new Map<number, Ref>();
  const updates: ModelGraph["updates"] = [];
  const ctx: EmitContext = {
    tape,
    training,
    weight(variable) {
      if (variable.dtype !== "float32") throw new UnsupportedModel(`weight "${variable.name}" is ${variable.dtype}`);
      let ref = byVariable.get(variable.id);
      if (ref === undefined) {
        ref = tape.input(`weight_${weights.length}`, variable.shape, tracked.has(variable.id));
        byVariable.set(variable.id, ref);
        weights.push({ variable, ref });
      }
      return ref;
    },
    update(variable, ref) {
      if (updates.some((u) => u.variable.id === variable.id)) throw new UnsupportedModel(`weight "${variable.name}" is updated twice in a step`);
      updates.push({ variable, ref });
    },
  };
  for (const s of topological(m.outputs)) {
    if (values.has(s.id)) continue;
    const layer = s.sourceLayer;
    if (layer.getClassName() === "InputLayer") throw new UnsupportedModel(`input "${s.name}" is not one of the model's inputs`);
    checkLayer(layer, training);
    const node = layer.inboundNodes?.[s.nodeIndex];
    if (node && node.outputTensors.length !== 1) throw new UnsupportedModel(`layer "${layer.name}" has ${node.outputTensors.length} outputs`);
    if (s.callArgs && Object.keys(s.callArgs).some((k) => s.callArgs[k] !== undefined)) {
      throw new UnsupportedModel(`layer "${layer.name}" was called with arguments (${Object.keys(s.callArgs).join(", ")})`);
    }
    const ins = (s.inputs as Symbolic[]).map((input) => values.get(input.id)!);
    values.set(s.id, emitLayer(layer, ins, ctx, s.shape as Shape));
  }
  return { tape, inputs, outputs: m.outputs.map((s: Symbolic) => values.get(s.id)!), weights, updates };
}
