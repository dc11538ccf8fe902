// Shared by the block tests: symbolic inputs, running a block as a model, seeded data.
import { tf } from "../../../src/skiplib/backend";

export function blockModel(inputShape: number[], build: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  return tf.model({ inputs: input, outputs: build(input) });
}

export function randomInput(shape: number[], seed = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

export function run(model: tf.LayersModel, x: tf.Tensor, training = false): tf.Tensor {
  return model.apply(x, { training }) as tf.Tensor;
}
