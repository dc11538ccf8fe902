/** What every single-input custom layer does with tfjs-layers' inputs, which may arrive wrapped in a list. */
import type { tf } from "../backend";

export type Shape = (number | null)[];

/** The layer's one input tensor. */
export function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** The layer's one input shape. */
export function singleShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}
