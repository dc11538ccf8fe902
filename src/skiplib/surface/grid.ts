/**
 * 2-D loss surfaces L(θ + αδ + βη) over a grid (Li et al. 2018, Figs. 1, 5): the picture in which plain deep nets
 * turn chaotic and residual nets stay smooth. Returns plain arrays, ready for Plotly contour and surface traces.
 */
import { tf } from "../backend";
import type { LossSpec } from "../probes/loss";
import { filterNormalizedDirection } from "./directions";
import { perturbedLoss } from "./evaluator";

export interface SurfaceProgress {
  /** Grid points evaluated so far. */
  done: number;
  total: number;
}

export interface SurfaceOptions {
  /** Points per axis; odd so that the centre is the unperturbed model. Default 51 (2-D), 51 (1-D). */
  resolution?: number;
  /** Coefficient range per axis. Default [-1, 1]. */
  range?: [number, number];
  /** Seed of the random filter-normalised directions. Default 0 (δ uses seed, η uses seed + 1). */
  seed?: number;
  /** Zero direction for biases and BatchNorm parameters. Default true. */
  ignoreBiasBN?: boolean;
  loss?: LossSpec;
  /** Samples per forward pass. Default 256. */
  batchSize?: number;
  /** Called after each grid point. */
  onProgress?: (progress: SurfaceProgress) => void;
}

export interface Surface2DOptions extends SurfaceOptions {
  /** Your own directions [δ, η], aligned with `model.getWeights()`; default two filter-normalised random ones. */
  directions?: [tf.Tensor[], tf.Tensor[]];
}

/**
 * For Plotly, rows are y: `{ type: "contour" | "surface", x: betas, y: alphas, z: losses }` puts α on the vertical
 * axis and β on the horizontal one (or transpose `losses` to swap them).
 */
export interface LossSurface2D {
  alphas: number[];
  betas: number[];
  /** losses[i][j] = L(θ + alphas[i]·δ + betas[j]·η) */
  losses: number[][];
}

/** `resolution` evenly spaced points over `range`, endpoints included; an exact 0 at the centre of an odd count. */
export function linspace(range: [number, number], resolution: number): number[] {
  if (!Number.isInteger(resolution) || resolution < 2) throw new Error(`resolution must be an integer ≥ 2, got ${resolution}`);
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`range must be [lo, hi] with lo < hi, got [${range}]`);
  const mid = (resolution - 1) / 2;
  return Array.from({ length: resolution }, (_, i) => {
    if (resolution % 2 === 1 && i === mid && lo === -hi) return 0;
    return lo + ((hi - lo) * i) / (resolution - 1);
  });
}

/** Yields to the event loop so progress displays (and interrupts) get through during a long grid. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** L(θ + αδ + βη) on a resolution² grid over range² with filter-normalised directions (Li et al. 2018, Eq. 2). */
export async function lossSurface2D(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: Surface2DOptions = {}): Promise<LossSurface2D> {
  const resolution = options.resolution ?? 51;
  const range = options.range ?? [-1, 1];
  const alphas = linspace(range, resolution);
  const betas = linspace(range, resolution);
  const seed = options.seed ?? 0;
  const ownDirections = !options.directions;
  const [delta, eta] = options.directions ?? [
    filterNormalizedDirection(model, { seed, ignoreBiasBN: options.ignoreBiasBN }),
    filterNormalizedDirection(model, { seed: seed + 1, ignoreBiasBN: options.ignoreBiasBN }),
  ];
  try {
    const evaluator = perturbedLoss(model, x, y, [delta, eta], options);
    try {
      const total = resolution * resolution;
      const losses: number[][] = [];
      for (const alpha of alphas) {
        const row: number[] = [];
        for (const beta of betas) {
          row.push(evaluator.lossAt([alpha, beta]));
          options.onProgress?.({ done: losses.length * resolution + row.length, total });
        }
        losses.push(row);
        await yieldToEventLoop();
      }
      return { alphas, betas, losses };
    } finally {
      evaluator.restore();
    }
  } finally {
    if (ownDirections) tf.dispose([...delta, ...eta]);
  }
}
