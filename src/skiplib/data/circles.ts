import { tf } from "../backend";
import { parkMiller } from "./random";
import { checkSamples, type Dataset } from "./types";

export interface CircleOptions {
  /** Points in all, alternating between the inner (label 0) and outer (label 1) circle (default 512). */
  samples?: number;
  /** Inner radius as a share of the outer radius 1 (default 0.5). */
  factor?: number;
  /** Standard deviation of the Gaussian noise on each coordinate (default 0.05). */
  noise?: number;
  seed?: number;
}

/** Two concentric circles, one per class (scikit-learn's `make_circles`): not linearly separable, cheap to fit. */
export function concentricCircles(options: CircleOptions = {}): Dataset<tf.Tensor2D, tf.Tensor2D> {
  const { samples = 512, factor = 0.5, noise = 0.05, seed = 0 } = options;
  checkSamples(samples);
  if (!(factor > 0 && factor < 1)) throw new Error(`factor must be between 0 and 1, got ${factor}`);
  const random = parkMiller(seed);
  // Box–Muller from the seeded uniform stream
  const gaussian = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const points: number[][] = [];
  const labels: number[][] = [];
  for (let i = 0; i < samples; i++) {
    const label = i % 2;
    const angle = 2 * Math.PI * random();
    const radius = label ? 1 : factor;
    points.push([radius * Math.cos(angle) + noise * gaussian(), radius * Math.sin(angle) + noise * gaussian()]);
    labels.push([label]);
  }
  return { x: tf.tensor2d(points), y: tf.tensor2d(labels) };
}
