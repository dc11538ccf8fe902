/**
 * Fully connected nets for the vanishing-gradient chapter: the same stack of dense layers with no skip
 * (plain), an identity skip around each hidden layer (residual, He et al. 2015), or a gated one (highway,
 * Srivastava et al. 2015). Depth 5 → 50 with sigmoid vs ReLU is where the difference shows.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, glorotUniform, initFor } from "../seed";
import { positiveInteger } from "../blocks/conv";
import { checkActivation, highwayBlock, type MlpActivation } from "../blocks/highway";
import { skipMerge } from "../blocks/merge";

type Symbolic = tf.SymbolicTensor;

export interface MlpOptions {
  inputDim: number;
  /** Hidden layers, ≥ 1. The first projects inputDim → width; each later one is where a skip can go. */
  depth: number;
  width: number;
  /** Hidden activation. Default "relu". */
  activation?: MlpActivation;
  outputDim: number;
  /** Output activation. Default "softmax" when outputDim > 1, "sigmoid" when outputDim = 1 (classification). */
  outputActivation?: "linear" | "softmax" | "sigmoid";
  seed?: number;
  name?: string;
}

export interface ResidualMlpOptions extends MlpOptions {
  /**
   * α in h ← h + α·act(W h + b). Default 1/√depth. With α = 1 (the textbook x + F(x)) the residual stream's
   * scale grows with every layer (×√2 per ReLU layer at He init; +0.5 per sigmoid layer), the softmax saturates
   * and a depth-50 net has zero gradients; Hanin & Rolnick 2018 show the scale stays bounded when Σα² does.
   */
  branchScale?: number;
}

export interface HighwayMlpOptions extends MlpOptions {
  /** The gate's initial bias b_T in [-10, 0]. Default −2. */
  gateBias?: number;
}

type HiddenLayer = (h: Symbolic, index: number) => Symbolic;

function checkMlp(o: MlpOptions): Required<Pick<MlpOptions, "activation" | "outputActivation" | "seed">> {
  positiveInteger(o.inputDim, "inputDim");
  positiveInteger(o.depth, "depth", "an integer ≥ 1 (hidden layers)");
  positiveInteger(o.width, "width");
  positiveInteger(o.outputDim, "outputDim");
  const outputActivation = o.outputActivation ?? (o.outputDim > 1 ? "softmax" : "sigmoid");
  if (!["linear", "softmax", "sigmoid"].includes(outputActivation)) throw new Error(`outputActivation must be linear, softmax or sigmoid, got "${outputActivation}"`);
  return { activation: checkActivation(o.activation ?? "relu"), outputActivation, seed: o.seed ?? DEFAULT_SEED };
}

/** input → hidden1 (projection to width) → hidden layers 2..depth built by `layer` → output. */
function mlp(o: MlpOptions, defaultName: string, layer: HiddenLayer): tf.LayersModel {
  const { activation, outputActivation, seed } = checkMlp(o);
  const input = tf.input({ shape: [o.inputDim], name: "input" });
  let h = dense(input, o.width, activation, "hidden1", seed);
  for (let i = 2; i <= o.depth; i++) h = layer(h, i);
  const out = tf.layers.dense({ units: o.outputDim, activation: outputActivation, kernelInitializer: glorotUniform(seed, "output"), name: "output" }).apply(h) as Symbolic;
  return tf.model({ inputs: input, outputs: out, name: o.name ?? defaultName });
}

function dense(x: Symbolic, units: number, activation: string, name: string, seed: number): Symbolic {
  return tf.layers.dense({ units, activation: activation as "relu", kernelInitializer: initFor(activation, seed, name), name }).apply(x) as Symbolic;
}

/** Hidden layers 2..depth: act(W h + b), scaled by α and merged with h by `mode` (plain and residual differ only here). */
function skipMlp(o: MlpOptions, mode: "add" | "none", scale: number, defaultName: string): tf.LayersModel {
  const { activation, seed } = checkMlp(o);
  return mlp(o, defaultName, (h, i) => {
    let f = dense(h, o.width, activation, `hidden${i}`, seed);
    if (mode === "add" && scale !== 1) f = tf.layers.rescaling({ scale, offset: 0, name: `hidden${i}_scale` }).apply(f) as Symbolic;
    return skipMerge(mode, `hidden${i}_add`)(h, f);
  });
}

/** A plain fully connected net: `depth` dense hidden layers, no skips. */
export function plainMLP(o: MlpOptions): tf.LayersModel {
  return skipMlp(o, "none", 1, "plain_mlp");
}

/** A residual MLP: h ← h + α·act(W h + b) around each hidden layer after the first (He et al. 2015's identity skip). */
export function residualMLP(o: ResidualMlpOptions): tf.LayersModel {
  const scale = o.branchScale ?? 1 / Math.sqrt(o.depth);
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`branchScale must be a positive number (α in h + α·F(h)), got ${o.branchScale}`);
  return skipMlp(o, "add", scale, "residual_mlp");
}

/** A highway MLP (Srivastava et al. 2015): h ← T·act(W h + b) + (1 − T)·h after the first hidden layer. */
export function highwayMLP(o: HighwayMlpOptions): tf.LayersModel {
  const { activation, seed } = checkMlp(o);
  return mlp(o, "highway_mlp", (h, i) => highwayBlock(h, { name: `hidden${i}`, activation, gateBias: o.gateBias, seed }));
}
