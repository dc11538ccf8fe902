/**
 * Evaluates L(θ + αδ + βη) on a fixed data subset, the inner loop of every loss-surface plot.
 * Weights are overwritten in place (no model rebuilt), only those with a non-zero direction, and restored
 * bit-exactly by `restore()`; the loss is computed in batches with BatchNorm in inference mode, so a point
 * costs one forward pass over the samples: cost is linear in points × samples.
 */
import { tf } from "../backend";
import { assertSingleOutput, lossFor, type LossSpec } from "../probes/loss";
import { snapshotWeights } from "../probes/weight-snapshot";

export interface EvaluatorOptions {
  loss?: LossSpec;
  /** Samples per forward pass. Default 256. */
  batchSize?: number;
}

export interface PerturbedLoss {
  /** The loss with the weights set to θ + Σ coefficients[k]·directions[k]. */
  lossAt(coefficients: number[]): number;
  /** Puts θ back bit-exactly and frees the evaluator's tensors. */
  restore(): void;
}

function checkDirection(model: tf.LayersModel, direction: tf.Tensor[], name: string): void {
  const weights = model.weights;
  if (direction.length !== weights.length) {
    throw new Error(`${name} must hold one tensor per model weight (${weights.length}), got ${direction.length}`);
  }
  direction.forEach((d, i) => {
    const expected = weights[i].shape;
    if (d.shape.length !== expected.length || d.shape.some((s, k) => s !== expected[k])) {
      throw new Error(`${name}[${i}] must have the shape of weight "${weights[i].name}" [${expected}], got [${d.shape}]`);
    }
  });
}

/** Prepares in-place evaluation of L(θ + Σ c_k d_k) for `model` on (x, y) along `directions`. */
export function perturbedLoss(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  directions: tf.Tensor[][],
  options: EvaluatorOptions = {},
): PerturbedLoss {
  assertSingleOutput(model);
  directions.forEach((d, k) => checkDirection(model, d, `directions[${k}]`));
  if (x.shape[0] !== y.shape[0]) throw new Error(`x and y must hold the same number of samples, got ${x.shape[0]} and ${y.shape[0]}`);
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const lossFn = lossFor(model, y, options.loss);
  const weights = model.weights;
  // Only weights that some direction moves are rewritten per point (biases and BN stats usually stay).
  const moving = weights
    .map((w, i) => ({ variable: w.read() as tf.Variable, i }))
    .filter(({ i }) => directions.some((d) => tf.tidy(() => tf.any(tf.notEqual(d[i], 0)).dataSync()[0] === 1)));
  const snapshot = snapshotWeights(model, moving.map(({ i }) => weights[i]));
  const origin = moving.map(({ variable }) => tf.keep(variable.clone()));
  const samples = x.shape[0];
  const batches: Array<{ x: tf.Tensor; y: tf.Tensor; size: number }> = [];
  for (let start = 0; start < samples; start += batchSize) {
    const size = Math.min(batchSize, samples - start);
    batches.push(
      size === samples
        ? { x, y, size }
        : { x: tf.keep(x.slice(start, size)), y: tf.keep(y.slice(start, size)), size },
    );
  }
  let restored = false;
  return {
    lossAt(coefficients) {
      if (restored) throw new Error("this evaluator was restored; create a new one");
      if (coefficients.length !== directions.length) {
        throw new Error(`coefficients must hold ${directions.length} number(s), got ${coefficients.length}`);
      }
      moving.forEach(({ variable, i }, m) => {
        const value = tf.tidy(() =>
          coefficients.reduce<tf.Tensor>((acc, c, k) => (c === 0 ? acc : tf.add(acc, tf.mul(directions[k][i], c))), origin[m]),
        );
        variable.assign(value); // the variable now shares value's buffer; the handle itself can go
        if (value !== origin[m]) value.dispose();
      });
      return tf.tidy(() => {
        const total = batches.reduce<tf.Tensor>(
          (acc, b) => tf.add(acc, tf.mul(lossFn(b.y, model.apply(b.x, { training: false }) as tf.Tensor), b.size)),
          tf.scalar(0),
        );
        return tf.div(total, samples).dataSync()[0];
      });
    },
    restore() {
      if (restored) return;
      restored = true;
      snapshot.restore();
      tf.dispose(origin);
      for (const b of batches) if (b.x !== x) tf.dispose([b.x, b.y]);
    },
  };
}
