/**
 * Chapter 0's experiment, live: a plain and a residual ReLU MLP trained side by side on two spirals, one epoch of
 * each in turn, so both loss curves grow as they train. Nets, data and training settings are the chapter's.
 */
import { tf } from "../../../skiplib/backend";
import { plainMLP, residualMLP, twoSpirals } from "../../../skiplib/core";
import { epochTrainer } from "./training";
import type { Experiment, LiveOutput } from "./types";

export const twoSpiralsTraining: Experiment = async (settings, ctx) => {
  const depth = settings.depth as number;
  const epochs = settings.epochs as number;
  const seed = settings.seed as number;
  const config = { inputDim: 2, depth, width: 16, activation: "relu" as const, outputDim: 1, seed };
  const data = twoSpirals({ samples: 512 });
  const nets = [
    { name: `plain, ${depth} layers`, model: plainMLP(config) },
    { name: `residual, ${depth} layers`, model: residualMLP(config) },
  ];
  const trainers = nets.map(({ model }) => epochTrainer(model, data.x, data.y, 0.01, 64));
  const output: LiveOutput = { series: nets.map(({ name }) => ({ name, x: [], y: [] })) };
  try {
    for (let e = 1; e <= epochs && !ctx.stopped(); e++) {
      for (const [i, trainer] of trainers.entries()) {
        const loss = await trainer.epoch();
        output.series[i].x.push(e);
        output.series[i].y.push(loss);
      }
      output.note = `epoch ${e} of ${epochs}`;
      ctx.report(output);
      await ctx.pause();
    }
    output.numbers = Object.fromEntries(output.series.map((s) => [`${s.name.split(",")[0]} final loss`, s.y.at(-1) ?? Number.NaN]));
    return output;
  } finally {
    trainers.forEach((t) => t.dispose());
    nets.forEach(({ model }) => model.dispose());
    tf.dispose([data.x, data.y]);
  }
};
