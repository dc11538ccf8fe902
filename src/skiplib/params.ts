/** Parameter counts and per-layer shapes, as the papers tabulate them. */
import { tf } from "./backend";

function size(shape: (number | null)[]): number {
  return shape.reduce((a: number, b) => a * (b ?? 1), 1);
}

/**
 * Number of parameters of `model`. Default: trainable ones (what the papers count; BatchNorm's running
 * mean and variance are statistics, not parameters). `{ trainableOnly: false }` counts every weight.
 */
export function countParams(model: tf.LayersModel, options: { trainableOnly?: boolean } = {}): number {
  const weights = options.trainableOnly === false ? model.weights : model.trainableWeights;
  return weights.reduce((sum, w) => sum + size(w.shape), 0);
}

export interface LayerRow {
  /** Position in the model's layer list (input = 0). */
  index: number;
  name: string;
  /** tfjs class name: Conv2D, BatchNormalization, Add, Concatenate, ... */
  type: string;
  /** Output shape without the batch dimension, e.g. [56, 56, 64]. */
  outputShape: number[];
  /** Trainable parameters of this layer. */
  params: number;
}

/** One row per layer (name, type, output shape, trainable parameters): the "output size" column of He et al. 2015 table 1. */
export function layerSummary(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer, index) => {
    const shape = layer.outputShape;
    if (Array.isArray(shape[0])) throw new Error(`layerSummary: layer "${layer.name}" has several outputs; only single-output layers are tabulated`);
    return {
      index,
      name: layer.name,
      type: layer.getClassName(),
      outputShape: (shape as (number | null)[]).slice(1) as number[],
      params: layer.trainableWeights.reduce((sum, w) => sum + size(w.shape), 0),
    };
  });
}
