/**
 * tfjs-core's SGD, momentum and Adam updates as graph ops, in tfjs's order of operations, with the optimizer's
 * state kept where tfjs keeps it (its slot variables, created as tfjs creates them), so `getWeights`, `setWeights`,
 * `setLearningRate` and a later eager step all see the same optimizer. Hyperparameters that can change between
 * steps (learning rate, Adam's β powers) are fed each step; constants of the optimizer's config are baked in.
 */
import * as tfjs from "@tensorflow/tfjs";
import type { Ref } from "./graph-def";
import { UnsupportedModel } from "./layers";
import { F32, type GraphTape } from "./tape";

const T = { T: F32 };

interface Slot {
  originalName: string;
  variable: tfjs.Variable;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = any;

/**
 * The optimizer's part of a training step graph. The graph depends only on `key` (the class and the constants it
 * bakes in); `feeds` and `commit` take the optimizer instance of the step, so a new optimizer of the same kind
 * (each `fit` makes one) reuses the graph.
 */
export interface OptimizerStep {
  key: string;
  /** Per-step inputs: slot variables (flattened per weight), then hyperparameters; `dispose` after the step. */
  feeds(o: AnyOptimizer, variables: tfjs.Variable[]): { slots: tfjs.Tensor[]; hyper: tfjs.Tensor[]; dispose: tfjs.Tensor[] };
  /** Emits the update: new weights, new slots (flattened like `feeds`), new optimizer state. */
  emit(t: GraphTape, weights: Ref[], grads: Ref[], slots: Ref[], hyper: Ref[]): { weights: Ref[]; slots: Ref[]; state: Ref[] };
  /** Takes the step's new slot and state values into the optimizer (the tensors are consumed). */
  commit(o: AnyOptimizer, variables: tfjs.Variable[], slots: tfjs.Tensor[], state: tfjs.Tensor[]): void;
}

/** tfjs's slot creation: a zero, non-trainable variable the first time a weight is updated. */
function ensureSlots(list: (Slot | undefined)[], variables: tfjs.Variable[], suffix: string): tfjs.Variable[] {
  return variables.map((v, i) => {
    list[i] ??= { originalName: `${v.name}/${suffix}`, variable: tfjs.tidy(() => tfjs.zerosLike(v).variable(false)) };
    return list[i]!.variable;
  });
}

function assignAll(targets: tfjs.Variable[], values: tfjs.Tensor[]): void {
  targets.forEach((v, i) => {
    v.assign(values[i]);
    values[i].dispose();
  });
}

function momentum(nesterov: boolean): OptimizerStep {
  return {
    key: `momentum:${nesterov}`,
    feeds: (o, variables) => ({ slots: ensureSlots((o.accumulations ??= []), variables, "momentum"), hyper: [o.c, o.m], dispose: [] }),
    emit(t, weights, grads, slots, [c, mm]) {
      const newSlots: Ref[] = [];
      const newWeights = weights.map((value, i) => {
        const acc = t.raw("AddV2", [t.raw("Mul", [mm, slots[i]], T), grads[i]], T);
        newSlots.push(acc);
        const step = nesterov ? t.raw("AddV2", [grads[i], t.raw("Mul", [acc, mm], T)], T) : acc;
        return t.raw("AddV2", [t.raw("Mul", [c, step], T), value], T);
      });
      return { weights: newWeights, slots: newSlots, state: [] };
    },
    commit(o, variables, slots) {
      assignAll(ensureSlots(o.accumulations, variables, "momentum"), slots);
    },
  };
}

function sgd(): OptimizerStep {
  return {
    key: "sgd",
    feeds: (o) => ({ slots: [], hyper: [o.c], dispose: [] }),
    emit(t, weights, grads, _slots, [c]) {
      return { weights: weights.map((value, i) => t.raw("AddV2", [t.raw("Mul", [c, grads[i]], T), value], T)), slots: [], state: [] };
    },
    commit() {},
  };
}

function adam(beta1: number, beta2: number, epsilon: number): OptimizerStep {
  return {
    key: `adam:${beta1}:${beta2}:${epsilon}`,
    feeds(o, variables) {
      const first = ensureSlots(o.accumulatedFirstMoment, variables, "m");
      const second = ensureSlots(o.accumulatedSecondMoment, variables, "v");
      const negLr = tfjs.scalar(-o.learningRate);
      return { slots: variables.flatMap((_, i) => [first[i], second[i]]), hyper: [o.accBeta1, o.accBeta2, negLr], dispose: [negLr] };
    },
    emit(t, weights, grads, slots, hyper) {
      const [accBeta1, accBeta2, negLr] = hyper;
      const k = (v: number) => t.scalar(v);
      const one = k(1);
      const oneMinusAccBeta1 = t.raw("Sub", [one, accBeta1], T);
      const oneMinusAccBeta2 = t.raw("Sub", [one, accBeta2], T);
      const newSlots: Ref[] = [];
      const newWeights = weights.map((value, i) => {
        const g = grads[i];
        const m1 = t.raw("AddV2", [t.raw("Mul", [slots[2 * i], k(beta1)], T), t.raw("Mul", [g, k(1 - beta1)], T)], T);
        const m2 = t.raw("AddV2", [t.raw("Mul", [slots[2 * i + 1], k(beta2)], T), t.raw("Mul", [t.raw("Square", [g], T), k(1 - beta2)], T)], T);
        newSlots.push(m1, m2);
        const corrected1 = t.raw("RealDiv", [m1, oneMinusAccBeta1], T);
        const corrected2 = t.raw("RealDiv", [m2, oneMinusAccBeta2], T);
        const ratio = t.raw("RealDiv", [corrected1, t.raw("AddV2", [t.raw("Sqrt", [corrected2], T), k(epsilon)], T)], T);
        return t.raw("AddV2", [t.raw("Mul", [ratio, negLr], T), value], T);
      });
      const state = [t.raw("Mul", [accBeta1, k(beta1)], T), t.raw("Mul", [accBeta2, k(beta2)], T)];
      return { weights: newWeights, slots: newSlots, state };
    },
    commit(o, variables, slots, state) {
      const first = ensureSlots(o.accumulatedFirstMoment, variables, "m");
      const second = ensureSlots(o.accumulatedSecondMoment, variables, "v");
      assignAll(variables.flatMap((_, i) => [first[i], second[i]]), slots);
      assignAll([o.accBeta1, o.accBeta2], state);
    },
  };
}

/** The graph form of `optimizer`'s update, or UnsupportedModel for optimizers other than SGD, momentum and Adam. */
export function optimizerStep(optimizer: tfjs.Optimizer): OptimizerStep {
  const o = optimizer as AnyOptimizer;
  const name = optimizer.getClassName();
  if (name === "Momentum") return momentum(Boolean(o.useNesterov));
  if (name === "SGD") return sgd();
  if (name === "Adam") return adam(o.beta1, o.beta2, o.epsilon);
  throw new UnsupportedModel(`optimizer ${name}`);
}
