/**
 * BatchNorm's moving statistics recomputed from training batches ("precise BN", Wu & Johnson 2021, §3; PyTorch's
 * `torch.optim.swa_utils.update_bn`). After a short run the exponential moving averages still remember the first
 * steps, so an inference-mode loss can be far from what the trained weights do; averaging the batch statistics of a
 * pass over the training data in training mode gives the statistics the weights were actually trained with.
 */
import { tf } from "../backend";
import type { Dataset } from "../data/types";
import { evaluate } from "./evaluate";

type Symbolic = tf.SymbolicTensor;

interface BatchNormLayer extends tf.layers.Layer {
  axis: number | number[];
}

function batchNormLayers(model: tf.LayersModel): BatchNormLayer[] {
  return model.layers.filter((l) => l.getClassName() === "BatchNormalization") as BatchNormLayer[];
}

function movingVariable(layer: tf.layers.Layer, which: "moving_mean" | "moving_variance"): tf.LayerVariable {
  const found = layer.weights.find((w) => w.originalName.endsWith(which) || w.name.endsWith(which));
  if (!found) throw new Error(`${layer.name} has no ${which} weight`);
  return found;
}

/**
 * Sets every BatchNormalization layer's moving mean and variance to the average, over batches of `data.x` run in
 * training mode, of that layer's batch mean and (biased) batch variance. Returns the number of layers updated.
 * The model's trainable weights do not change.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, data: Pick<Dataset, "x">, options: { batchSize?: number } = {}): number {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const layers = batchNormLayers(model);
  if (layers.length === 0) return 0;
  for (const layer of layers) {
    const axis = Array.isArray(layer.axis) ? layer.axis : [layer.axis];
    if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== (layer.input as Symbolic).rank - 1)) {
      throw new Error(`${layer.name}: recalibration supports channels-last batch norm (axis −1), got axis ${JSON.stringify(layer.axis)}`);
    }
  }
  // The inputs of every batch-norm layer, computed as in training: each upstream layer normalises with its batch.
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.input as Symbolic) });
  const n = data.x.shape[0];
  const sums = layers.map(() => ({ mean: null as tf.Tensor | null, variance: null as tf.Tensor | null }));
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      tf.tidy(() => {
        const batch = data.x.slice(start, size);
        const out = probe.apply(batch, { training: true });
        const inputs = Array.isArray(out) ? out : [out];
        inputs.forEach((input, i) => {
          const reduce = Array.from({ length: input.rank - 1 }, (_, a) => a);
          const { mean, variance } = tf.moments(input as tf.Tensor, reduce);
          const weighted = (t: tf.Tensor, prev: tf.Tensor | null) => {
            const next = tf.keep(prev ? tf.add(prev, tf.mul(t, size)) : tf.mul(t, size));
            if (prev) prev.dispose();
            return next;
          };
          sums[i].mean = weighted(mean, sums[i].mean);
          sums[i].variance = weighted(variance, sums[i].variance);
        });
      });
    }
    layers.forEach((layer, i) => {
      tf.tidy(() => {
        movingVariable(layer, "moving_mean").write(tf.div(sums[i].mean!, n));
        movingVariable(layer, "moving_variance").write(tf.div(sums[i].variance!, n));
      });
    });
    return layers.length;
  } finally {
    for (const s of sums) tf.dispose([s.mean, s.variance].filter((t): t is tf.Tensor => t !== null));
  }
}

/** Loss and error (1 − accuracy) on the training and the test set, in inference mode. */
export interface TrainTestErrors {
  trainLoss: number;
  trainError: number;
  testLoss: number;
  testError: number;
}

/**
 * Recalibrates `model`'s BatchNorm statistics on `train` (see `recalibrateBatchNorm`), then measures its inference-mode
 * loss and error on `train` (how well it was optimised) and on `test` (how well it generalises).
 */
export function recalibratedErrors(model: tf.LayersModel, train: Dataset, test: Dataset): TrainTestErrors {
  recalibrateBatchNorm(model, train);
  const onTrain = evaluate(model, train);
  const onTest = evaluate(model, test);
  return { trainLoss: onTrain.loss, trainError: 1 - onTrain.accuracy, testLoss: onTest.loss, testError: 1 - onTest.accuracy };
}
