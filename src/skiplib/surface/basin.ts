/**
 * Puts a trained net at the bottom of the function a loss surface plots. Training minimised the training-mode loss
 * over all batches; a surface plots L(θ + αδ + βη) on a fixed set of samples with BatchNorm in inference mode, moving
 * only the weights the directions move (kernels, rank ≥ 2). The trained θ need not be that function's minimum, and a
 * slice around a point on a slope shows the slope, not the basin (Li et al. 2018 slice around minimisers). This runs
 * full-batch Adam on exactly that function until it stops improving.
 */
import { tf } from "../backend";
import { lossFor, type LossSpec } from "../probes/loss";

export interface BasinOptions {
  /** At most this many full-batch steps. Default 200. */
  steps?: number;
  /** Adam's step size. Default 1e-3. */
  learningRate?: number;
  /** Stop when 10 steps lowered the loss by less than this fraction. Default 1e-4. */
  tolerance?: number;
  loss?: LossSpec;
}

/** What the descent did: the loss before and after each step, and the moved weights' gradient norm at start and end. */
export interface BasinDescent {
  losses: number[];
  gradientNormBefore: number;
  gradientNormAfter: number;
}

/** The weights a filter-normalised direction moves: trainable kernels (rank ≥ 2). */
function movedWeights(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.filter((w) => w.shape.length >= 2).map((w) => w.read() as tf.Variable);
}

/**
 * Full-batch Adam on L(θ) over (x, y), BatchNorm in inference mode, kernels only: afterwards the trained weights
 * sit at (or very near) a local minimum of the function `lossSurface1D`/`lossSurface2D` plot for the same data.
 */
export function descendToBasin(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: BasinOptions = {}): BasinDescent {
  const steps = options.steps ?? 200;
  const tolerance = options.tolerance ?? 1e-4;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
  if (!(tolerance >= 0)) throw new Error(`tolerance must be ≥ 0, got ${tolerance}`);
  if (x.shape[0] !== y.shape[0]) throw new Error(`x and y must hold the same number of samples, got ${x.shape[0]} and ${y.shape[0]}`);
  const lossFn = lossFor(model, y, options.loss);
  const variables = movedWeights(model);
  if (variables.length === 0) throw new Error(`model "${model.name}" has no trainable kernel to descend on`);
  const objective = () => lossFn(y, model.apply(x, { training: false }) as tf.Tensor);
  const gradientNorm = () => tf.tidy(() => {
    const { grads } = tf.variableGrads(objective, variables);
    return Math.sqrt(Object.values(grads).reduce((acc, g) => acc + tf.sum(tf.square(g)).dataSync()[0], 0));
  });
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const losses: number[] = [];
  const gradientNormBefore = gradientNorm();
  try {
    for (let step = 0; step < steps; step++) {
      const loss = optimizer.minimize(objective, true, variables)!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      if (!Number.isFinite(losses[losses.length - 1])) throw new Error(`the loss became ${losses[losses.length - 1]} at step ${step + 1}: lower learningRate`);
      const k = losses.length;
      if (k > 10 && losses[k - 11] - losses[k - 1] < tolerance * Math.abs(losses[k - 11])) break;
    }
    losses.push(tf.tidy(() => objective().dataSync()[0]));
    return { losses, gradientNormBefore, gradientNormAfter: gradientNorm() };
  } finally {
    optimizer.dispose();
  }
}
