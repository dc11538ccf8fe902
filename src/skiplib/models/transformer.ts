/**
 * A small decoder-style Transformer for token tasks: token + learned position embeddings, `depth` blocks
 * (pre-LN, post-LN or without skips), a final LayerNorm and an unembedding to logits over the vocabulary.
 * The residual stream is named: `stream0` is the embedding, `stream{i}` the stream after block i (identity layers,
 * free at run time), so probes such as the logit lens can read it (Elhage et al. 2021's residual-stream view).
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform, layerSeed } from "../seed";
import { positiveInteger } from "../blocks/conv";
import { checkNormPosition, layerNorm, PositionEmbedding, transformerBlock, type NormPosition } from "../blocks/transformer";

type Symbolic = tf.SymbolicTensor;

export interface TransformerOptions {
  vocabSize: number;
  /** Sequence length the model takes (positions 0 … maxLength − 1). */
  maxLength: number;
  /** Width of the residual stream d. */
  dModel: number;
  numHeads: number;
  /** Transformer blocks, ≥ 1. */
  depth: number;
  /** MLP hidden width (default 4·dModel, as Vaswani et al.). */
  mlpDim?: number;
  /** LayerNorm position: "pre" (x + F(LN(x))) or "post" (LN(x + F(x))). Default "pre". */
  norm?: NormPosition;
  /** Skips around attention and the MLP (default true); false is the control with the same layers and no additions. */
  residual?: boolean;
  /** Causal self-attention (default true: position t sees positions ≤ t). */
  causal?: boolean;
  seed?: number;
  name?: string;
}

/** The three arms the chapter compares: they differ only in where LayerNorm sits and whether the skips are there. */
export const TRANSFORMER_VARIANTS = {
  "pre-LN": { norm: "pre", residual: true },
  "post-LN": { norm: "post", residual: true },
  "no residual": { norm: "pre", residual: false },
} as const satisfies Record<string, { norm: NormPosition; residual: boolean }>;
export type TransformerVariant = keyof typeof TRANSFORMER_VARIANTS;

const identity = (name: string) => tf.layers.activation({ activation: "linear", name });

/** A seeded Transformer: int32 tokens [batch, maxLength] → logits [batch, maxLength, vocabSize]. */
export function transformer(o: TransformerOptions): tf.LayersModel {
  positiveInteger(o.vocabSize, "vocabSize");
  positiveInteger(o.maxLength, "maxLength");
  positiveInteger(o.dModel, "dModel");
  positiveInteger(o.numHeads, "numHeads");
  positiveInteger(o.depth, "depth", "an integer ≥ 1 (Transformer blocks)");
  if (o.dModel % o.numHeads !== 0) throw new Error(`dModel (${o.dModel}) must be a multiple of numHeads (${o.numHeads})`);
  const norm = checkNormPosition(o.norm ?? "pre");
  const seed = o.seed ?? DEFAULT_SEED;
  const tokens = tf.input({ shape: [o.maxLength], dtype: "int32", name: "tokens" });
  // N(0, 1) entries, as nn.Embedding: the scale of Vaswani et al.'s embeddings, which they multiply by √d (§3.4)
  const embeddingsInitializer = tf.initializers.randomNormal({ mean: 0, stddev: 1, seed: layerSeed(seed, "token_embedding") });
  let stream = tf.layers.embedding({ inputDim: o.vocabSize, outputDim: o.dModel, embeddingsInitializer, name: "token_embedding" }).apply(tokens) as Symbolic;
  stream = new PositionEmbedding({ maxLength: o.maxLength, seed, name: "position_embedding" }).apply(stream) as Symbolic;
  stream = identity("stream0").apply(stream) as Symbolic;
  for (let i = 1; i <= o.depth; i++) {
    const block = transformerBlock(stream, {
      name: `block${i}`, numHeads: o.numHeads, mlpDim: o.mlpDim ?? 4 * o.dModel, norm, residual: o.residual, causal: o.causal ?? true, seed,
    });
    stream = identity(`stream${i}`).apply(block) as Symbolic;
  }
  const normed = layerNorm("final_norm").apply(stream) as Symbolic;
  const logits = tf.layers.dense({ units: o.vocabSize, kernelInitializer: glorotUniform(seed, "unembed"), name: "unembed" }).apply(normed) as Symbolic;
  const kind = o.residual === false ? "plain" : `${norm}ln`;
  return tf.model({ inputs: tokens, outputs: logits, name: o.name ?? `transformer_${kind}_${o.depth}` });
}

/** Names of the residual-stream layers, stream0 (embeddings) … stream{depth}, in order. */
export function residualStreamNames(model: tf.LayersModel): string[] {
  const names = model.layers.map((l) => l.name).filter((n) => /^stream\d+$/.test(n));
  if (names.length === 0) throw new Error(`model "${model.name}" has no stream0 … streamN layers; build it with transformer()`);
  return names.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
}

/** The number of Transformer blocks in a model built by transformer(). */
export function transformerDepth(model: tf.LayersModel): number {
  return residualStreamNames(model).length - 1;
}
