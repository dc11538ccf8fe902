/**
 * The Transformer block: a residual block around self-attention and another around the MLP, with LayerNorm
 *   "post" — x ← LN(x + F(x)), the original Transformer (Vaswani et al. 2017, §3.1: "LayerNorm(x + Sublayer(x))");
 *   "pre"  — x ← x + F(LN(x)), what most later models use (GPT-2; Xiong et al. 2020 analyse why it needs no warm-up);
 * and, as the control, the same layers with the additions removed (`residual: false`): x ← F(LN(x)) or LN(F(x)).
 */
import { tf } from "../backend";
import { singleInput, singleShape, type Shape } from "./layer-io";
import { layerSeed } from "../seed";
import { positiveInteger } from "./conv";
import { MultiHeadSelfAttention } from "./attention";
import { FeedForward } from "./feed-forward";
import { LayerNorm } from "./layer-norm";

type Symbolic = tf.SymbolicTensor;

export type NormPosition = "pre" | "post";
export const NORM_POSITIONS: readonly NormPosition[] = ["pre", "post"];

export interface TransformerBlockOptions {
  /** Layer-name prefix, e.g. "block3": its layers are block3_ln1, block3_attn, block3_attn_add, block3_ln2, block3_mlp, block3_mlp_add. */
  name: string;
  numHeads: number;
  /** Hidden width of the MLP (Vaswani et al. use 4·d). */
  mlpDim: number;
  /** Where LayerNorm sits relative to the skip. Default "pre". */
  norm?: NormPosition;
  /** Add the block's input to each sublayer's output (default true). false removes the two skips and nothing else. */
  residual?: boolean;
  causal?: boolean;
  seed?: number;
}

export function checkNormPosition(norm: string): NormPosition {
  if (!(NORM_POSITIONS as readonly string[]).includes(norm)) throw new Error(`norm must be "pre" (x + F(LN(x))) or "post" (LN(x + F(x))), got "${norm}"`);
  return norm as NormPosition;
}

/** LayerNorm over the features with PyTorch's ε = 1e-5. */
export function layerNorm(name: string): tf.layers.Layer {
  return new LayerNorm({ epsilon: 1e-5, name });
}

/** One Transformer block on a [batch, T, d] stream; returns the stream after it. */
export function transformerBlock(x: Symbolic, o: TransformerBlockOptions): Symbolic {
  positiveInteger(o.mlpDim, "mlpDim");
  const norm = checkNormPosition(o.norm ?? "pre");
  const residual = o.residual ?? true;
  const seed = o.seed ?? 0;
  const apply = (layer: tf.layers.Layer, ...inputs: Symbolic[]) => layer.apply(inputs.length === 1 ? inputs[0] : inputs) as Symbolic;
  const attention = (h: Symbolic) => apply(new MultiHeadSelfAttention({ numHeads: o.numHeads, causal: o.causal, seed, name: `${o.name}_attn` }), h);
  const mlp = (h: Symbolic) => apply(new FeedForward({ hiddenUnits: o.mlpDim, seed, name: `${o.name}_mlp` }), h);
  const sublayer = (h: Symbolic, f: (h: Symbolic) => Symbolic, part: "attn" | "mlp", ln: string) => {
    const add = (a: Symbolic, b: Symbolic) => (residual ? apply(tf.layers.add({ name: `${o.name}_${part}_add` }), a, b) : b);
    return norm === "pre" ? add(h, f(apply(layerNorm(`${o.name}_${ln}`), h))) : apply(layerNorm(`${o.name}_${ln}`), add(h, f(h)));
  };
  return sublayer(sublayer(x, attention, "attn", "ln1"), mlp, "mlp", "ln2");
}

export interface PositionEmbeddingArgs {
  /** The longest sequence the table covers. */
  maxLength: number;
  /** Standard deviation of the normal initial table (default 1, like nn.Embedding). */
  stddev?: number;
  seed?: number;
  name?: string;
}

/** Adds a learned vector per position to a [batch, T, d] input (GPT-style learned positions; T ≤ maxLength). */
export class PositionEmbedding extends tf.layers.Layer {
  static className = "SkiplibPositionEmbedding";
  readonly maxLength: number;
  readonly stddev: number;
  readonly seed: number;
  private table!: tf.LayerVariable;

  constructor(args: PositionEmbeddingArgs) {
    super({ name: args.name });
    positiveInteger(args.maxLength, "maxLength");
    this.maxLength = args.maxLength;
    this.stddev = args.stddev ?? 1;
    this.seed = args.seed ?? 0;
  }

  build(inputShape: Shape | Shape[]): void {
    const shape = singleShape(inputShape);
    const [, positions, d] = shape;
    if (shape.length !== 3 || d === null) throw new Error(`PositionEmbedding "${this.name}" takes [batch, positions, features], got [${shape.map(String).join(", ")}]`);
    if (positions !== null && positions > this.maxLength) throw new Error(`PositionEmbedding "${this.name}": ${positions} positions exceed maxLength ${this.maxLength}`);
    const init = tf.initializers.randomNormal({ mean: 0, stddev: this.stddev, seed: layerSeed(this.seed, `${this.name}/table`) });
    this.table = this.addWeight("embeddings", [this.maxLength, d], "float32", init);
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor3D;
      const positions = x.shape[1];
      if (positions > this.maxLength) throw new Error(`PositionEmbedding "${this.name}": ${positions} positions exceed maxLength ${this.maxLength}`);
      return tf.add(x, tf.slice(this.table.read(), [0, 0], [positions, x.shape[2]]));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength, stddev: this.stddev, seed: this.seed };
  }
}
tf.serialization.registerClass(PositionEmbedding);
