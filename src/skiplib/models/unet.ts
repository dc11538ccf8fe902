/**
 * U-Net (Ronneberger et al. 2015): an encoder of `depth` stages, a bottom stage, a decoder of `depth` stages
 * with long skips by concatenation, and a 1×1 conv to `outputChannels`. `skips: false` drops the long skips
 * and keeps every other layer, so the two nets differ in the skips alone (the decoder convs see fewer channels;
 * `uNetWithoutSkipsAtEqualParams` widens the decoder back to the U-Net's parameter count).
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform } from "../seed";
import { positiveInteger } from "../blocks/conv";
import { countParams } from "../params";
import { unetDecoderStage, unetEncoderStage } from "../blocks/unet";

type Symbolic = tf.SymbolicTensor;

export interface UNetOptions {
  /** Encoder stages (each halves the resolution). Default 4, as in the paper. */
  depth?: number;
  /** Channels of the first stage; stage i has base·2^(i−1). Default 64 (the paper); use 8–16 on a CPU. */
  baseChannels?: number;
  /** Concatenate encoder maps into the decoder. Default true. */
  skips?: boolean;
  /** [height, width, channels]; height and width must be divisible by 2^depth. Default [64, 64, 1]. */
  inputShape?: [number, number, number];
  /** Default 1. */
  outputChannels?: number;
  /** Default "sigmoid" for one output channel (binary mask), "softmax" for more (per-pixel classes). */
  outputActivation?: "sigmoid" | "softmax" | "linear";
  /** BN after each conv. Default false. */
  batchNorm?: boolean;
  /** Scales the decoder's channels (stage i: round(m·base·2^(i−1))). Default 1: the decoder mirrors the encoder. */
  decoderWidth?: number;
  seed?: number;
  name?: string;
}

/** The U-Net of Ronneberger et al. 2015 ("same" padding), with a switch for its long skips. */
export function uNet(options: UNetOptions = {}): tf.LayersModel {
  const depth = positiveInteger(options.depth ?? 4, "depth", "an integer ≥ 1 (encoder stages)");
  const base = positiveInteger(options.baseChannels ?? 64, "baseChannels");
  const skips = options.skips ?? true;
  const inputShape = options.inputShape ?? [64, 64, 1];
  const outputChannels = positiveInteger(options.outputChannels ?? 1, "outputChannels");
  const seed = options.seed ?? DEFAULT_SEED;
  const batchNorm = options.batchNorm ?? false;
  const decoderWidth = options.decoderWidth ?? 1;
  if (!(Number.isFinite(decoderWidth) && decoderWidth > 0)) throw new Error(`decoderWidth must be a positive number (a multiplier of the decoder's channels), got ${decoderWidth}`);
  if (inputShape.length !== 3) throw new Error(`inputShape must be [height, width, channels], got [${inputShape.join(", ")}]`);
  const factor = 2 ** depth;
  inputShape.slice(0, 2).forEach((size, i) => {
    if (!Number.isInteger(size) || size < factor || size % factor !== 0) {
      throw new Error(`inputShape ${i === 0 ? "height" : "width"} must be a multiple of 2^depth = ${factor} for a U-Net of depth ${depth}, got ${size}`);
    }
  });

  const input = tf.input({ shape: inputShape, name: "input" });
  const encoderMaps: Symbolic[] = [];
  let h: Symbolic = input;
  for (let i = 1; i <= depth; i++) {
    const { skip, down } = unetEncoderStage(h, { name: `enc${i}`, filters: base * 2 ** (i - 1), batchNorm, seed });
    encoderMaps.push(skip);
    h = down;
  }
  h = unetEncoderStage(h, { name: "bottom", filters: base * factor, batchNorm, seed }).skip;
  for (let i = depth; i >= 1; i--) {
    h = unetDecoderStage(h, skips ? encoderMaps[i - 1] : null, { name: `dec${i}`, filters: Math.max(1, Math.round(decoderWidth * base * 2 ** (i - 1))), batchNorm, seed });
  }
  const activation = options.outputActivation ?? (outputChannels === 1 ? "sigmoid" : "softmax");
  const out = tf.layers.conv2d({ filters: outputChannels, kernelSize: 1, activation, kernelInitializer: glorotUniform(seed, "head"), name: "head" }).apply(h) as Symbolic;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? (skips ? "unet" : "unet_noskip") });
}

/**
 * The long-skip ablation at equal parameters: `uNet(options)` without its skips, the decoder widened (`decoderWidth`)
 * to the multiplier whose parameter count is closest to the U-Net's, so the comparison is not one of sizes. Without
 * skips each decoder stage's first conv sees fewer input channels, hence fewer weights, unless widened.
 */
export function uNetWithoutSkipsAtEqualParams(options: UNetOptions = {}): tf.LayersModel {
  const count = (o: UNetOptions) => {
    const model = uNet(o);
    const n = countParams(model);
    model.dispose();
    return n;
  };
  const target = count({ ...options, skips: true });
  const without = (m: number) => ({ ...options, skips: false, decoderWidth: m * (options.decoderWidth ?? 1) });
  // the count grows with the multiplier; bisect for the smallest one at or above the target, then take the nearer step
  let [low, high] = [1, 2];
  while (count(without(high)) < target) high *= 2;
  for (let i = 0; i < 12; i++) {
    const mid = (low + high) / 2;
    if (count(without(mid)) < target) low = mid;
    else high = mid;
  }
  const best = Math.abs(count(without(low)) - target) < Math.abs(count(without(high)) - target) ? low : high;
  return uNet({ ...without(best), name: options.name ?? "unet_noskip_equal" });
}
