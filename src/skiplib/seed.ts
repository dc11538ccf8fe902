/**
 * Seeded initialisers, so two builds of a model with the same `seed` have bit-identical weights.
 * Each layer's seed is derived from the model seed and the layer's name (not from a running counter),
 * so adding a layer somewhere does not change the initial weights of every layer after it.
 */
import { tf } from "./backend";

/** The seed every builder uses when none is given. */
export const DEFAULT_SEED = 42;

export type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/** A 31-bit seed for `name` under `seed` (FNV-1a over "seed:name"). */
export function layerSeed(seed: number, name: string): number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  let hash = 0x811c9dc5;
  for (const ch of `${seed}:${name}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

/** He et al. 2015 ("Delving deep into rectifiers") normal init, seeded per layer: the default for ReLU convs. */
export function heNormal(seed: number, name: string): Initializer {
  return tf.initializers.heNormal({ seed: layerSeed(seed, name) });
}

/** Glorot & Bengio 2010 uniform init, seeded per layer: the default for sigmoid/tanh layers and classifiers. */
export function glorotUniform(seed: number, name: string): Initializer {
  return tf.initializers.glorotUniform({ seed: layerSeed(seed, name) });
}

/** The init suited to an activation: He for ReLU-like, Glorot for saturating ones. */
export function initFor(activation: string, seed: number, name: string): Initializer {
  return activation === "relu" || activation === "elu" || activation === "selu" ? heNormal(seed, name) : glorotUniform(seed, name);
}
