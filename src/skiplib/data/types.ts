import type { tf } from "../backend";

/** Inputs and targets of a dataset, as tensors the caller disposes. */
export interface Dataset<X extends tf.Tensor = tf.Tensor, Y extends tf.Tensor = tf.Tensor> {
  x: X;
  y: Y;
}

/** Checks a sample count: a positive integer, at most `max` where the data is finite. */
export function checkSamples(samples: number, max = Number.POSITIVE_INFINITY): void {
  if (!Number.isInteger(samples) || samples < 1 || samples > max) {
    throw new Error(`samples must be an integer from 1 to ${max}, got ${samples}`);
  }
}
