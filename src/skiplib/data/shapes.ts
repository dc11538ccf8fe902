import { tf } from "../backend";
import { parkMiller } from "./random";
import { checkSamples, type Dataset } from "./types";

export interface ShapesOptions {
  samples: number;
  /** Image side in pixels (default 32). */
  size?: number;
  seed?: number;
}

/**
 * A segmentation set for U-Nets: `samples` grey images size×size holding 2–4 discs, rectangles and 1-px lines on
 * noise, with their binary masks. The thin lines are what a net without long skips blurs away. Seeded.
 */
export function shapesSegmentation(options: ShapesOptions): Dataset<tf.Tensor4D, tf.Tensor4D> {
  const { samples, size: n = 32, seed = 0 } = options;
  checkSamples(samples);
  if (!Number.isInteger(n) || n < 8) throw new Error(`size must be an integer of at least 8 pixels, got ${n}`);
  const random = parkMiller(seed);
  const images = new Float32Array(samples * n * n);
  const masks = new Float32Array(samples * n * n);
  for (let k = 0; k < samples; k++) {
    const mask = masks.subarray(k * n * n, (k + 1) * n * n);
    const set = (i: number, j: number) => {
      if (i >= 0 && i < n && j >= 0 && j < n) mask[i * n + j] = 1;
    };
    for (let shape = 2 + Math.floor(random() * 3); shape > 0; shape--) {
      const kind = random(), cx = random() * n, cy = random() * n;
      if (kind < 0.35) {
        const r = 2 + random() * 5;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if ((i - cy) ** 2 + (j - cx) ** 2 <= r * r) set(i, j);
      } else if (kind < 0.65) {
        const w = 3 + Math.floor(random() * 8), h = 3 + Math.floor(random() * 8);
        for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) set(Math.floor(cy) + i, Math.floor(cx) + j);
      } else {
        const angle = random() * Math.PI, length = 8 + random() * 16;
        for (let u = 0; u < length; u += 0.3) set(Math.round(cy + u * Math.sin(angle)), Math.round(cx + u * Math.cos(angle)));
      }
    }
    for (let p = 0; p < n * n; p++) images[k * n * n + p] = 0.2 + 0.6 * mask[p] + 0.3 * (random() - 0.5);
  }
  return { x: tf.tensor4d(images, [samples, n, n, 1]), y: tf.tensor4d(masks, [samples, n, n, 1]) };
}
