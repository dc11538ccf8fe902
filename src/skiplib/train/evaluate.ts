import { tf } from "../backend";
import type { Dataset } from "../data/types";
import { accuracy } from "../metrics";

/**
 * Mean categorical cross-entropy and accuracy of `model` over `data` (one-hot targets), in inference mode: BatchNorm
 * uses its moving statistics, as at test time.
 */
export function evaluate(model: tf.LayersModel, data: Dataset, options: { batchSize?: number } = {}): { loss: number; accuracy: number } {
  return tf.tidy(() => {
    const p = model.predict(data.x, { batchSize: options.batchSize ?? 256 }) as tf.Tensor;
    if (p.shape.join() !== data.y.shape.join()) {
      throw new Error(`the model predicts shape [${p.shape}] but the targets have shape [${data.y.shape}]`);
    }
    const loss = tf.mean(tf.metrics.categoricalCrossentropy(data.y, p)).dataSync()[0];
    return { loss, accuracy: accuracy(p, data.y) };
  });
}
