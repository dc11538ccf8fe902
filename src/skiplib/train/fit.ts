import { tf } from "../backend";
import { progressBar, type ProgressMode } from "../progress";
import type { Dataset } from "../data/types";
import { parkMiller } from "../data/random";
import { layerGradientNorms } from "../probes/gradient-norms";
import { LOSS_NAMES, type LossName } from "../probes/loss";

export interface FitOptions {
  epochs: number;
  batchSize?: number;
  /** "adam" (default) or "sgd" (with `momentum`, default 0.9). */
  optimizer?: "adam" | "sgd";
  learningRate?: number;
  momentum?: number;
  /** Learning rate for an epoch (0-based), e.g. a step decay; overrides `learningRate` epoch by epoch. */
  schedule?: (epoch: number) => number;
  /** A tfjs loss name (default "categoricalCrossentropy"). */
  loss?: string;
  /** Record accuracy per epoch (default: true for categorical cross-entropy, false otherwise). */
  accuracy?: boolean;
  /** Shuffle the samples each epoch (default false: the same batches in the same order, the book's runs). */
  shuffle?: boolean;
  /** Seed of the per-epoch shuffle (default 0): the same seed gives the same order, run after run. */
  seed?: number;
  /** Record ‖∂L/∂W_l‖ per layer (input → output) at the end of each epoch, on the first batch. */
  trackGradNorms?: boolean;
  validationData?: Dataset;
  progress?: ProgressMode;
  /** A label for the progress bar (default "training"). */
  label?: string;
}

/** Per-epoch history of a `fit` run. */
export interface History {
  epochs: number[];
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
  /** With `trackGradNorms`: gradNorms[epoch][layer], layers from the input up. */
  gradNorms?: number[][];
}

/** Raised at the batch where the loss stops being a finite number, instead of training on NaN. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly batch: number, readonly loss: number) {
    super(`loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1}: lower the learning rate or check the data`);
    this.name = "NonFiniteLossError";
  }
}

const optimizers = new WeakMap<tf.LayersModel, tf.Optimizer>();

/** SGD-family optimizers cache −λ as a tensor (setLearningRate renews it); Adam reads the field at each step. */
function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const settable = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (settable.setLearningRate) settable.setLearningRate(learningRate);
  else settable.learningRate = learningRate;
}

/**
 * Trains `model` on `data` with Adam or SGD+momentum and returns the per-epoch history. Deterministic for a seeded
 * model, unshuffled or with a seeded shuffle; stops with NonFiniteLossError at the first non-finite loss; shows progress.
 */
export async function fit(model: tf.LayersModel, data: Dataset, options: FitOptions): Promise<History> {
  const { epochs, batchSize = 32, optimizer = "adam", learningRate = 1e-3, momentum = 0.9, schedule } = options;
  const loss = options.loss ?? "categoricalCrossentropy";
  const withAccuracy = options.accuracy ?? loss === "categoricalCrossentropy";
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!(learningRate > 0)) throw new Error(`learningRate must be positive, got ${learningRate}`);
  if (data.x.shape[0] !== data.y.shape[0]) {
    throw new Error(`data.x has ${data.x.shape[0]} samples but data.y has ${data.y.shape[0]}`);
  }
  const trainer = optimizer === "adam" ? tf.train.adam(learningRate) : optimizer === "sgd" ? tf.train.momentum(learningRate, momentum) : undefined;
  if (!trainer) throw new Error(`optimizer must be "adam" or "sgd", got ${JSON.stringify(optimizer)}`);
  // A model fitted again gets a fresh optimizer: dispose the one an earlier fit made, or its slots would leak.
  const previous = optimizers.get(model);
  if (previous) previous.dispose();
  optimizers.set(model, trainer);
  model.compile({ optimizer: trainer, loss, metrics: withAccuracy ? ["accuracy"] : [] });

  const bar = progressBar(options.label ?? "training", epochs, options.progress ?? "auto");
  const random = options.shuffle ? parkMiller(options.seed ?? 0) : undefined;
  const n = data.x.shape[0];
  const probe = options.trackGradNorms ? { x: data.x.slice(0, Math.min(batchSize, n)), y: data.y.slice(0, Math.min(batchSize, n)) } : undefined;
  const history: History = { epochs: [], loss: [] };
  const append = (key: "accuracy" | "valLoss" | "valAccuracy", value: unknown) => {
    if (value !== undefined) (history[key] ??= []).push(value as number);
  };
  const probeLoss = (LOSS_NAMES as string[]).includes(loss) ? (loss as LossName) : undefined;
  let epoch = 0;
  let lastStatus = "";
  const callbacks = {
    onEpochBegin: async (e: number) => {
      epoch = e;
      // the optimizer reads its learning rate at every step, so setting it here applies to this epoch
      if (schedule) setLearningRate(trainer, schedule(e));
    },
    onBatchEnd: async (batch: number, logs?: tf.Logs) => {
      const value = logs?.loss;
      if (value !== undefined && !Number.isFinite(value)) throw new NonFiniteLossError(epoch, batch, value);
    },
    onEpochEnd: async (e: number, logs?: tf.Logs) => {
      if (probe) (history.gradNorms ??= []).push(layerGradientNorms(model, probe.x, probe.y, { loss: probeLoss }).map((l) => l.gradNorm));
      lastStatus = `loss ${logs?.loss?.toFixed(4)}${withAccuracy ? `, accuracy ${((logs?.acc ?? 0) * 100).toFixed(1)}%` : ""}`;
      bar.update(e + 1, lastStatus);
    },
  };
  const validationData = options.validationData ? ([options.validationData.x, options.validationData.y] as [tf.Tensor, tf.Tensor]) : undefined;
  const record = (h: Record<string, unknown[]>) => {
    for (let i = 0; i < h.loss.length; i++) {
      history.epochs.push(history.epochs.length + 1);
      history.loss.push(h.loss[i] as number);
      if (withAccuracy) append("accuracy", h.acc?.[i]);
      append("valLoss", h.val_loss?.[i]);
      append("valAccuracy", h.val_acc?.[i]);
    }
  };
  try {
    if (!random) {
      // one model.fit call: the same batches in the same order every epoch
      record((await model.fit(data.x, data.y, { epochs, batchSize, shuffle: false, verbose: 0, validationData, callbacks })).history as Record<string, unknown[]>);
    } else {
      // tfjs shuffles with Math.random; a seeded Fisher–Yates permutation per epoch makes runs repeatable
      const order = Array.from({ length: n }, (_, i) => i);
      for (let e = 0; e < epochs; e++) {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        const indices = tf.tensor1d(order, "int32");
        const x = tf.gather(data.x, indices);
        const y = tf.gather(data.y, indices);
        try {
          const h = await model.fit(x, y, { initialEpoch: e, epochs: e + 1, batchSize, shuffle: false, verbose: 0, validationData, callbacks });
          record(h.history as Record<string, unknown[]>);
        } finally {
          tf.dispose([indices, x, y]);
        }
      }
    }
    return history;
  } finally {
    if (probe) tf.dispose([probe.x, probe.y]);
    bar.finish(lastStatus);
  }
}
