/**
 * Shattered gradients (Balduzzi et al. 2017, "The Shattered Gradients Problem"): for a net on a 1-D input grid,
 * the gradients ∂f/∂x at neighbouring inputs are strongly correlated in shallow or residual nets ("brown noise")
 * and decorrelate exponentially with depth in plain nets ("white noise"), which makes them useless for learning.
 * Layers run in inference mode, so every grid point's gradient depends on that point alone.
 */
import { tf } from "../backend";
import { assertSingleOutput } from "./loss";

export interface GradientCorrelationOptions {
  /** Grid points. Default 256. */
  points?: number;
  /** Input range of the grid. Default [-2, 2]. */
  range?: [number, number];
  /** Largest lag of the autocorrelation. Default 16. */
  maxLag?: number;
  /** Which output unit f is. Default 0. */
  output?: number;
}

export interface GradientCorrelation {
  /** The input grid. */
  xs: number[];
  /** ∂f/∂x at each grid point. */
  gradients: number[];
  /** Pearson correlation between gradients k grid steps apart, k = 0 … maxLag (autocorrelation[0] = 1). */
  autocorrelation: number[];
  /** Correlation between neighbouring gradients (autocorrelation[1]): ≈ 1 smooth, ≈ 0 shattered. */
  lag1: number;
}

/** Pearson correlation between series[0 … n−lag) and series[lag … n); NaN when either part is constant. */
export function lagCorrelation(series: readonly number[], lag: number): number {
  const n = series.length - lag;
  if (!Number.isInteger(lag) || lag < 0 || n < 2) throw new Error(`lag must be an integer in [0, ${series.length - 2}], got ${lag}`);
  let meanA = 0, meanB = 0;
  for (let i = 0; i < n; i++) { meanA += series[i]; meanB += series[i + lag]; }
  meanA /= n; meanB /= n;
  let cov = 0, varA = 0, varB = 0;
  for (let i = 0; i < n; i++) {
    const a = series[i] - meanA, b = series[i + lag] - meanB;
    cov += a * b; varA += a * a; varB += b * b;
  }
  return cov / Math.sqrt(varA * varB);
}

/** ∂f/∂x over a 1-D input grid and its autocorrelation (Balduzzi et al. 2017, Figs. 1–2). The model takes inputs of shape [1]. */
export function gradientCorrelation(model: tf.LayersModel, options: GradientCorrelationOptions = {}): GradientCorrelation {
  const points = options.points ?? 256;
  const [lo, hi] = options.range ?? [-2, 2];
  const maxLag = options.maxLag ?? 16;
  const output = options.output ?? 0;
  assertSingleOutput(model);
  const inputShape = model.inputs[0].shape;
  if (model.inputs.length !== 1 || inputShape.length !== 2 || inputShape[1] !== 1) {
    throw new Error(`model must take one 1-D input of shape [batch, 1] for a gradient-correlation grid, got [${inputShape}]`);
  }
  if (!Number.isInteger(points) || points < 3) throw new Error(`points must be an integer ≥ 3, got ${points}`);
  if (!(lo < hi)) throw new Error(`range must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
  if (!Number.isInteger(maxLag) || maxLag < 1 || maxLag > points - 2) throw new Error(`maxLag must be an integer in [1, ${points - 2}], got ${maxLag}`);
  const outputs = model.outputs[0].shape[model.outputs[0].shape.length - 1] ?? 1;
  if (!Number.isInteger(output) || output < 0 || output >= outputs) throw new Error(`output must be a unit index in [0, ${outputs - 1}], got ${output}`);
  const xs = Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  const gradients = tf.tidy(() => {
    // Samples are independent in inference mode, so the gradient of Σ_i f(x_i) w.r.t. x_i is ∂f/∂x at x_i.
    const f = (x: tf.Tensor) => tf.sum(tf.gather(model.apply(x, { training: false }) as tf.Tensor, [output], 1));
    return Array.from(tf.grad(f)(tf.tensor2d(xs, [points, 1])).dataSync());
  });
  const autocorrelation = Array.from({ length: maxLag + 1 }, (_, k) => lagCorrelation(gradients, k));
  return { xs, gradients, autocorrelation, lag1: autocorrelation[1] };
}

export interface ShatteredPoint {
  depth: number;
  lag1: number;
  autocorrelation: number[];
}

/** Neighbouring-gradient correlation for nets of growing depth, built by `build(depth)` and disposed after (Balduzzi et al. 2017, Fig. 2). */
export function shatteredGradients(
  build: (depth: number) => tf.LayersModel,
  depths: readonly number[],
  options: GradientCorrelationOptions = {},
): ShatteredPoint[] {
  return depths.map((depth) => {
    const model = build(depth);
    try {
      const { lag1, autocorrelation } = gradientCorrelation(model, options);
      return { depth, lag1, autocorrelation };
    } finally {
      model.dispose();
    }
  });
}
