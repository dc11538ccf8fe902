/**
 * Chapter 8's first measurement, live: the gradient norm of each block of a fresh pre-LN, post-LN and skip-free
 * Transformer on the sorting task (section 8.3), from one backward pass on the first training sequences.
 */
import { tf } from "../../../skiplib/backend";
import { layerGradientNorms, sequenceTask, tokenCrossEntropy, transformer, TRANSFORMER_VARIANTS } from "../../../skiplib/core";
import type { LayerGradientNorm, TransformerVariant } from "../../../skiplib/core";
import type { Experiment, LiveOutput } from "./types";

/** ‖∂L/∂W‖ over all weights of each block, block 1 (nearest the input) first: the notebook's perBlock. */
function perBlock(norms: LayerGradientNorm[], depth: number): number[] {
  return Array.from({ length: depth }, (_, i) => Math.hypot(...norms.filter((n) => n.layer.startsWith(`block${i + 1}_`)).map((n) => n.gradNorm)));
}

export const transformerGradients: Experiment = async (settings, ctx) => {
  const depth = settings.depth as number;
  const sequences = settings.sequences as number;
  const seed = settings.seed as number;
  const sortLength = 6;
  // the chapter's training set for this seed; the digits are drawn in order, so its first sequences are these
  const data = sequenceTask({ task: "sort", samples: sequences, length: sortLength, seed });
  const output: LiveOutput = { series: [], numbers: {} };
  try {
    for (const variant of Object.keys(TRANSFORMER_VARIANTS) as TransformerVariant[]) {
      if (ctx.stopped()) break;
      const model = transformer({ vocabSize: 11, maxLength: 2 * sortLength, dModel: 32, numHeads: 4, depth, ...TRANSFORMER_VARIANTS[variant], seed });
      try {
        const blocks = perBlock(layerGradientNorms(model, data.x, data.y, { loss: tokenCrossEntropy }), depth);
        output.series.push({ name: variant, x: blocks.map((_, i) => i + 1), y: blocks });
        output.numbers![`${variant} last/first block`] = blocks[blocks.length - 1] / blocks[0];
      } finally {
        model.dispose();
      }
      ctx.report(output);
      await ctx.pause();
    }
    return output;
  } finally {
    tf.dispose([data.x, data.y]);
  }
};
