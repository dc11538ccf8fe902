/**
 * Next-token training for the token tasks (`sequenceTask`): cross-entropy on the scored positions only, Adam with
 * Vaswani et al.'s settings (§5.3: β₁ 0.9, β₂ 0.98, ε 1e-9) and an optional linear learning-rate warm-up.
 *
 * Adam runs on all weights as one flat vector: tfjs's optimizer spends about 14 native kernels per variable per
 * step, and a small Transformer has a dozen variables per block, so most of a step went to the optimizer; one
 * concatenation and one split cost ~3 kernels per variable. Same update, bit for bit up to float rounding.
 */
import { tf } from "../backend";
import { parkMiller } from "../data/random";
import type { Dataset } from "../data/types";
import { progressBar, type ProgressMode } from "../progress";
import { variablesOf } from "../probes/weight-snapshot";
import { tokenAccuracy, tokenCrossEntropy } from "./token-loss";

/** Token accuracy and loss of `model` on `data`, in batches of `batchSize`. */
export function evaluateTokens(model: tf.LayersModel, data: Dataset, batchSize = 512): { loss: number; accuracy: number } {
  const n = data.x.shape[0];
  let loss = 0;
  let accuracy = 0;
  let scored = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const y = data.y.slice(start, size);
      const logits = model.apply(data.x.slice(start, size), { training: false }) as tf.Tensor;
      const count = tf.sum(tf.cast(tf.greaterEqual(y, 0), "float32")).dataSync()[0];
      loss += tokenCrossEntropy(y, logits).dataSync()[0] * count;
      accuracy += tokenAccuracy(y, logits) * count;
      scored += count;
    });
  }
  return { loss: loss / Math.max(scored, 1), accuracy: accuracy / Math.max(scored, 1) };
}

export interface SequenceTrainOptions {
  /** Optimizer steps (one batch each). */
  steps: number;
  batchSize?: number;
  /** Peak learning rate (default 1e-3). */
  learningRate?: number;
  /** Steps of linear warm-up from 0 to the peak (default 0: the peak from the first step). */
  warmupSteps?: number;
  /** Seeds the batch order (default 0). */
  seed?: number;
  /** Evaluate on `evalData` every this many steps and after the last (default: at the end only). */
  evalEvery?: number;
  evalData?: Dataset;
  progress?: ProgressMode;
  label?: string;
}

export interface SequenceHistory {
  /** Training loss of every step's batch, in order (shorter than `steps` when the run diverged). */
  loss: number[];
  /** Steps at which `evalData` was evaluated, and its token accuracy and loss there. */
  evalSteps: number[];
  evalAccuracy: number[];
  evalLoss: number[];
  /** The step (1-based) whose loss was not a finite number; training stopped there. */
  divergedAt?: number;
}

/** Learning rate at step (1-based): linear warm-up to `peak` over `warmup` steps, then constant. */
export function warmupLearningRate(step: number, peak: number, warmup: number): number {
  return warmup > 0 ? peak * Math.min(1, step / warmup) : peak;
}

/** Trains `model` (tokens → logits) on `data` (`sequenceTask`) with flat Adam; returns losses and evaluations. */
export function trainSequenceModel(model: tf.LayersModel, data: Dataset, options: SequenceTrainOptions): SequenceHistory {
  const { steps, batchSize = 64, learningRate = 1e-3, warmupSteps = 0, seed = 0, evalEvery = steps, evalData } = options;
  for (const [name, value] of Object.entries({ steps, batchSize, evalEvery })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  if (!(learningRate > 0)) throw new Error(`learningRate must be positive, got ${learningRate}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  const n = data.x.shape[0];
  if (n !== data.y.shape[0]) throw new Error(`data.x has ${n} samples but data.y has ${data.y.shape[0]}`);
  if (batchSize > n) throw new Error(`batchSize (${batchSize}) must not exceed the ${n} samples`);

  const variables = variablesOf(model.trainableWeights);
  const sizes = variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const [beta1, beta2, epsilon] = [0.9, 0.98, 1e-9];
  // inside tidy, so the zeros the variables are made from do not outlive them
  const [m, v] = tf.tidy(() => [tf.variable(tf.zeros([total]), false), tf.variable(tf.zeros([total]), false)]);
  const random = parkMiller(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  let cursor = n;
  const nextBatch = () => {
    if (cursor + batchSize > n) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      cursor = 0;
    }
    cursor += batchSize;
    return order.slice(cursor - batchSize, cursor);
  };

  const history: SequenceHistory = { loss: [], evalSteps: [], evalAccuracy: [], evalLoss: [] };
  const evaluateAt = (step: number) => {
    if (!evalData) return;
    const { loss, accuracy } = evaluateTokens(model, evalData);
    history.evalSteps.push(step);
    history.evalAccuracy.push(accuracy);
    history.evalLoss.push(loss);
  };
  const bar = progressBar(options.label ?? "training", steps, options.progress ?? "auto");
  try {
    for (let step = 1; step <= steps; step++) {
      const rate = warmupLearningRate(step, learningRate, warmupSteps);
      const loss = tf.tidy(() => {
        const indices = tf.tensor1d(nextBatch(), "int32");
        const x = tf.gather(data.x, indices);
        const y = tf.gather(data.y, indices);
        const { value, grads } = tf.variableGrads(() => tokenCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), variables);
        // biases and norms are 1-D already; a reshape is a native call even when it changes nothing
        const flat = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [-1]));
        const g = tf.concat(variables.map((variable) => flat(grads[variable.name])));
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        // Kingma & Ba 2015, Algorithm 1 (as tf.train.adam computes it): bias-corrected moments, ε outside the root
        const mHat = tf.div(m, 1 - beta1 ** step);
        const vHat = tf.div(v, 1 - beta2 ** step);
        const update = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), rate);
        tf.split(update, sizes).forEach((part, i) => {
          const variable = variables[i];
          variable.assign(tf.sub(variable, variable.rank === 1 ? part : tf.reshape(part, variable.shape)));
        });
        return value.dataSync()[0];
      });
      if (!Number.isFinite(loss)) {
        history.divergedAt = step;
        break;
      }
      history.loss.push(loss);
      if (step % evalEvery === 0 || step === steps) evaluateAt(step);
      bar.update(step, `loss ${loss.toFixed(4)}`);
    }
    return history;
  } finally {
    tf.dispose([m, v]);
    bar.finish(history.divergedAt ? `diverged at step ${history.divergedAt}` : `loss ${history.loss.at(-1)?.toFixed(4)}`);
  }
}
