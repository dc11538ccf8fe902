/**
 * Runs a LayersModel layer by layer on concrete tensors, so probes can look inside: see or perturb any layer's
 * output (for ∂L/∂a), or replace one layer's computation (to delete a residual branch at test time, Veit et al.).
 * Follows the model's own symbolic graph (works for Sequential and functional models, nested models run as one layer).
 */
import { tf } from "../backend";

type Layer = tf.layers.Layer;

/** The parts of tfjs-layers' SymbolicTensor and Node that the executor needs (not all are in the public types). */
export interface GraphTensor {
  id: number;
  shape: (number | null)[];
  sourceLayer: Layer;
  nodeIndex: number;
  tensorIndex: number;
}
export interface GraphNode {
  inputTensors: GraphTensor[];
  outputTensors: GraphTensor[];
  callArgs?: Record<string, unknown>;
  outboundLayer: Layer;
}

export interface GraphCall {
  layer: Layer;
  node: GraphNode;
  inputs: tf.Tensor[];
}

export interface RunGraphOptions {
  /** Passed to every layer as `training` (BatchNorm batch statistics, dropout). Default false. */
  training?: boolean;
  /** Replaces a layer's computation; return undefined to run the layer as usual. */
  override?: (call: GraphCall) => tf.Tensor[] | undefined;
  /** Sees each layer output and may replace it (e.g. add a zero perturbation to differentiate against). */
  tap?: (symbolic: GraphTensor, value: tf.Tensor) => tf.Tensor;
}

function nodeOf(symbolic: GraphTensor): GraphNode {
  const nodes = (symbolic.sourceLayer as unknown as { inboundNodes: GraphNode[] }).inboundNodes;
  return nodes[symbolic.nodeIndex];
}

function modelInputs(model: tf.LayersModel): GraphTensor[] {
  return model.inputs as unknown as GraphTensor[];
}

function modelOutputs(model: tf.LayersModel): GraphTensor[] {
  return model.outputs as unknown as GraphTensor[];
}

/** The model's nodes in an order where every node comes after the nodes it reads from (input → output). */
export function graphNodes(model: tf.LayersModel): GraphNode[] {
  const inputIds = new Set(modelInputs(model).map((t) => t.id));
  const ordered: GraphNode[] = [];
  const seen = new Set<GraphNode>();
  const visit = (symbolic: GraphTensor): void => {
    if (inputIds.has(symbolic.id)) return;
    const node = nodeOf(symbolic);
    if (seen.has(node)) return;
    seen.add(node);
    for (const input of node.inputTensors) visit(input);
    ordered.push(node);
  };
  for (const output of modelOutputs(model)) visit(output);
  return ordered;
}

/** Evaluates `model` on `x` node by node; returns the model's outputs. Call inside tf.tidy (intermediates are not disposed). */
export function runGraph(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[], options: RunGraphOptions = {}): tf.Tensor[] {
  const inputs = Array.isArray(x) ? x : [x];
  const symbolicInputs = modelInputs(model);
  if (inputs.length !== symbolicInputs.length) {
    throw new Error(`x must hold ${symbolicInputs.length} input tensor(s) for model "${model.name}", got ${inputs.length}`);
  }
  const values = new Map<number, tf.Tensor>();
  symbolicInputs.forEach((symbolic, i) => values.set(symbolic.id, inputs[i]));
  for (const node of graphNodes(model)) {
    const layer = node.outboundLayer;
    const callInputs = node.inputTensors.map((t) => {
      const value = values.get(t.id);
      if (!value) throw new Error(`internal: layer "${layer.name}" reads a tensor that was not computed`);
      return value;
    });
    let outputs = options.override?.({ layer, node, inputs: callInputs });
    if (!outputs) {
      const kwargs = { ...(node.callArgs ?? {}), training: options.training ?? false };
      const result = layer.apply(callInputs.length === 1 ? callInputs[0] : callInputs, kwargs) as tf.Tensor | tf.Tensor[];
      outputs = Array.isArray(result) ? result : [result];
    }
    node.outputTensors.forEach((symbolic, i) => {
      values.set(symbolic.id, options.tap ? options.tap(symbolic, outputs![i]) : outputs![i]);
    });
  }
  return modelOutputs(model).map((t) => values.get(t.id)!);
}
