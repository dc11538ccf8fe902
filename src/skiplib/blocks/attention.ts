/**
 * Multi-head self-attention (Vaswani et al. 2017, §3.2.2) as a serialisable tfjs layer, with an optional causal
 * mask (position t attends to positions ≤ t only, as in a decoder, §3.2.3). Weights follow PyTorch's
 * nn.MultiheadAttention so the two can be checked on the same numbers: one fused projection for queries, keys and
 * values (`qkv_kernel` [d, 3d] is in_proj_weightᵀ) and an output projection (`out_kernel` [d, d] is out_proj.weightᵀ).
 */
import { tf } from "../backend";
import { singleInput, singleShape, type Shape } from "./layer-io";
import { layerSeed } from "../seed";


export interface SelfAttentionArgs {
  /** Heads h; the model width d must be a multiple of h (each head works in d/h dimensions). */
  numHeads: number;
  /** Mask attention to later positions (autoregressive models). Default false. */
  causal?: boolean;
  /** Seeds the Glorot-uniform initial projections (default 0). */
  seed?: number;
  name?: string;
}

// exp(−1e9 − max) is exactly 0 in float32, like PyTorch's −inf mask, without inf − inf = NaN on a fully masked row.
const MASKED = -1e9;

/** softmax(QKᵀ/√(d/h) + mask)·V per head, heads concatenated and projected back to d. Input and output [batch, T, d]. */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = "SkiplibMultiHeadSelfAttention";
  readonly numHeads: number;
  readonly causal: boolean;
  readonly seed: number;
  private qkvKernel!: tf.LayerVariable;
  private qkvBias!: tf.LayerVariable;
  private outKernel!: tf.LayerVariable;
  private outBias!: tf.LayerVariable;

  constructor(args: SelfAttentionArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.numHeads) || args.numHeads < 1) throw new Error(`numHeads must be a positive integer, got ${args.numHeads}`);
    this.numHeads = args.numHeads;
    this.causal = args.causal ?? false;
    this.seed = args.seed ?? 0;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (shape.length !== 3 || d === null) throw new Error(`MultiHeadSelfAttention "${this.name}" takes [batch, positions, features], got [${shape.map(String).join(", ")}]`);
    if (d % this.numHeads !== 0) throw new Error(`MultiHeadSelfAttention "${this.name}": features (${d}) must be a multiple of numHeads (${this.numHeads})`);
    const glorot = (part: string) => tf.initializers.glorotUniform({ seed: layerSeed(this.seed, `${this.name}/${part}`) });
    this.qkvKernel = this.addWeight("qkv_kernel", [d, 3 * d], "float32", glorot("qkv"));
    this.qkvBias = this.addWeight("qkv_bias", [3 * d], "float32", tf.initializers.zeros());
    this.outKernel = this.addWeight("out_kernel", [d, d], "float32", glorot("out"));
    this.outBias = this.addWeight("out_bias", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor3D;
      const [batch, positions, d] = x.shape;
      const h = this.numHeads;
      const dh = d / h;
      const qkv = tf.add(tf.matMul(tf.reshape(x, [batch * positions, d]), this.qkvKernel.read() as tf.Tensor2D), this.qkvBias.read());
      // [batch·T, 3d] → [3, batch, heads, T, d/h]: one transpose gives queries, keys and values per head
      const [q, k, v] = tf.unstack(tf.transpose(tf.reshape(qkv, [batch, positions, 3, h, dh]), [2, 0, 3, 1, 4]));
      let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh));
      if (this.causal) scores = tf.add(scores, causalMask(positions));
      const mixed = tf.matMul(tf.softmax(scores), v); // [batch, heads, T, d/h]
      const joined = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch * positions, d]);
      const out = tf.add(tf.matMul(joined, this.outKernel.read() as tf.Tensor2D), this.outBias.read());
      return tf.reshape(out, [batch, positions, d]);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, causal: this.causal, seed: this.seed };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention);

const maskValues = new Map<number, Float32Array>();

/**
 * [T, T] additive mask: 0 where key position ≤ query position, a large negative number above the diagonal.
 * Built from cached values rather than with tensor ops, which cost a native kernel each at every step.
 */
export function causalMask(positions: number): tf.Tensor2D {
  let values = maskValues.get(positions);
  if (!values) {
    values = new Float32Array(positions * positions);
    for (let query = 0; query < positions; query++) for (let key = query + 1; key < positions; key++) values[query * positions + key] = MASKED;
    maskValues.set(positions, values);
  }
  return tf.tensor2d(values, [positions, positions]);
}
