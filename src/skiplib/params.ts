/** Parameter counts, as the papers report them. */
import { tf } from "./backend";

/**
 * Number of parameters of `model`. Default: trainable ones (what the papers count; BatchNorm's running
 * mean and variance are statistics, not parameters). `{ trainableOnly: false }` counts every weight.
 */
export function countParams(model: tf.LayersModel, options: { trainableOnly?: boolean } = {}): number {
  const weights = options.trainableOnly === false ? model.weights : model.trainableWeights;
  return weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
