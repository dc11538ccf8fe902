/** Park–Miller minimal standard generator (Lehmer 16807): a seeded stream in (0, 1), the same on every platform. */
export function parkMiller(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  let state = (seed * 7919 + 1) % 2147483647;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}
