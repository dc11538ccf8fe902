import { tf } from "../backend";
import { progressBar, type ProgressMode } from "../progress";
import type { Dataset } from "../data/types";

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
  /** Shuffle the batches each epoch (default false: the same batches in the same order, the book's runs). */
  shuffle?: boolean;
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
 * model when `shuffle` is false; stops with NonFiniteLossError at the first non-finite loss; shows progress.
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
  let epoch = 0;
  let lastStatus = "";
  try {
    const result = await model.fit(data.x, data.y, {
      epochs,
      batchSize,
      shuffle: options.shuffle ?? false,
      verbose: 0,
      validationData: options.validationData ? [options.validationData.x, options.validationData.y] : undefined,
      callbacks: {
        onEpochBegin: async (e) => {
          epoch = e;
          // the optimizer reads its learning rate at every step, so setting it here applies to this epoch
          if (schedule) setLearningRate(trainer, schedule(e));
        },
        onBatchEnd: async (batch, logs) => {
          const value = logs?.loss;
          if (value !== undefined && !Number.isFinite(value)) throw new NonFiniteLossError(epoch, batch, value);
        },
        onEpochEnd: async (e, logs) => {
          lastStatus = `loss ${logs?.loss?.toFixed(4)}${withAccuracy ? `, accuracy ${((logs?.acc ?? 0) * 100).toFixed(1)}%` : ""}`;
          bar.update(e + 1, lastStatus);
        },
      },
    });
    const h = result.history;
    return {
      epochs: Array.from({ length: h.loss.length }, (_, i) => i + 1),
      loss: h.loss as number[],
      ...(withAccuracy ? { accuracy: h.acc as number[] } : {}),
      ...(h.val_loss ? { valLoss: h.val_loss as number[] } : {}),
      ...(h.val_acc ? { valAccuracy: h.val_acc as number[] } : {}),
    };
  } finally {
    bar.finish(lastStatus);
  }
}
