/**
 * Saves and restores a model's weights bit-exactly, so probes and loss surfaces leave the model as they found it
 * (BatchNorm's moving statistics change when a probe runs in training mode; surfaces move every weight).
 */
import { tf } from "../backend";

export interface WeightSnapshot {
  /** Puts every saved value back and frees the copies. */
  restore(): void;
  /** Frees the copies without restoring. */
  dispose(): void;
}

/** The tf.Variable behind each of `weights` (LayerVariable.read() returns the variable itself, not a copy). */
export function variablesOf(weights: tf.LayerVariable[]): tf.Variable[] {
  return weights.map((w) => w.read() as tf.Variable);
}

/** Copies the current values of `weights` (default: all of the model's weights, trainable or not). */
export function snapshotWeights(model: tf.LayersModel, weights: tf.LayerVariable[] = model.weights): WeightSnapshot {
  const variables = variablesOf(weights);
  const copies = variables.map((v) => tf.keep(v.clone()));
  let disposed = false;
  const dispose = () => {
    if (!disposed) copies.forEach((c) => c.dispose());
    disposed = true;
  };
  return {
    restore() {
      if (disposed) throw new Error("this weight snapshot was already restored or disposed");
      variables.forEach((v, i) => v.assign(copies[i]));
      dispose();
    },
    dispose,
  };
}
