/**
 * The highway layer (Srivastava, Greff & Schmidhuber 2015, "Highway Networks", eq. 3):
 * y = T(x)·H(x) + (1 − T(x))·x, with T = σ(W_T x + b_T). A negative gate bias makes T ≈ 0 at the start,
 * so each layer begins close to carrying its input through: the gated ancestor of the identity shortcut.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform, initFor } from "../seed";
import { channels, positiveInteger, type BlockContext } from "./conv";
import { HighwayCombine } from "./layers";

type Symbolic = tf.SymbolicTensor;

export type MlpActivation = "sigmoid" | "tanh" | "relu";
export const MLP_ACTIVATIONS: readonly MlpActivation[] = ["sigmoid", "tanh", "relu"];

export interface HighwayBlockOptions extends BlockContext {
  /** Activation of H. Default "relu". */
  activation?: MlpActivation;
  /**
   * b_T, the transform gate's initial bias, in [-10, 0]. Default −2: T = σ(−2) ≈ 0.12, so 88% of x is carried.
   * The paper uses −1 to −3, more negative for deeper nets; 0 starts the gate half open.
   */
  gateBias?: number;
}

export function checkActivation(activation: string): MlpActivation {
  if (!(MLP_ACTIVATIONS as readonly string[]).includes(activation)) throw new Error(`activation must be one of ${MLP_ACTIVATIONS.join(", ")}, got "${activation}"`);
  return activation as MlpActivation;
}

export function checkGateBias(bias: number): number {
  if (!(Number.isFinite(bias) && bias >= -10 && bias <= 0)) throw new Error(`gateBias must be in [-10, 0] (negative: the gate starts mostly closed, carrying x), got ${bias}`);
  return bias;
}

/** A fully connected highway layer (Srivastava et al. 2015 eq. 3); output width = input width. */
export function highwayBlock(x: Symbolic, o: HighwayBlockOptions): Symbolic {
  const activation = checkActivation(o.activation ?? "relu");
  const gateBias = checkGateBias(o.gateBias ?? -2);
  const seed = o.seed ?? DEFAULT_SEED;
  const units = positiveInteger(channels(x), "input width");
  const h = tf.layers.dense({ units, activation, kernelInitializer: initFor(activation, seed, `${o.name}_transform`), name: `${o.name}_transform` }).apply(x) as Symbolic;
  const t = tf.layers
    .dense({
      units,
      activation: "sigmoid",
      kernelInitializer: glorotUniform(seed, `${o.name}_gate`),
      biasInitializer: tf.initializers.constant({ value: gateBias }),
      name: `${o.name}_gate`,
    })
    .apply(x) as Symbolic;
  return new HighwayCombine({ name: `${o.name}_combine` }).apply([t, h, x]) as Symbolic;
}
