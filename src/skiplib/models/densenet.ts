/**
 * DenseNet for CIFAR (Huang et al. 2017 §3 and §4.2): a 3×3 conv stem, `blocks` dense blocks joined by
 * transition layers, BN-ReLU, global average pooling, a classifier. DenseNet-BC (bottleneck + compression 0.5)
 * with depth L = 100 and growth rate k = 12 has ≈ 0.8M parameters.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform } from "../seed";
import { bnRelu, conv, positiveInteger } from "../blocks/conv";
import { checkCompression, checkGrowthRate, denseBlock, transitionLayer } from "../blocks/dense";

type Symbolic = tf.SymbolicTensor;

export interface DenseNetOptions {
  /** Weighted layers L: (blocks + 1) + blocks·layers·(2 with bottleneck, else 1). Default 100. */
  depth?: number;
  /** k. Default 12. */
  growthRate?: number;
  /** DenseNet-B (1×1 bottleneck to 4k). Default true. */
  bottleneck?: boolean;
  /** θ in (0, 1] (DenseNet-C: 0.5). Default 0.5. */
  compression?: number;
  /** Dense blocks. Default 3 (CIFAR). */
  blocks?: number;
  /** Stem channels. Default 2k with bottleneck and compression (BC), 16 otherwise, as in the paper. */
  initialChannels?: number;
  inputShape?: [number, number, number];
  classes?: number;
  outputActivation?: "softmax" | "linear";
  seed?: number;
  name?: string;
}

/** Dense layers per block for a DenseNet of `depth`, or a clear error. */
export function denseLayersPerBlock(depth: number, blocks: number, bottleneck: boolean): number {
  const perLayer = bottleneck ? 2 : 1;
  const layers = (depth - blocks - 1) / (blocks * perLayer);
  if (!Number.isInteger(layers) || layers < 1) {
    throw new Error(`depth must be ${blocks + 1} + ${blocks * perLayer}·n for a DenseNet with ${blocks} blocks${bottleneck ? " and bottlenecks" : ""} (e.g. ${blocks + 1 + blocks * perLayer * 16}), got ${depth}`);
  }
  return layers;
}

/** DenseNet(-BC) of Huang et al. 2017 for 32×32 images (DenseNet-BC L=100, k=12 ≈ 0.8M parameters). */
export function denseNet(options: DenseNetOptions = {}): tf.LayersModel {
  const depth = options.depth ?? 100;
  const k = checkGrowthRate(options.growthRate ?? 12);
  const bottleneck = options.bottleneck ?? true;
  const theta = checkCompression(options.compression ?? 0.5);
  const blocks = positiveInteger(options.blocks ?? 3, "blocks");
  const layers = denseLayersPerBlock(depth, blocks, bottleneck);
  const seed = options.seed ?? DEFAULT_SEED;
  const initial = positiveInteger(options.initialChannels ?? (bottleneck && theta < 1 ? 2 * k : 16), "initialChannels");
  const classes = positiveInteger(options.classes ?? 10, "classes");

  const input = tf.input({ shape: options.inputShape ?? [32, 32, 3], name: "input" });
  let h = conv(input, { filters: initial, kernelSize: 3, name: "stem_conv", seed });
  for (let b = 1; b <= blocks; b++) {
    h = denseBlock(h, { name: `block${b}`, layers, growthRate: k, bottleneck, seed });
    if (b < blocks) h = transitionLayer(h, { name: `transition${b}`, compression: theta, seed });
  }
  h = bnRelu(h, "final", "");
  h = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(h) as Symbolic;
  const out = tf.layers.dense({ units: classes, activation: options.outputActivation ?? "softmax", kernelInitializer: glorotUniform(seed, "head"), name: "head" }).apply(h) as Symbolic;
  const kind = bottleneck && theta < 1 ? "densenet_bc" : bottleneck ? "densenet_b" : theta < 1 ? "densenet_c" : "densenet";
  return tf.model({ inputs: input, outputs: out, name: options.name ?? `${kind}${depth}_k${k}` });
}
