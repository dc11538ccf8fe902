/**
 * A whole training step of a compiled tfjs-layers model — forward pass, loss, backward pass, optimizer update,
 * BatchNormalization's moving averages — as one TensorFlow graph and one session call, instead of tfjs's few
 * hundred eager ops. It computes what tfjs-layers' own train function computes (same ops, gradients and update
 * formulas; float results agree to rounding) and leaves the same state behind: the new weights, optimizer slots and
 * moving statistics are assigned to the model's and optimizer's own variables after each step.
 */
import * as tfjs from "@tensorflow/tfjs";
import { UnsupportedModel, type LayerVariableLike } from "./layers";
import { emitLoss } from "./losses";
import * as m from "./math-ops";
import { modelGraph } from "./model-graph";
import { optimizerStep, type OptimizerStep } from "./optimizers";
import { GraphSession } from "./session";

/** The parts of a compiled LayersModel a training step reads (tfjs-layers fields, not all in its typings). */
export interface CompiledModel {
  inputs: unknown[];
  outputs: unknown[];
  loss: unknown;
  optimizer: tfjs.Optimizer;
  collectedTrainableWeights: LayerVariableLike[];
  metricsTensors: [(yTrue: tfjs.Tensor, yPred: tfjs.Tensor) => tfjs.Tensor, number][];
}

const variableOf = (w: LayerVariableLike) => w.read() as tfjs.Variable;

export class TrainStep {
  private readonly session: GraphSession;
  private readonly optimizer: OptimizerStep;
  private readonly trainable: LayerVariableLike[];
  /** Every weight the graph reads, in feeding order. */
  private readonly weights: LayerVariableLike[];
  /** Non-trainable weights the step changes (moving statistics), in fetch order. */
  private readonly updated: LayerVariableLike[];
  private readonly counts: { slots: number; state: number };
  /** What the graph bakes in of the model's compile settings (see TrainStep.key). */
  readonly key: string;

  /** The compile settings a training graph depends on: optimizer kind and constants, loss, trainable weights. */
  static key(model: tfjs.LayersModel): string {
    const compiled = model as unknown as CompiledModel;
    return `${optimizerStep(compiled.optimizer).key}|${String(compiled.loss)}|${compiled.collectedTrainableWeights.map((w) => w.id).join(",")}`;
  }

  /** Builds and loads the graph; UnsupportedModel when some layer, loss or the optimizer has no graph form. */
  constructor(model: tfjs.LayersModel) {
    const compiled = model as unknown as CompiledModel;
    if (compiled.inputs.length !== 1 || compiled.outputs.length !== 1) {
      throw new UnsupportedModel(`${compiled.inputs.length} inputs and ${compiled.outputs.length} outputs (one of each is supported)`);
    }
    this.optimizer = optimizerStep(compiled.optimizer);
    this.key = TrainStep.key(model);
    this.trainable = compiled.collectedTrainableWeights;
    const graph = modelGraph(model, true, new Set(this.trainable.map((w) => w.id)));
    const t = graph.tape;
    const output = graph.outputs[0];
    const target = t.input("target_0", t.shape(output));
    // tfjs-layers: the loss function's values (per sample, or per pixel for a segmentation), then their mean
    const values = emitLoss(compiled.loss, t, target, output);
    const loss = m.mean(t, values, t.shape(values).map((_, i) => i));
    const refs = new Map(graph.weights.map((w) => [w.variable.id, w.ref]));
    const trainableRefs = this.trainable.map((w) => {
      const ref = refs.get(w.id);
      if (ref === undefined) throw new UnsupportedModel(`trainable weight "${w.name}" is not used by the model`);
      return ref;
    });
    const grads = t.gradients(loss, t.scalar(1), trainableRefs).map((g, i) => {
      if (g === null) throw new UnsupportedModel(`the loss does not depend on trainable weight "${this.trainable[i].name}"`);
      return g;
    });
    const feeds = this.optimizer.feeds(compiled.optimizer, this.trainable.map(variableOf));
    const slotRefs = feeds.slots.map((s, i) => t.input(`slot_${i}`, s.shape));
    const hyperRefs = feeds.hyper.map((h, i) => t.input(`hyper_${i}`, h.shape));
    tfjs.dispose(feeds.dispose);
    const step = this.optimizer.emit(t, trainableRefs, grads, slotRefs, hyperRefs);
    this.weights = graph.weights.map((w) => w.variable);
    this.updated = graph.updates.map((u) => u.variable);
    this.counts = { slots: step.slots.length, state: step.state.length };
    this.session = new GraphSession(
      t.g,
      [graph.inputs[0], target, ...graph.weights.map((w) => w.ref), ...slotRefs, ...hyperRefs],
      [loss, output, ...step.weights, ...step.slots, ...step.state, ...graph.updates.map((u) => u.ref)],
    );
  }

  /**
   * One step on a batch: the model's and optimizer's variables are updated in place; returns what tfjs-layers'
   * train function returns, [mean loss, ...metrics], as new tensors.
   */
  run(model: tfjs.LayersModel, x: tfjs.Tensor, y: tfjs.Tensor): tfjs.Scalar[] {
    const compiled = model as unknown as CompiledModel;
    const variables = this.trainable.map(variableOf);
    const feeds = this.optimizer.feeds(compiled.optimizer, variables);
    let outs: tfjs.Tensor[];
    try {
      outs = this.session.run([x, y, ...this.weights.map((w) => w.read()), ...feeds.slots, ...feeds.hyper]);
    } finally {
      tfjs.dispose(feeds.dispose);
    }
    const [loss, output, ...rest] = outs;
    const newWeights = rest.splice(0, variables.length);
    const newSlots = rest.splice(0, this.counts.slots);
    const state = rest.splice(0, this.counts.state);
    variables.forEach((v, i) => {
      v.assign(newWeights[i]);
      newWeights[i].dispose();
    });
    this.updated.forEach((w, i) => {
      (w.read() as tfjs.Variable).assign(rest[i]);
      rest[i].dispose();
    });
    this.optimizer.commit(compiled.optimizer, variables, newSlots, state);
    (compiled.optimizer as unknown as { incrementIterations(): void }).incrementIterations();
    const metrics = compiled.metricsTensors.map(([metric]) => tfjs.tidy(() => tfjs.mean(metric(y, output)) as tfjs.Scalar));
    output.dispose();
    return [loss as tfjs.Scalar, ...metrics];
  }

  dispose(): void {
    this.session.dispose();
  }
}
