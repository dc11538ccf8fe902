/**
 * The Transformer's position-wise feed-forward network (Vaswani et al. 2017, §3.3): FFN(x) = max(0, xW₁ + b₁)W₂ + b₂,
 * applied to every position alike, as one serialisable layer. Weights follow PyTorch's TransformerEncoderLayer
 * (`in_kernel` is linear1.weightᵀ, `out_kernel` linear2.weightᵀ). The positions are folded into the batch once, so
 * each projection is one 2-D matrix product (two Dense layers on a [batch, T, d] input cost ~40 native kernels per
 * step between them, mostly reshapes; this costs ~15).
 */
import { tf } from "../backend";
import { singleInput, singleShape, type Shape } from "./layer-io";
import { layerSeed } from "../seed";
import { positiveInteger } from "./conv";


export interface FeedForwardArgs {
  /** Hidden width (Vaswani et al. use 4·d). */
  hiddenUnits: number;
  /** Seeds He-normal W₁ (ReLU follows it) and Glorot-uniform W₂ (default 0). */
  seed?: number;
  name?: string;
}

export class FeedForward extends tf.layers.Layer {
  static className = "SkiplibFeedForward";
  readonly hiddenUnits: number;
  readonly seed: number;
  private inKernel!: tf.LayerVariable;
  private inBias!: tf.LayerVariable;
  private outKernel!: tf.LayerVariable;
  private outBias!: tf.LayerVariable;

  constructor(args: FeedForwardArgs) {
    super({ name: args.name });
    this.hiddenUnits = positiveInteger(args.hiddenUnits, "hiddenUnits");
    this.seed = args.seed ?? 0;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (d === null) throw new Error(`FeedForward "${this.name}" needs a known last dimension, got [${shape.map(String).join(", ")}]`);
    const seed = (part: string) => layerSeed(this.seed, `${this.name}/${part}`);
    this.inKernel = this.addWeight("in_kernel", [d, this.hiddenUnits], "float32", tf.initializers.heNormal({ seed: seed("in") }));
    this.inBias = this.addWeight("in_bias", [this.hiddenUnits], "float32", tf.initializers.zeros());
    this.outKernel = this.addWeight("out_kernel", [this.hiddenUnits, d], "float32", tf.initializers.glorotUniform({ seed: seed("out") }));
    this.outBias = this.addWeight("out_bias", [d], "float32", tf.initializers.zeros());
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs);
      const d = x.shape[x.rank - 1];
      const rows = tf.reshape(x, [-1, d]) as tf.Tensor2D;
      const hidden = tf.relu(tf.add(tf.matMul(rows, this.inKernel.read() as tf.Tensor2D), this.inBias.read())) as tf.Tensor2D;
      const out = tf.add(tf.matMul(hidden, this.outKernel.read() as tf.Tensor2D), this.outBias.read());
      return tf.reshape(out, x.shape);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), hiddenUnits: this.hiddenUnits, seed: this.seed };
  }
}
tf.serialization.registerClass(FeedForward);
