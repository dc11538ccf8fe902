/**
 * The losses probes and loss surfaces evaluate, by Keras name or as a function; each returns the batch mean.
 * When none is given, the model's output activation decides (softmax → cross-entropy, sigmoid → binary, else MSE).
 */
import { tf } from "../backend";

export type LossName =
  | "categoricalCrossentropy"
  | "sparseCategoricalCrossentropy"
  | "softmaxCrossentropy"
  | "binaryCrossentropy"
  | "meanSquaredError";
/** (targets, predictions) → scalar mean loss over the batch. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
export type LossSpec = LossName | LossFn;

const LOSSES: Record<LossName, LossFn> = {
  // predictions are probabilities (a softmax output), targets one-hot, as Keras' categoricalCrossentropy
  categoricalCrossentropy: (t, p) => tf.mean(tf.metrics.categoricalCrossentropy(t, p)) as tf.Scalar,
  // targets are class indices, shape [batch] or [batch, 1]
  sparseCategoricalCrossentropy: (t, p) => {
    const labels = tf.cast(tf.reshape(t, [-1]), "int32");
    return tf.mean(tf.metrics.categoricalCrossentropy(tf.oneHot(labels, p.shape[p.shape.length - 1]), p)) as tf.Scalar;
  },
  // predictions are logits, targets one-hot
  softmaxCrossentropy: (t, p) => tf.losses.softmaxCrossEntropy(t, p) as tf.Scalar,
  binaryCrossentropy: (t, p) => tf.mean(tf.metrics.binaryCrossentropy(t, p)) as tf.Scalar,
  meanSquaredError: (t, p) => tf.mean(tf.square(tf.sub(t, p))) as tf.Scalar,
};

export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** The loss function for a name or function; `param` names the option in errors. */
export function resolveLoss(loss: LossSpec, param = "loss"): LossFn {
  if (typeof loss === "function") return loss;
  const fn = LOSSES[loss as LossName];
  if (!fn) throw new Error(`${param} must be a function or one of ${LOSS_NAMES.join(", ")}, got "${String(loss)}"`);
  return fn;
}

function outputActivation(model: tf.LayersModel): string | undefined {
  const last = model.layers[model.layers.length - 1];
  const config = last?.getConfig() as { activation?: unknown } | undefined;
  return typeof config?.activation === "string" ? config.activation : undefined;
}

/** The loss for `model` on targets `y`: `loss` when given, else chosen from the output activation and y's shape. */
export function lossFor(model: tf.LayersModel, y: tf.Tensor, loss?: LossSpec): LossFn {
  if (loss !== undefined) return resolveLoss(loss);
  const activation = outputActivation(model);
  if (activation === "softmax") {
    const classes = y.shape[y.shape.length - 1];
    return y.rank === 1 || classes === 1 ? LOSSES.sparseCategoricalCrossentropy : LOSSES.categoricalCrossentropy;
  }
  if (activation === "sigmoid") return LOSSES.binaryCrossentropy;
  return LOSSES.meanSquaredError;
}

/** Probes and surfaces differentiate one loss of one output; say so instead of silently using the first. */
export function assertSingleOutput(model: tf.LayersModel): void {
  if (model.outputs.length !== 1) {
    throw new Error(`model must have exactly one output for this measurement, "${model.name}" has ${model.outputs.length}`);
  }
}
