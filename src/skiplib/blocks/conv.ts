/**
 * The pieces every block is made of (conv, BatchNorm, ReLU), with seeded init and the block's naming
 * scheme, so blocks read as the papers' diagrams: conv → BN → ReLU.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, heNormal } from "../seed";

type Symbolic = tf.SymbolicTensor;

/** Options every block takes. */
export interface BlockContext {
  /** Prefix of every layer's name, e.g. "stage1_block2" → "stage1_block2_conv1". */
  name: string;
  /** Model seed; each layer's init seed is derived from it and the layer's name. */
  seed?: number;
}

// PyTorch's/Torch's BatchNorm settings, as in the papers' code (tfjs defaults are ε=1e-3, momentum 0.99).
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

export function positiveInteger(value: number, param: string, what = "a positive integer"): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${param} must be ${what}, got ${value}`);
  return value;
}

/** 2-D convolution without bias (a BatchNorm follows), He-normal init, "same" padding. */
export function conv(x: Symbolic, o: { filters: number; kernelSize: number; strides?: number; name: string; seed?: number; zeroInit?: boolean; useBias?: boolean }): Symbolic {
  const seed = o.seed ?? DEFAULT_SEED;
  return tf.layers
    .conv2d({
      filters: o.filters,
      kernelSize: o.kernelSize,
      strides: o.strides ?? 1,
      padding: "same",
      useBias: o.useBias ?? false,
      kernelInitializer: o.zeroInit ? "zeros" : heNormal(seed, o.name),
      name: o.name,
    })
    .apply(x) as Symbolic;
}

/** BatchNorm (Ioffe & Szegedy 2015); `zeroGamma` starts it at output β = 0 (fastai's BatchZero). */
export function batchNorm(x: Symbolic, name: string, zeroGamma = false): Symbolic {
  return tf.layers
    .batchNormalization({ name, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, gammaInitializer: zeroGamma ? "zeros" : "ones" })
    .apply(x) as Symbolic;
}

export function relu(x: Symbolic, name: string): Symbolic {
  return tf.layers.reLU({ name }).apply(x) as Symbolic;
}

/** BN → ReLU, the pre-activation pair of He et al. 2016. */
export function bnRelu(x: Symbolic, prefix: string, index: number | string): Symbolic {
  return relu(batchNorm(x, `${prefix}_bn${index}`), `${prefix}_relu${index}`);
}

export function channels(x: Symbolic): number {
  const c = x.shape[x.shape.length - 1];
  if (c === null) throw new Error(`the channel dimension must be known, got shape [${x.shape.join(",")}]`);
  return c;
}
