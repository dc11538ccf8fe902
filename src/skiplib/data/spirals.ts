import { tf } from "../backend";
import { checkSamples, type Dataset } from "./types";

export interface SpiralOptions {
  /** Points in all, alternating between the two classes (default 512). */
  samples?: number;
  /** Turns of each spiral, in units of π (default 3: one and a half turns). */
  turns?: number;
  /** Amplitude of the deterministic jitter added to each coordinate (default 0.05). */
  noise?: number;
  /** Changes the jitter; 0 is the book's set. */
  seed?: number;
}

/**
 * Two interleaved spirals, one per class (Lang & Witbrock 1988): a 2-D task that a deep plain MLP fails to fit and a
 * residual one fits. Point i lies at angle t = i/n·turns·π + 0.5 and radius ±t/(turns·π); labels are 0/1 in y [n, 1].
 */
export function twoSpirals(options: SpiralOptions = {}): Dataset<tf.Tensor2D, tf.Tensor2D> {
  const { samples = 512, turns = 3, noise = 0.05, seed = 0 } = options;
  checkSamples(samples);
  if (!(turns > 0)) throw new Error(`turns must be positive, got ${turns}`);
  const points: number[][] = [];
  const labels: number[][] = [];
  for (let i = 0; i < samples; i++) {
    const label = i % 2;
    const t = (i / samples) * turns * Math.PI + 0.5;
    const r = (label ? -1 : 1) * (t / (turns * Math.PI));
    // a hash of (i, k, seed) rather than a stream, so a point's jitter does not depend on how many came before it
    const jitter = (k: number) => noise * ((Math.sin(12.9898 * i + 78.233 * k + 37.719 * seed) * 43758.5453) % 1);
    points.push([r * Math.cos(t) + jitter(1), r * Math.sin(t) + jitter(2)]);
    labels.push([label]);
  }
  return { x: tf.tensor2d(points), y: tf.tensor2d(labels) };
}
