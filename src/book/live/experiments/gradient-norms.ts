/**
 * Chapter 1's measurement, live: each hidden layer's mean |∂L/∂w| in a fresh plain and/or residual MLP on the
 * 2-D Gaussian circle task, from one backward pass. The data, nets and loss are the notebook's (section 1.3), so
 * the defaults reproduce its figures for the same seed.
 */
import { tf } from "../../../skiplib/backend";
import { layerGradientNorms, plainMLP, residualMLP, firstToLastRatio } from "../../../skiplib/core";
import type { MlpActivation } from "../../../skiplib/core";
import type { Experiment, LiveOutput } from "./types";

/** 256 points of a 2-D standard Gaussian, labelled outside the median radius √(2 ln 2) ≈ 1.1774 (chapter 1's data). */
export function circleData(seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([256, 2], 0, 1, "float32", seed) as tf.Tensor2D;
    return { x, y: tf.cast(tf.greater(tf.norm(x, "euclidean", 1, true), 1.1774), "float32") as tf.Tensor2D };
  });
}

/** Sigmoid cross-entropy on the logit, so the output layer itself never saturates. */
const logitLoss = (y: tf.Tensor, logits: tf.Tensor) => tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;

export const gradientNorms: Experiment = async (settings, ctx) => {
  const depth = settings.depth as number;
  const activation = settings.activation as MlpActivation;
  const seed = settings.seed as number;
  const kinds = settings.skip === "plain and residual" ? ["plain", "residual"] : [settings.skip as string];
  const options = { inputDim: 2, depth, width: 32, activation, outputDim: 1, outputActivation: "linear" as const, seed };
  const data = circleData(seed);
  const output: LiveOutput = { series: [], numbers: {} };
  try {
    for (const kind of kinds) {
      if (ctx.stopped()) break;
      const model = kind === "plain" ? plainMLP(options) : residualMLP(options);
      try {
        const hidden = layerGradientNorms(model, data.x, data.y, { loss: logitLoss }).filter((l) => l.layer.startsWith("hidden"));
        output.series.push({ name: `${kind}, ${depth} layers`, x: hidden.map((_, i) => i + 1), y: hidden.map((l) => l.meanAbsGrad) });
        output.numbers![`${kind} first/last`] = firstToLastRatio(hidden, "meanAbsGrad");
      } finally {
        model.dispose();
      }
      ctx.report(output);
      await ctx.pause();
    }
    return output;
  } finally {
    tf.dispose([data.x, data.y]);
  }
};
