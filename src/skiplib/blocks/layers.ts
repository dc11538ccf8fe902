/**
 * The two custom layers skip connections need that tfjs-layers lacks. Both are registered with
 * tf.serialization, so `model.toJSON()` → `tf.models.modelFromJSON` round-trips models that use them.
 */
import { tf } from "../backend";
import { singleInput, singleShape, type Shape } from "./layer-io";


export interface ZeroPadShortcutArgs {
  /** Spatial subsampling factor (the branch's stride). */
  strides: number;
  /** Channels of the output; the input's channels come first, the rest are zeros. */
  outChannels: number;
  name?: string;
}

/**
 * He et al. 2015 §3.3 option A: a parameter-free shortcut for a block that changes shape. Takes every
 * `strides`-th pixel (x[:, ::s, ::s, :]) and appends zero channels up to `outChannels`.
 */
export class ZeroPadShortcut extends tf.layers.Layer {
  static className = "SkiplibZeroPadShortcut";
  readonly strides: number;
  readonly outChannels: number;

  constructor(args: ZeroPadShortcutArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.strides) || args.strides < 1) throw new Error(`strides must be a positive integer, got ${args.strides}`);
    this.strides = args.strides;
    this.outChannels = args.outChannels;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = singleShape(inputShape);
    const [batch, h, w, c] = shape;
    if (c !== null && c > this.outChannels) {
      throw new Error(`ZeroPadShortcut "${this.name}": outChannels (${this.outChannels}) must be ≥ the input's ${c} channels`);
    }
    const down = (n: number | null) => (n === null ? null : Math.ceil(n / this.strides));
    return [batch, down(h), down(w), this.outChannels];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = singleInput(inputs) as tf.Tensor4D;
      // A 1×1 average pool with stride s is exactly the strided subsample, and unlike stridedSlice it has a gradient.
      if (this.strides > 1) x = tf.avgPool(x, 1, this.strides, "valid");
      const extra = this.outChannels - x.shape[3];
      return extra > 0 ? tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]]) : x;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), strides: this.strides, outChannels: this.outChannels };
  }
}
tf.serialization.registerClass(ZeroPadShortcut);

/**
 * Srivastava et al. 2015 (Highway Networks), eq. 3: y = T·H + (1 − T)·x, computed as x + T·(H − x).
 * Inputs, in order: the transform gate T, the transform H, the carried input x (all the same shape).
 */
export class HighwayCombine extends tf.layers.Layer {
  static className = "SkiplibHighwayCombine";

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 3) throw new Error(`HighwayCombine "${this.name}" takes [gate, transform, input], got one tensor`);
    const [t, h, x] = shapes.map((s) => JSON.stringify(s.slice(1)));
    if (t !== h || h !== x) throw new Error(`HighwayCombine "${this.name}": gate, transform and input must have one shape, got ${t}, ${h}, ${x}`);
    return shapes[2];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [t, h, x] = inputs as tf.Tensor[];
      return tf.add(x, tf.mul(t, tf.sub(h, x)));
    });
  }
}
tf.serialization.registerClass(HighwayCombine);

export interface ShortcutDropoutArgs {
  /** Fraction of units zeroed at each training step, in [0, 1). */
  rate: number;
  /** Seed of the first step's mask; step t uses seed + t. */
  seed: number;
  name?: string;
}

/**
 * Inverted dropout (kept units ×1/(1 − rate), identity at inference) with a fresh seeded mask at every training
 * call. tfjs-layers' Dropout with a seed draws the same mask at every step, which is a fixed pruning, not dropout;
 * without one it draws from Math.random and a run cannot be repeated.
 */
export class ShortcutDropout extends tf.layers.Layer {
  static className = "SkiplibShortcutDropout";
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: ShortcutDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`rate must be in [0, 1) (the fraction of units dropped), got ${args.rate}`);
    if (!Number.isInteger(args.seed)) throw new Error(`seed must be an integer, got ${args.seed}`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = singleInput(inputs);
    if (!kwargs?.training || this.rate === 0) return x;
    const seed = (this.seed + this.calls++) % 2147483647;
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, seed));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(ShortcutDropout);
