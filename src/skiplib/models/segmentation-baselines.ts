/**
 * Baselines a segmentation task must defeat before it can show what a U-Net's long skips add: a threshold on each
 * pixel's own value, and a shallow fully convolutional net that sees only a small window around each pixel.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform, heNormal } from "../seed";
import { positiveInteger } from "../blocks/conv";
import type { Dataset } from "../data/types";
import { iou } from "../metrics";

type Symbolic = tf.SymbolicTensor;

export interface ShallowSegmenterOptions {
  /** 3×3 conv layers (each with ReLU); the receptive field is 2·layers + 1 pixels wide. Default 2. */
  layers?: number;
  /** Channels of every conv. Default 16. */
  channels?: number;
  /** [height, width, channels]. Default [32, 32, 1]. */
  inputShape?: [number, number, number];
  seed?: number;
  name?: string;
}

/** A fully convolutional net without downsampling: `layers` 3×3 convs and a 1×1 sigmoid head, one output per pixel. */
export function shallowSegmenter(options: ShallowSegmenterOptions = {}): tf.LayersModel {
  const layers = positiveInteger(options.layers ?? 2, "layers");
  const channels = positiveInteger(options.channels ?? 16, "channels");
  const seed = options.seed ?? DEFAULT_SEED;
  const input = tf.input({ shape: options.inputShape ?? [32, 32, 1], name: "input" });
  let h: Symbolic = input;
  for (let l = 1; l <= layers; l++) {
    const name = `conv${l}`;
    h = tf.layers.conv2d({ filters: channels, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: heNormal(seed, name), name }).apply(h) as Symbolic;
  }
  const out = tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: "sigmoid", kernelInitializer: glorotUniform(seed, "head"), name: "head" }).apply(h) as Symbolic;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? `shallow_segmenter${layers}` });
}

/** A per-pixel threshold fitted on training images: the mask is every pixel brighter than `threshold`. */
export interface ThresholdSegmenter {
  threshold: number;
  /** IoU of the fitted threshold on the data it was fitted on. */
  trainIoU: number;
  /** 0/1 masks of the pixels of `x` above the threshold (the caller disposes them). */
  predict(x: tf.Tensor): tf.Tensor;
}

/**
 * The best global threshold on pixel values: of `candidates` evenly spaced thresholds between the data's minimum
 * and maximum, the one with the highest IoU against the masks of `data`.
 */
export function fitThreshold(data: Dataset, options: { candidates?: number } = {}): ThresholdSegmenter {
  const candidates = positiveInteger(options.candidates ?? 101, "candidates");
  if (data.x.shape.join() !== data.y.shape.join()) throw new Error(`data.x has shape [${data.x.shape}] but the masks data.y have shape [${data.y.shape}]; a threshold needs one value per mask pixel`);
  const [min, max] = tf.tidy(() => [data.x.min().dataSync()[0], data.x.max().dataSync()[0]]);
  const predict = (t: number) => (x: tf.Tensor) => tf.tidy(() => tf.cast(tf.greater(x, t), "float32"));
  let best = { threshold: min, trainIoU: -1 };
  for (let c = 0; c < candidates; c++) {
    const threshold = candidates === 1 ? (min + max) / 2 : min + ((max - min) * c) / (candidates - 1);
    const p = predict(threshold)(data.x);
    const score = iou(p, data.y);
    p.dispose();
    if (score > best.trainIoU) best = { threshold, trainIoU: score };
  }
  return { ...best, predict: predict(best.threshold) };
}
