/** Epoch-by-epoch training of skiplib's nets with the settings of skiplib's `fit`, so a run can be drawn and stopped. */
import { tf } from "../../../skiplib/backend";
import type { RunContext } from "./types";

export interface EpochTrainer {
  /** One more epoch; returns its training loss (the mean over its batches, as tfjs's fit reports it). */
  epoch(): Promise<number>;
  dispose(): void;
}

/**
 * Adam at `learningRate`, batches of `batchSize` in the same order every epoch, binary cross-entropy: what
 * `fit(model, data, { batchSize, learningRate, loss: "binaryCrossentropy" })` does in chapter 0, one epoch per call.
 */
export function epochTrainer(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, learningRate: number, batchSize: number): EpochTrainer {
  const optimizer = tf.train.adam(learningRate);
  model.compile({ optimizer, loss: "binaryCrossentropy" });
  return {
    async epoch() {
      // yieldEvery "never": the caller pauses between epochs (a worker may have no animation frames to wait for)
      const history = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, yieldEvery: "never" });
      return history.history.loss[0] as number;
    },
    dispose() {
      optimizer.dispose();
    },
  };
}

/** Trains for `epochs`, calling `onEpoch` after each, until done or stopped; returns the losses. */
export async function trainEpochs(trainer: EpochTrainer, epochs: number, ctx: RunContext, onEpoch: (losses: number[]) => void): Promise<number[]> {
  const losses: number[] = [];
  for (let e = 0; e < epochs && !ctx.stopped(); e++) {
    losses.push(await trainer.epoch());
    onEpoch(losses);
    await ctx.pause();
  }
  return losses;
}
