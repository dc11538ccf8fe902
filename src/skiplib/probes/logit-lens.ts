/**
 * The logit lens (nostalgebraist 2020; the residual-stream view of Elhage et al. 2021): every block of a residual
 * Transformer reads the stream and adds to it, so the stream after any block is already in the space the
 * unembedding reads. Decoding each intermediate stream with the model's own final LayerNorm and unembedding shows
 * how the prediction forms, layer by layer. For a model without skips the "stream" is just each block's output,
 * and nothing says it should be readable by the last layers' decoder.
 */
import { tf } from "../backend";
import { residualStreamNames } from "../models/transformer";
import { tokenAccuracy, tokenCrossEntropy } from "../train/token-loss";
import { runGraph } from "./graph";

export interface LogitLensRow {
  /** The stream layer read: stream0 (embeddings) … stream{depth} (the last block's output). */
  layer: string;
  /** Blocks applied before this stream: 0 … depth. */
  depth: number;
  /** Token accuracy on the scored positions (targets ≥ 0) when this stream is decoded. */
  accuracy: number;
  /** Cross-entropy of the decoded stream on the scored positions. */
  loss: number;
}

export interface LogitLensOptions {
  /** Layer names of the final norm and the unembedding (defaults: the `transformer()` builder's). */
  finalNorm?: string;
  unembed?: string;
}

/** Decodes every residual stream of a `transformer()` model on tokens x with its final norm and unembedding; scores against y. */
export function logitLens(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: LogitLensOptions = {}): LogitLensRow[] {
  if (x.shape[0] !== y.shape[0]) throw new Error(`x and y must hold the same number of sequences, got ${x.shape[0]} and ${y.shape[0]}`);
  const streams = residualStreamNames(model);
  const norm = model.getLayer(options.finalNorm ?? "final_norm");
  const unembed = model.getLayer(options.unembed ?? "unembed");
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>();
    runGraph(model, x, {
      tap: (symbolic, value) => {
        if (streams.includes(symbolic.sourceLayer.name)) values.set(symbolic.sourceLayer.name, value);
        return value;
      },
    });
    return streams.map((layer, depth) => {
      const logits = unembed.apply(norm.apply(values.get(layer)!)) as tf.Tensor;
      return { layer, depth, accuracy: tokenAccuracy(y, logits), loss: tokenCrossEntropy(y, logits).dataSync()[0] };
    });
  });
}
