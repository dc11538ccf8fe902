/**
 * DenseNet's pieces (Huang et al. 2017, "Densely Connected Convolutional Networks", §3): every layer's output
 * is concatenated to its input, so layer ℓ sees the feature maps of all layers before it. The skip is
 * `skipMerge("concat")`, the same abstraction the residual block uses with "add".
 */
import { tf } from "../backend";
import { DEFAULT_SEED } from "../seed";
import { bnRelu, channels, conv, positiveInteger, type BlockContext } from "./conv";
import { skipMerge } from "./merge";

type Symbolic = tf.SymbolicTensor;

export interface DenseLayerOptions extends BlockContext {
  /** k: channels each layer adds. */
  growthRate: number;
  /** DenseNet-B: a 1×1 conv to `bottleneckWidth` channels before the 3×3. Default false. */
  bottleneck?: boolean;
  /** Channels of the bottleneck's 1×1 conv. Default 4k (the paper's choice). */
  bottleneckWidth?: number;
}

export interface DenseBlockOptions extends DenseLayerOptions {
  /** L: dense layers in the block. */
  layers: number;
}

export interface TransitionOptions extends BlockContext {
  /** θ in (0, 1]: the transition keeps ⌊θ·c⌋ channels (DenseNet-C uses 0.5). */
  compression?: number;
}

export function checkGrowthRate(k: number): number {
  return positiveInteger(k, "growthRate", "a positive integer (channels each dense layer adds, 12 in DenseNet-BC)");
}

export function checkCompression(theta: number): number {
  if (!(Number.isFinite(theta) && theta > 0 && theta <= 1)) throw new Error(`compression must be in (0, 1] (θ, the fraction of channels a transition keeps), got ${theta}`);
  return theta;
}

/** H_ℓ of Huang et al. 2017 eq. 2: BN → ReLU → (1×1 conv 4k → BN → ReLU) → 3×3 conv k, concatenated to its input. */
export function denseLayer(x: Symbolic, o: DenseLayerOptions): Symbolic {
  const k = checkGrowthRate(o.growthRate);
  const seed = o.seed ?? DEFAULT_SEED;
  let h = bnRelu(x, o.name, 1);
  if (o.bottleneck) {
    const width = positiveInteger(o.bottleneckWidth ?? 4 * k, "bottleneckWidth");
    h = conv(h, { filters: width, kernelSize: 1, name: `${o.name}_conv1`, seed });
    h = bnRelu(h, o.name, 2);
  }
  h = conv(h, { filters: k, kernelSize: 3, name: `${o.name}_conv${o.bottleneck ? 2 : 1}`, seed });
  return skipMerge("concat", `${o.name}_concat`)(x, h);
}

/** A dense block (Huang et al. 2017 fig. 1): L dense layers; outputs c₀ + L·k channels. */
export function denseBlock(x: Symbolic, o: DenseBlockOptions): Symbolic {
  const layers = positiveInteger(o.layers, "layers");
  let h = x;
  for (let l = 1; l <= layers; l++) h = denseLayer(h, { ...o, name: `${o.name}_layer${l}` });
  return h;
}

/** The transition between dense blocks (Huang et al. 2017 §3): BN → ReLU → 1×1 conv to ⌊θ·c⌋ channels → 2×2 average pool. */
export function transitionLayer(x: Symbolic, o: TransitionOptions): Symbolic {
  const theta = checkCompression(o.compression ?? 1);
  const out = Math.max(1, Math.floor(theta * channels(x)));
  let h = bnRelu(x, o.name, 1);
  h = conv(h, { filters: out, kernelSize: 1, name: `${o.name}_conv1`, seed: o.seed });
  return tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${o.name}_pool` }).apply(h) as Symbolic;
}
