/**
 * Filter-normalised random directions (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets", §4):
 * a Gaussian direction with the shape of the weights whose every filter is rescaled to the norm of the matching
 * filter of the weights, so that the plot's axes mean the same for layers of any scale (BatchNorm makes nets
 * invariant to a layer's weight scale; unnormalised directions would plot that invariance, not the landscape).
 */
import { tf } from "../backend";

export interface DirectionOptions {
  /** Seed of the Gaussian draw; the same seed gives the same direction. Default 0. */
  seed?: number;
  /** Zero direction for rank-1 weights (biases, BatchNorm γ/β), as the paper's `--xignore biasbn`. Default true. */
  ignoreBiasBN?: boolean;
}

/** Draw seeds far apart per weight tensor, so that directions for different seeds don't share tensors. */
const SEED_STRIDE = 100_003;

/**
 * Scales each filter (slice along the last axis: a conv's output channel, a dense layer's unit) of `direction`
 * to the norm of the same filter of `weights` (Li et al. 2018, Eq. 1, d_{i,j} ← d_{i,j}/‖d_{i,j}‖ · ‖θ_{i,j}‖).
 */
export function normalizeFilters(direction: tf.Tensor, weights: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const axes = direction.shape.slice(0, -1).map((_, i) => i);
    const dNorm = tf.sqrt(tf.sum(tf.square(direction), axes, true));
    const wNorm = tf.sqrt(tf.sum(tf.square(weights), axes, true));
    // A filter of all-zero weights gets a zero direction (nothing to scale to); guard the 0/0.
    return tf.mul(direction, tf.divNoNan(wNorm, dNorm));
  });
}

/** The norm of each filter of `t` (each slice along its last axis): what filter normalisation matches. */
export function filterNorms(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(t), t.shape.slice(0, -1).map((_, i) => i))).dataSync()));
}

/**
 * A random filter-normalised direction δ for `model`, one tensor per `model.getWeights()` entry (Li et al. 2018).
 * Non-trainable weights (BatchNorm moving statistics) always get zeros; rank-1 trainable weights get zeros when
 * `ignoreBiasBN` (default), else a copy of the weights, as the paper's code does. The caller disposes the tensors.
 */
export function filterNormalizedDirection(model: tf.LayersModel, options: DirectionOptions = {}): tf.Tensor[] {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const ignoreBiasBN = options.ignoreBiasBN ?? true;
  return model.weights.map((w, i) =>
    tf.tidy(() => {
      const value = w.read();
      if (!w.trainable) return tf.zerosLike(value);
      if (value.rank <= 1) return ignoreBiasBN ? tf.zerosLike(value) : value.clone();
      const gaussian = tf.randomNormal(value.shape, 0, 1, "float32", seed * SEED_STRIDE + i);
      return normalizeFilters(gaussian, value);
    }),
  );
}
