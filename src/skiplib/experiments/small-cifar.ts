/**
 * The small version of He et al. 2015's CIFAR-10 experiment (§4.2) that chapters 2, 3 and 6 share: the same
 * (6n+2)-layer plain and residual nets at a quarter of the width, on Fashion-MNIST at low resolution, trained with
 * the paper's optimiser (SGD, momentum 0.9, step decay) for a schedule that fits a laptop CPU. Defined once here so
 * that every chapter trains exactly the same nets, and a net one chapter trained can be reused by another
 * (`trainSmallCifarNet` goes through `cachedTraining`).
 */
import { fashionMnist } from "../data/fashion-mnist";
import type { Dataset } from "../data/types";
import { cifarPlainNet, cifarResNet, type CifarNetOptions } from "../models/cifar";
import { fit, type History } from "../train/fit";
import { cachedTraining, type CachedTraining } from "./trained-cache";

export interface SmallCifarSettings {
  /** Side of the (square, grey) input images. */
  imageSize: number;
  trainSamples: number;
  testSamples: number;
  /** Channels of the three stages. */
  channels: [number, number, number];
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  /** Epochs at learningRate / 10 before the full rate (He et al. 2015 §4.2 warm up the 110-layer net this way). */
  warmupEpochs: number;
  /** Fractions of the run after which the rate is divided by 10 (He et al.: 32k and 48k of 64k iterations). */
  decayAt: [number, number];
}

/** The shared settings. A chapter that changes one says so, and its nets are then its own. */
export const SMALL_CIFAR: Readonly<SmallCifarSettings> = Object.freeze({
  imageSize: 14,
  trainSamples: 2000,
  testSamples: 2000,
  channels: [8, 16, 32] as [number, number, number],
  epochs: 20,
  batchSize: 128,
  learningRate: 0.1,
  momentum: 0.9,
  warmupEpochs: 1,
  decayAt: [0.5, 0.75] as [number, number],
});

/** The learning rate of each epoch (0-based): warm-up at a tenth, the full rate, then two divisions by 10. */
export function smallCifarSchedule(s: SmallCifarSettings = SMALL_CIFAR): (epoch: number) => number {
  const [first, second] = s.decayAt.map((f) => Math.round(f * s.epochs));
  return (epoch) => (epoch < s.warmupEpochs ? s.learningRate / 10 : epoch < first ? s.learningRate : epoch < second ? s.learningRate / 10 : s.learningRate / 100);
}

/** The nets' options: single-channel images of the configured size, 10 classes, the configured widths. */
export function smallCifarNetOptions(seed: number, s: SmallCifarSettings = SMALL_CIFAR): CifarNetOptions {
  return { inputShape: [s.imageSize, s.imageSize, 1], classes: 10, channels: [...s.channels], seed };
}

/** The training and test images (the first samples of each Fashion-MNIST split, resized). */
export function smallCifarData(s: SmallCifarSettings = SMALL_CIFAR): { train: Dataset; test: Dataset } {
  return {
    train: fashionMnist({ split: "train", samples: s.trainSamples, size: s.imageSize }),
    test: fashionMnist({ split: "test", samples: s.testSamples, size: s.imageSize }),
  };
}

export type SmallCifarKind = "plain" | "residual";

/**
 * The plain or residual (option A shortcuts, the paper's CIFAR choice) net of `depth` layers, trained on `train`
 * with the shared schedule and shuffled with `seed`: or, when the same run was done before, its stored result.
 */
export async function trainSmallCifarNet(
  kind: SmallCifarKind,
  depth: number,
  seed: number,
  train: Dataset,
  options: { settings?: SmallCifarSettings; label?: string } = {},
): Promise<CachedTraining<History>> {
  if (kind !== "plain" && kind !== "residual") throw new Error(`kind must be "plain" or "residual", got ${JSON.stringify(kind)}`);
  const s = options.settings ?? SMALL_CIFAR;
  const net = smallCifarNetOptions(seed, s);
  const build = () => (kind === "plain" ? cifarPlainNet(depth, net) : cifarResNet(depth, { ...net, shortcut: "A" }));
  return cachedTraining({ experiment: "small-cifar", kind, depth, seed, settings: s }, train, build, (model) =>
    fit(model, train, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      optimizer: "sgd",
      learningRate: s.learningRate,
      momentum: s.momentum,
      schedule: smallCifarSchedule(s),
      shuffle: true,
      seed,
      label: options.label ?? `${kind}-${depth}, seed ${seed}`,
    }),
  );
}
