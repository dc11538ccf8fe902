/**
 * Token tasks for a small autoregressive Transformer. Each sample is the sequence x₁ … xₙ SEP y₁ … yₙ over the
 * digits 0 … digits−1 and a separator token (= digits); the model reads it shifted by one and predicts every next
 * token, and only the answer y₁ … yₙ is scored. Sorting (y = x in ascending order) needs each answer position to
 * compare the previous answer with every input token and count repeats, so it asks for more than one attention
 * step; reversal (y = x backwards) is a single position-to-position copy.
 */
import { tf } from "../backend";
import { parkMiller } from "./random";
import { checkSamples, type Dataset } from "./types";

export type SequenceTaskName = "sort" | "reverse";
export const SEQUENCE_TASKS: readonly SequenceTaskName[] = ["sort", "reverse"];

export interface SequenceTaskOptions {
  /** "sort" (default) or "reverse". */
  task?: SequenceTaskName;
  /** Sequences in the set (default 2048). */
  samples?: number;
  /** Tokens to sort or reverse, n (default 6). */
  length?: number;
  /** Distinct digit tokens (default 10); the separator is the token `digits`. */
  digits?: number;
  /** Seeds the digits (default 0); the same seed gives the same set. */
  seed?: number;
}

/** Token ids and targets: x [samples, 2n] int32 (the sequence without its last token), y the next tokens, −1 where unscored. */
export interface SequenceTask extends Dataset<tf.Tensor2D, tf.Tensor2D> {
  /** Vocabulary size: the digits and the separator. */
  vocabSize: number;
  /** Positions the model reads, 2n. */
  positions: number;
  /** Position index of the first scored prediction (the separator, which predicts y₁): n. */
  answerStart: number;
}

const answers: Record<SequenceTaskName, (x: number[]) => number[]> = {
  sort: (x) => [...x].sort((a, b) => a - b),
  reverse: (x) => [...x].reverse(),
};

/** A seeded set of sorting or reversal sequences, ready for next-token training (targets −1 on the unscored prompt). */
export function sequenceTask(options: SequenceTaskOptions = {}): SequenceTask {
  const { task = "sort", samples = 2048, length = 6, digits = 10, seed = 0 } = options;
  if (!SEQUENCE_TASKS.includes(task)) throw new Error(`task must be one of ${SEQUENCE_TASKS.join(", ")}, got "${task}"`);
  checkSamples(samples);
  if (!Number.isInteger(length) || length < 2) throw new Error(`length must be an integer ≥ 2 (tokens per sequence), got ${length}`);
  if (!Number.isInteger(digits) || digits < 2) throw new Error(`digits must be an integer ≥ 2 (distinct tokens), got ${digits}`);
  const random = parkMiller(seed);
  const separator = digits;
  const positions = 2 * length;
  const x = new Int32Array(samples * positions);
  const y = new Int32Array(samples * positions).fill(-1);
  for (let s = 0; s < samples; s++) {
    const input = Array.from({ length }, () => Math.min(digits - 1, Math.floor(random() * digits)));
    const sequence = [...input, separator, ...answers[task](input)];
    for (let t = 0; t < positions; t++) {
      x[s * positions + t] = sequence[t];
      if (t >= length) y[s * positions + t] = sequence[t + 1];
    }
  }
  return {
    x: tf.tensor2d(x, [samples, positions], "int32"),
    y: tf.tensor2d(y, [samples, positions], "int32"),
    vocabSize: digits + 1,
    positions,
    answerStart: length,
  };
}

/**
 * The best a model can do from the current token and its position alone, without attending to the rest of the
 * sequence: for each (position, token) the most frequent next token in `train`, scored on `test`'s scored positions.
 * A Transformer's attention has to beat this to show it is using the sequence.
 */
export function positionTokenBaseline(train: SequenceTask, test: SequenceTask): number {
  if (train.positions !== test.positions) throw new Error(`train and test must have the same length, got ${train.positions} and ${test.positions} positions`);
  const counts = new Map<string, Map<number, number>>();
  const [tx, ty] = [train.x.arraySync(), train.y.arraySync()];
  tx.forEach((row, s) => row.forEach((token, t) => {
    if (ty[s][t] < 0) return;
    const key = `${t}:${token}`;
    const next = counts.get(key) ?? new Map<number, number>();
    next.set(ty[s][t], (next.get(ty[s][t]) ?? 0) + 1);
    counts.set(key, next);
  }));
  const guess = (key: string) => {
    const next = counts.get(key);
    if (!next) return -1;
    return [...next.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  };
  let [hits, scored] = [0, 0];
  const [vx, vy] = [test.x.arraySync(), test.y.arraySync()];
  vx.forEach((row, s) => row.forEach((token, t) => {
    if (vy[s][t] < 0) return;
    scored++;
    if (guess(`${t}:${token}`) === vy[s][t]) hits++;
  }));
  return hits / scored;
}
