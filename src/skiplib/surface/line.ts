/**
 * 1-D loss curves L(θ + αδ) (Li et al. 2018, §3–4), along a filter-normalised random direction or toward another
 * set of weights (the linear interpolation of Goodfellow et al. 2015: θ(α) = θ + α(θ' − θ), so α = 1 is θ').
 */
import { tf } from "../backend";
import { filterNormalizedDirection } from "./directions";
import { perturbedLoss } from "./evaluator";
import { linspace, yieldToEventLoop, type SurfaceOptions } from "./grid";

export interface Surface1DOptions extends SurfaceOptions {
  /** Your own direction δ, aligned with `model.getWeights()`. */
  direction?: tf.Tensor[];
  /** Interpolate toward this model's weights (same architecture): δ = θ' − θ. */
  toward?: tf.LayersModel;
}

export interface LossSurface1D {
  alphas: number[];
  /** losses[i] = L(θ + alphas[i]·δ) */
  losses: number[];
}

/** L(θ + αδ) for `resolution` values of α over `range` (Li et al. 2018; Goodfellow et al. 2015 with `toward`). */
export async function lossSurface1D(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: Surface1DOptions = {}): Promise<LossSurface1D> {
  if (options.direction && options.toward) throw new Error("give either direction or toward, not both");
  const alphas = linspace(options.range ?? [-1, 1], options.resolution ?? 51);
  let delta: tf.Tensor[];
  if (options.direction) {
    delta = options.direction;
  } else if (options.toward) {
    const target = options.toward.getWeights();
    const own = model.getWeights();
    if (target.length !== own.length || target.some((t, i) => t.shape.join() !== own[i].shape.join())) {
      throw new Error(`toward must have the same architecture as model "${model.name}" (weight shapes differ)`);
    }
    delta = own.map((w, i) => tf.sub(target[i], w));
  } else {
    delta = filterNormalizedDirection(model, { seed: options.seed ?? 0, ignoreBiasBN: options.ignoreBiasBN });
  }
  try {
    const evaluator = perturbedLoss(model, x, y, [delta], options);
    try {
      const losses: number[] = [];
      for (const alpha of alphas) {
        losses.push(evaluator.lossAt([alpha]));
        options.onProgress?.({ done: losses.length, total: alphas.length });
        if (losses.length % 8 === 0) await yieldToEventLoop();
      }
      return { alphas, losses };
    } finally {
      evaluator.restore();
    }
  } finally {
    if (!options.direction) tf.dispose(delta);
  }
}
