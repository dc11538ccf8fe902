/**
 * The CIFAR-10 nets of He et al. 2015 §4.2: a 3×3 conv stem with 16 channels, three stages of n blocks at
 * 16/32/64 channels (32×32, 16×16, 8×8), global average pooling, a 10-way classifier: 6n + 2 weighted layers.
 * The plain net is the same with skip "none". Option A (zero-padding shortcuts) is the paper's CIFAR choice,
 * so ResNet-20/56/110 have exactly the plain nets' parameters.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform } from "../seed";
import { batchNorm, bnRelu, conv, positiveInteger, relu } from "../blocks/conv";
import { residualBlock, type ShortcutType } from "../blocks/residual";
import type { ShortcutVariant } from "../blocks/shortcuts";

type Symbolic = tf.SymbolicTensor;

export interface CifarNetOptions {
  /** Default [32, 32, 3]. */
  inputShape?: [number, number, number];
  /** Default 10. */
  classes?: number;
  /** Channels of the three stages. Default [16, 32, 64] × widthMultiplier. */
  channels?: [number, number, number];
  /** Scales the default channels (e.g. 0.5 → 8/16/32 for quick CPU runs). Default 1. */
  widthMultiplier?: number;
  /** Shortcut where a stage changes shape. Default "A" (He et al. 2015 §4.2). ResNet only. */
  shortcut?: ShortcutType;
  /** He et al. 2016 pre-activation blocks. Default false. */
  preActivation?: boolean;
  /** Every residual branch starts at zero (fastai BatchZero / Goyal et al. 2017). ResNet only. */
  zeroInitResidual?: boolean;
  /** He et al. 2016's shortcut variants (Table 1) on every block: "scale", "exclusive-gate", ... Default identity. ResNet only. */
  shortcutVariant?: ShortcutVariant;
  /** α on every residual branch, y = h(x) + α·F(x); e.g. 1/√(3n) for 3n blocks. Default 1. ResNet only. */
  branchScale?: number;
  /** Classifier activation. Default "softmax" (probabilities, for Keras' categoricalCrossentropy). */
  outputActivation?: "softmax" | "linear";
  seed?: number;
  name?: string;
}

/** n in depth = 6n + 2, or a clear error. */
export function cifarBlocksPerStage(depth: number): number {
  const n = (depth - 2) / 6;
  if (!Number.isInteger(n) || n < 1) throw new Error(`depth must be 6n+2 for a CIFAR ResNet (20, 32, 44, 56, 110, ...), got ${depth}`);
  return n;
}

function stageChannels(o: CifarNetOptions): [number, number, number] {
  if (o.channels) {
    if (o.channels.length !== 3) throw new Error(`channels must list 3 stage widths, got [${o.channels.join(", ")}]`);
    o.channels.forEach((c, i) => positiveInteger(c, `channels[${i}]`));
    return o.channels;
  }
  const m = o.widthMultiplier ?? 1;
  if (!(m > 0)) throw new Error(`widthMultiplier must be > 0, got ${m}`);
  return [16, 32, 64].map((c) => Math.max(1, Math.round(c * m))) as [number, number, number];
}

function cifarNet(depth: number, skip: "add" | "none", o: CifarNetOptions, defaultName: string): tf.LayersModel {
  const n = cifarBlocksPerStage(depth);
  const widths = stageChannels(o);
  const classes = positiveInteger(o.classes ?? 10, "classes");
  const inputShape = o.inputShape ?? [32, 32, 3];
  if (inputShape.length !== 3) throw new Error(`inputShape must be [height, width, channels], got [${inputShape.join(", ")}]`);
  inputShape.forEach((d, i) => positiveInteger(d, `inputShape[${i}]`));
  const seed = o.seed ?? DEFAULT_SEED;
  const pre = o.preActivation ?? false;

  const input = tf.input({ shape: inputShape, name: "input" });
  let h = conv(input, { filters: widths[0], kernelSize: 3, name: "stem_conv", seed });
  // Pre-activation nets start with a bare conv (the first block's BN-ReLU follows) and end with BN-ReLU.
  if (!pre) h = relu(batchNorm(h, "stem_bn"), "stem_relu");
  widths.forEach((filters, s) => {
    for (let b = 0; b < n; b++) {
      h = residualBlock(h, {
        name: `stage${s + 1}_block${b + 1}`,
        filters,
        strides: s > 0 && b === 0 ? 2 : 1,
        preActivation: pre,
        shortcut: o.shortcut ?? "A",
        skip,
        zeroInitResidual: skip === "add" ? o.zeroInitResidual : undefined,
        shortcutVariant: skip === "add" ? o.shortcutVariant : undefined,
        branchScale: skip === "add" ? o.branchScale : undefined,
        seed,
      });
    }
  });
  if (pre) h = bnRelu(h, "final", "");
  h = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(h) as Symbolic;
  const out = tf.layers.dense({ units: classes, activation: o.outputActivation ?? "softmax", kernelInitializer: glorotUniform(seed, "head"), name: "head" }).apply(h) as Symbolic;
  return tf.model({ inputs: input, outputs: out, name: o.name ?? `${defaultName}${depth}` });
}

/** ResNet-(6n+2) for CIFAR-10, He et al. 2015 §4.2 (ResNet-20 ≈ 0.27M parameters, ResNet-110 ≈ 1.7M). */
export function cifarResNet(depth: number, options: CifarNetOptions = {}): tf.LayersModel {
  return cifarNet(depth, "add", options, "resnet");
}

/** The plain (6n+2)-layer CIFAR net of He et al. 2015 §4.2: ResNet's layers without the shortcuts. */
export function cifarPlainNet(depth: number, options: CifarNetOptions = {}): tf.LayersModel {
  if (options.zeroInitResidual) throw new Error(`zeroInitResidual needs residual blocks; cifarPlainNet has none`);
  if (options.shortcutVariant !== undefined || options.branchScale !== undefined) throw new Error(`shortcutVariant and branchScale need residual blocks; cifarPlainNet has none`);
  return cifarNet(depth, "none", options, "plain");
}

/** The first five layers of ResNet-34 (He et al. 2015 table 1): 7×7/2 conv 64, BN, ReLU, 3×3/2 max-pool, the first residual block. */
export function resNet34Stem(options: { inputShape?: [number, number, number]; seed?: number } = {}): tf.LayersModel {
  const seed = options.seed ?? DEFAULT_SEED;
  const input = tf.input({ shape: options.inputShape ?? [224, 224, 3], name: "input" });
  let h = conv(input, { filters: 64, kernelSize: 7, strides: 2, name: "conv1", seed });
  h = relu(batchNorm(h, "bn1"), "relu1");
  h = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "pool1" }).apply(h) as Symbolic;
  h = residualBlock(h, { name: "conv2_block1", filters: 64, seed });
  return tf.model({ inputs: input, outputs: h, name: "resnet34_stem" });
}
