/**
 * A model's inference pass (BatchNormalization on its moving statistics, dropout off) as one TensorFlow graph:
 * one session call per batch instead of one eager op per layer operation, and TensorFlow's graph optimiser can fold
 * each batch norm and ReLU into the convolution before it.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { UnsupportedModel, type LayerVariableLike } from "./layers";
import { modelGraph } from "./model-graph";
import { GraphSession } from "./session";

export class PredictStep {
  private readonly session: GraphSession;
  private readonly weights: LayerVariableLike[];
  readonly key: string;

  /** What an inference graph depends on: the model's weights (its layers are fixed once built). */
  static key(model: tfjs.LayersModel): string {
    return (model as unknown as { weights: LayerVariableLike[] }).weights.map((w) => w.id).join(",");
  }

  constructor(model: tfjs.LayersModel) {
    const m = model as unknown as { inputs: unknown[]; outputs: unknown[] };
    if (m.inputs.length !== 1 || m.outputs.length !== 1) throw new UnsupportedModel(`${m.inputs.length} inputs and ${m.outputs.length} outputs (one of each is supported)`);
    this.key = PredictStep.key(model);
    const graph = modelGraph(model, false, new Set());
    this.weights = graph.weights.map((w) => w.variable);
    this.session = new GraphSession(graph.tape.g, [graph.inputs[0], ...graph.weights.map((w) => w.ref)], graph.outputs);
  }

  /** The model's output for one batch, as a new tensor. */
  run(x: tfjs.Tensor): tfjs.Tensor {
    return this.session.run([x, ...this.weights.map((w) => w.read())])[0];
  }

  dispose(): void {
    this.session.dispose();
  }
}
