/**
 * Claims over seeds: a comparison is run once per seed and reported as mean and range; an assertion holds in every
 * seed (paired by seed) or as a difference of means larger than the spread. One run is an anecdote.
 */

/** Mean, range and standard deviation of one measurement over seeds. */
export interface SeedSummary {
  values: number[];
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
}

function checkValues(values: number[], what = "values"): void {
  if (!Array.isArray(values) || values.length === 0) throw new Error(`${what} must be a non-empty array of numbers, one per seed`);
  const bad = values.findIndex((v) => typeof v !== "number" || Number.isNaN(v));
  if (bad >= 0) throw new Error(`${what}[${bad}] is ${values[bad]}, not a number`);
}

/** Mean, min, max and sample standard deviation of a measurement taken once per seed. */
export function summarize(values: number[]): SeedSummary {
  checkValues(values);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { values: [...values], mean, min: Math.min(...values), max: Math.max(...values), std: Math.sqrt(variance) };
}

/**
 * "0.412 (0.398–0.430)": the mean and, in brackets, the range over seeds. `format` renders each number; with
 * `geometric`, the mean is the geometric one (for values spread over orders of magnitude, all positive).
 */
export function meanRange(values: number[] | SeedSummary, format: (v: number) => string = (v) => v.toFixed(3), options: { geometric?: boolean } = {}): string {
  const s = Array.isArray(values) ? summarize(values) : values;
  let mean = s.mean;
  if (options.geometric) {
    if (!s.values.every((v) => v > 0)) throw new Error(`a geometric mean needs positive values, got ${JSON.stringify(s.values)}`);
    mean = Math.exp(s.values.reduce((a, v) => a + Math.log(v), 0) / s.values.length);
  }
  return s.values.length === 1 ? format(mean) : `${format(mean)} (${format(s.min)}–${format(s.max)})`;
}

/** True when a[i] < b[i] for every seed i (the two arms run on the same seeds, in the same order). */
export function lowerInEverySeed(a: number[], b: number[]): boolean {
  checkPaired(a, b);
  return a.every((v, i) => v < b[i]);
}

/** The number of seeds in which a[i] < b[i]. */
export function seedsWhereLower(a: number[], b: number[]): number {
  checkPaired(a, b);
  return a.filter((v, i) => v < b[i]).length;
}

/**
 * mean(b) − mean(a) minus the sum of the two half-ranges over seeds: positive when the gap between the means is
 * larger than the seeds' spread around them ("the difference of means exceeds the spread").
 */
export function gapOverSpread(a: number[], b: number[]): number {
  const [sa, sb] = [summarize(a), summarize(b)];
  return sb.mean - sa.mean - ((sa.max - sa.min) / 2 + (sb.max - sb.min) / 2);
}

/** Every value of a is below every value of b: the two seed clouds do not overlap. */
export function separated(a: number[], b: number[]): boolean {
  checkValues(a, "a");
  checkValues(b, "b");
  return Math.max(...a) < Math.min(...b);
}

function checkPaired(a: number[], b: number[]): void {
  checkValues(a, "a");
  checkValues(b, "b");
  if (a.length !== b.length) throw new Error(`a and b must hold one value per seed each, got ${a.length} and ${b.length}`);
}

/** Checks a `seeds` parameter: a non-empty list of distinct integers. */
export function checkSeeds(seeds: unknown, minimum = 1): number[] {
  if (!Array.isArray(seeds) || seeds.length < minimum || !seeds.every((s) => Number.isInteger(s))) {
    throw new Error(`seeds must be a list of at least ${minimum} integers, e.g. [1, 2, 3], got ${JSON.stringify(seeds)}`);
  }
  if (new Set(seeds).size !== seeds.length) throw new Error(`seeds must be distinct, got ${JSON.stringify(seeds)}`);
  return seeds as number[];
}
