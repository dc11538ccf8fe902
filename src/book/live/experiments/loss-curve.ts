/**
 * Chapter 6's 1-D slice, live, on nets small enough for a browser: a plain and a residual ReLU MLP trained on two
 * spirals, then the loss along a filter-normalised random direction (Li et al. 2018) through each net's weights.
 */
import { tf } from "../../../skiplib/backend";
import { filterNormalizedDirection, lossSurface1D, plainMLP, residualMLP, twoSpirals } from "../../../skiplib/core";
import { epochTrainer, trainEpochs } from "./training";
import type { Experiment, LiveOutput } from "./types";

export const lossCurve: Experiment = async (settings, ctx) => {
  const depth = settings.depth as number;
  const epochs = settings.epochs as number;
  const seed = settings.seed as number;
  const resolution = settings.resolution as number;
  const directionSeed = settings.directionSeed as number;
  const config = { inputDim: 2, depth, width: 16, activation: "relu" as const, outputDim: 1, seed };
  const data = twoSpirals({ samples: 256 });
  const output: LiveOutput = { series: [], numbers: {} };
  try {
    for (const [kind, build] of [["plain", plainMLP], ["residual", residualMLP]] as const) {
      if (ctx.stopped()) break;
      const model = build(config);
      const trainer = epochTrainer(model, data.x, data.y, 0.01, 64);
      try {
        const losses = await trainEpochs(trainer, epochs, ctx, (l) => {
          output.note = `training the ${kind} net: epoch ${l.length} of ${epochs}, loss ${l[l.length - 1].toFixed(4)}`;
          ctx.report(output);
        });
        if (ctx.stopped()) break;
        output.note = `slicing the ${kind} net's loss`;
        ctx.report(output);
        const direction = filterNormalizedDirection(model, { seed: directionSeed });
        try {
          // an odd resolution puts α = 0, the trained weights, on the curve
          const curve = await lossSurface1D(model, data.x, data.y, { direction, resolution: resolution % 2 ? resolution : resolution + 1, range: [-1, 1], loss: "binaryCrossentropy" });
          output.series.push({ name: `${kind}, ${depth} layers`, x: curve.alphas, y: curve.losses });
          output.numbers![`${kind} trained loss`] = losses.at(-1) ?? Number.NaN;
          output.numbers![`${kind} loss at α = 0`] = curve.losses[(curve.losses.length - 1) / 2];
        } finally {
          tf.dispose(direction);
        }
      } finally {
        trainer.dispose();
        model.dispose();
      }
      output.note = undefined;
      ctx.report(output);
      await ctx.pause();
    }
    return output;
  } finally {
    tf.dispose([data.x, data.y]);
  }
};
