/**
 * Routes tfjs-layers' training steps (`fit`, `trainOnBatch`: the function `makeTrainFunction` returns) and
 * predictions (`predict`, `predictOnBatch`: `predictLoop`; `apply` on a tensor in inference mode: `call`) to
 * whole-model TensorFlow graphs on the native backend,
 * for models whose layers, loss and optimizer have a graph form (layers.ts, losses.ts, optimizers.ts); any other
 * model, or any call the graph does not cover (sample weights, several inputs), takes tfjs-layers' own path.
 * Graphs are built once per model and compile settings, and freed with the model (`dispose`, or garbage collection).
 * `SKIPLIB_GRAPH=0` turns the route off (and `setGraphExecution(false)` at run time, for comparisons).
 */
import * as tfjs from "@tensorflow/tfjs";
import { UnsupportedModel } from "./layers";
import { PredictStep } from "./predict-step";
import { GraphRunFailed } from "./session";
import { TrainStep } from "./train-step";

let enabled = process.env.SKIPLIB_GRAPH !== "0";

/** Turns graph execution on or off for later calls (the environment's SKIPLIB_GRAPH=0 sets the start value). */
export function setGraphExecution(on: boolean): void {
  enabled = on;
}

/** Whether graphs run now: switched on, native backend, and no gradient tape recording (a graph is opaque to tfjs's autodiff). */
export function graphExecution(): boolean {
  const engine = tfjs.engine() as unknown as { state: { gradientDepth: number } };
  return enabled && tfjs.getBackend() === "tensorflow" && engine.state.gradientDepth === 0;
}

interface Step {
  readonly key: string;
  dispose(): void;
}

interface Entry<S extends Step> {
  key: string;
  step?: S;
  /** Why this model has no graph (unsupported, or TensorFlow refused it); then tfjs-layers' path is used. */
  reason?: string;
}

const trainSteps = new WeakMap<object, Entry<TrainStep>>();
const predictSteps = new WeakMap<object, Entry<PredictStep>>();
// A model dropped without dispose() still frees its sessions when it is collected.
const sessions = new FinalizationRegistry<Step>((step) => {
  try {
    step.dispose();
  } catch {
    // a finaliser must not throw; a session that cannot be freed now is only memory
  }
});

/** Forgets a model's graph after TensorFlow failed to run it; later calls take tfjs-layers' path. */
function retire<S extends Step>(entry: Entry<S>, model: tfjs.LayersModel, error: GraphRunFailed): void {
  entry.reason = error.message.split("\n")[0];
  process.stderr.write(`skiplib: graph for model "${model.name}": ${entry.reason}; using tfjs-layers' path from now on\n`);
  if (entry.step) {
    sessions.unregister(entry);
    entry.step.dispose();
    entry.step = undefined;
  }
}

/**
 * Runs a graph call; when TensorFlow fails it, retires the graph and returns undefined so the caller takes
 * tfjs-layers' path. A session that failed changed nothing (GraphRunFailed), so the stock call starts clean; any
 * other error (after the run, with state half assigned) is not retried.
 */
function attempt<S extends Step, R>(map: WeakMap<object, Entry<S>>, model: tfjs.LayersModel, run: () => R): R | undefined {
  try {
    return run();
  } catch (error) {
    const entry = map.get(model);
    if (!(error instanceof GraphRunFailed) || !entry) throw error;
    retire(entry, model, error);
    return undefined;
  }
}

function entryFor<S extends Step>(map: WeakMap<object, Entry<S>>, model: object, key: string): Entry<S> {
  let entry = map.get(model);
  if (entry && entry.key !== key) {
    if (entry.step) {
      sessions.unregister(entry);
      entry.step.dispose();
    }
    entry = undefined;
  }
  if (!entry) {
    entry = { key };
    map.set(model, entry);
  }
  return entry;
}

function build<S extends Step>(entry: Entry<S>, model: tfjs.LayersModel, make: () => S): S | undefined {
  if (entry.step || entry.reason) return entry.step;
  try {
    entry.step = make();
    sessions.register(model, entry.step, entry);
  } catch (error) {
    entry.reason = (error as Error).message.split("\n")[0];
    // unsupported models are expected; TensorFlow rejecting a graph is a defect worth seeing
    if (!(error instanceof UnsupportedModel)) process.stderr.write(`skiplib: graph for model "${model.name}" failed, using tfjs-layers' path: ${entry.reason}\n`);
  }
  return entry.step;
}

/** How the next training step / prediction of `model` runs: "graph", "not compiled yet", or why not a graph. */
export function graphRoute(model: tfjs.LayersModel): { training: string; inference: string } {
  const describe = (entry: Entry<Step> | undefined) => (entry?.step ? "graph" : entry?.reason ?? "not compiled yet");
  return { training: describe(trainSteps.get(model)), inference: describe(predictSteps.get(model)) };
}

function trainStepFor(model: tfjs.LayersModel, data: tfjs.Tensor[]): TrainStep | undefined {
  if (data.length > 2 && data.slice(2).some((w) => w != null)) return undefined; // sample or class weights
  if (data.slice(0, 2).some((t) => t.dtype !== "float32")) return undefined;
  let key: string;
  try {
    key = TrainStep.key(model);
  } catch {
    return undefined; // an optimizer without a graph form: nothing to cache
  }
  const entry = entryFor(trainSteps, model, key);
  return build(entry, model, () => new TrainStep(model));
}

function predictStepFor(model: tfjs.LayersModel): PredictStep | undefined {
  // from the first call on: a model's predictions must not change in the last bits between its first and later calls
  const entry = entryFor(predictSteps, model, PredictStep.key(model));
  return build(entry, model, () => new PredictStep(model));
}

interface LayersModelInternals {
  call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: { training?: boolean; mask?: unknown }): tfjs.Tensor | tfjs.Tensor[];
  makeTrainFunction(): (data: tfjs.Tensor[]) => tfjs.Scalar[];
  predictLoop(ins: tfjs.Tensor | tfjs.Tensor[], batchSize?: number, verbose?: boolean): tfjs.Tensor | tfjs.Tensor[];
  dispose(): unknown;
}

let installed = false;

/** Installs the routes on tfjs-layers' LayersModel (idempotent). */
export function registerGraphExecution(): void {
  if (installed) return;
  installed = true;
  const proto = tfjs.LayersModel.prototype as unknown as LayersModelInternals;
  const { call, makeTrainFunction, predictLoop, dispose } = proto;

  proto.makeTrainFunction = function (this: tfjs.LayersModel) {
    const stock = makeTrainFunction.call(this);
    return (data: tfjs.Tensor[]) => {
      const step = graphExecution() ? trainStepFor(this, data) : undefined;
      return (step && attempt(trainSteps, this, () => step.run(this, data[0], data[1]))) || stock(data);
    };
  };

  proto.predictLoop = function (this: tfjs.LayersModel, ins, batchSize = 32, verbose = false) {
    const x = Array.isArray(ins) ? (ins.length === 1 ? ins[0] : undefined) : ins;
    const n = x?.shape[0] ?? 0;
    const step = graphExecution() && x && x.dtype === "float32" && !verbose && n > 0 ? predictStepFor(this) : undefined;
    const viaGraph = (step: PredictStep) => {
      if (n <= batchSize) return step.run(x!);
      return tfjs.tidy(() => {
        const parts: tfjs.Tensor[] = [];
        for (let start = 0; start < n; start += batchSize) parts.push(step.run(tfjs.slice(x!, start, Math.min(batchSize, n - start))));
        return tfjs.concat(parts, 0);
      });
    };
    return (step && attempt(predictSteps, this, () => viaGraph(step))) || predictLoop.call(this, ins, batchSize, verbose);
  };

  // model.apply(x) on a tensor in inference mode (a loss surface's evaluations) is one pass of the same graph
  proto.call = function (this: tfjs.LayersModel, inputs, kwargs = {}) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const eligible = graphExecution() && x instanceof tfjs.Tensor && x.dtype === "float32" && x.shape[0] > 0 && !kwargs.training && kwargs.mask == null;
    const step = eligible ? predictStepFor(this) : undefined;
    return (step && attempt(predictSteps, this, () => [step.run(x!)])) || call.call(this, inputs, kwargs);
  };

  proto.dispose = function (this: tfjs.LayersModel) {
    for (const map of [trainSteps, predictSteps] as WeakMap<object, Entry<Step>>[]) {
      const entry = map.get(this);
      if (entry?.step) {
        sessions.unregister(entry);
        entry.step.dispose();
      }
      map.delete(this);
    }
    return dispose.call(this);
  };
}
