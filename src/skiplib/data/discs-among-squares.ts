import { tf } from "../backend";
import { parkMiller } from "./random";
import { checkSamples, type Dataset } from "./types";

export interface DiscsAmongSquaresOptions {
  samples: number;
  /** Image side in pixels (default 32). */
  size?: number;
  seed?: number;
}

/** The drawing's constants, exported so tests and chapters quote them instead of repeating them. */
export const DISCS_AMONG_SQUARES = {
  background: 0.2,
  /** Discs and squares alike: the same brightness and the same noise, so a pixel's value cannot tell them apart. */
  foreground: 0.8,
  /** Uniform noise of this width, centred on 0, on every pixel. */
  noise: 0.3,
  /**
   * Disc radii and square sides (pixels): overlapping areas, and large enough that a small window inside a shape, or
   * on a stretch of its edge, sees too little of it to tell round from cornered.
   */
  radius: [3.5, 8] as const,
  side: [6, 14] as const,
  /** Shapes per image, each a disc or a square with probability 1/2. */
  shapes: [2, 4] as const,
};

interface Shape {
  disc: boolean;
  /** Pixels the shape covers, as row·size + column. */
  pixels: number[];
}

function drawShape(random: () => number, n: number): Shape {
  const { radius, side } = DISCS_AMONG_SQUARES;
  const disc = random() < 0.5;
  const pixels: number[] = [];
  if (disc) {
    const r = radius[0] + random() * (radius[1] - radius[0]);
    const span = n - 2 - 2 * r;
    const cy = 1 + r + random() * span, cx = 1 + r + random() * span;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if ((i - cy) ** 2 + (j - cx) ** 2 <= r * r) pixels.push(i * n + j);
  } else {
    const s = side[0] + Math.floor(random() * (side[1] - side[0] + 1));
    const top = 1 + Math.floor(random() * (n - 1 - s)), left = 1 + Math.floor(random() * (n - 1 - s));
    for (let i = top; i < top + s; i++) for (let j = left; j < left + s; j++) pixels.push(i * n + j);
  }
  return { disc, pixels };
}

/**
 * A segmentation task that needs context: each size×size grey image holds 2–4 discs and squares of the same
 * brightness and noise, none touching another, and the target is the mask of the discs only. A pixel's own value says
 * "some shape", never which; telling a disc's interior from a square's takes a view of the whole shape. Seeded.
 */
export function discsAmongSquares(options: DiscsAmongSquaresOptions): Dataset<tf.Tensor4D, tf.Tensor4D> {
  const { samples, size: n = 32, seed = 0 } = options;
  checkSamples(samples);
  const { side, shapes, background, foreground, noise } = DISCS_AMONG_SQUARES;
  if (!Number.isInteger(n) || n < side[1] + 2) throw new Error(`size must be an integer of at least ${side[1] + 2} pixels (the largest square plus a border), got ${n}`);
  const random = parkMiller(seed);
  const images = new Float32Array(samples * n * n);
  const masks = new Float32Array(samples * n * n);
  for (let k = 0; k < samples; k++) {
    // blocked: pixels of earlier shapes and their 8-neighbours, so shapes neither overlap nor touch
    const blocked = new Uint8Array(n * n);
    const shape = new Uint8Array(n * n);
    const mask = masks.subarray(k * n * n, (k + 1) * n * n);
    const count = shapes[0] + Math.floor(random() * (shapes[1] - shapes[0] + 1));
    for (let placed = 0, tries = 0; placed < count && tries < 100; tries++) {
      const candidate = drawShape(random, n);
      if (candidate.pixels.some((p) => blocked[p])) continue;
      placed++;
      for (const p of candidate.pixels) {
        shape[p] = 1;
        if (candidate.disc) mask[p] = 1;
        const i = Math.floor(p / n), j = p % n;
        for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) {
          const [a, b] = [i + di, j + dj];
          if (a >= 0 && a < n && b >= 0 && b < n) blocked[a * n + b] = 1;
        }
      }
    }
    for (let p = 0; p < n * n; p++) images[k * n * n + p] = (shape[p] ? foreground : background) + noise * (random() - 0.5);
  }
  return { x: tf.tensor4d(images, [samples, n, n, 1]), y: tf.tensor4d(masks, [samples, n, n, 1]) };
}
