/**
 * The identity-mapping construction of He et al. 2015 (§1, "Deep Residual Learning", the degradation argument):
 * take a trained shallow net and add layers that compute the identity; the deeper net has exactly the shallow
 * net's outputs, so a deeper solution at least as good exists. Plain solvers still fail to find it from random
 * init, which is the contrast this module's `init: "random"` builds, and residual blocks whose last norm starts at
 * zero (fastai's BatchZero) are the identity whatever their other weights are (`form: "residual"`).
 *
 * Where the extra layers go: on the output of the layer named `after`; by default on the input of the head (the
 * last layer with trainable weights), i.e. after the last hidden activation. Each extra layer is
 *   dense (identity matrix) or 3×3 conv (Dirac kernel, "same" padding) → BatchNorm (the library's ε and momentum; γ=1, β=0, mean 0,
 *   variance 1−ε, so inference-mode BN is exactly x) → ReLU,
 * chosen by the rank of the tensor there (rank 2: dense, rank 4: conv). ReLU is the identity only on
 * non-negative inputs, so the insertion point must carry non-negative activations (after a ReLU, or pooling of
 * one), else pass `activation: "linear"`; `identityDifference` measures the result and the tests hold it to 1e-5. BatchNorm is included when the
 * model has any (override with `batchNorm`); in training mode BN uses batch statistics and is not the identity.
 */
import { tf } from "./backend";
import { BN_EPSILON, BN_MOMENTUM } from "./blocks/conv";
import { graphNodes, type GraphTensor } from "./probes/graph";
import { initFor } from "./seed";

type Layer = tf.layers.Layer;
type Symbolic = tf.SymbolicTensor;

export interface IdentityExtendOptions {
  /** Name of the layer whose output gets the extra layers. Default: the input of the last layer with weights (the head). */
  after?: string;
  /** "identity" (default): the extra layers compute x exactly. "random": default seeded random init (the contrast). */
  init?: "identity" | "random";
  /** "plain" (default): extra linear/conv layers. "residual": extra residual blocks whose last norm (or last layer without BN) starts at zero. */
  form?: "plain" | "residual";
  /** Add BatchNorm after each extra dense/conv. Default: whether the model has BatchNorm layers. */
  batchNorm?: boolean;
  /** Keep the model's trained weights (default true); false re-initialises every layer, seeded: the "train the deep net from scratch" contrast. */
  copyWeights?: boolean;
  /** Seed for every random initialiser in the new model (the extra layers' init is derived from it and their names, as in every skiplib builder). Default 0. */
  seed?: number;
  /** Nonlinearity after each extra layer: "relu" (default; the identity on non-negative features) or "linear" for nets whose features there can be negative (e.g. tanh nets). */
  activation?: "relu" | "linear";
  /** Conv kernel size of the extra layers (odd). Default 3. */
  kernelSize?: number;
  name?: string;
}

function isBatchNorm(layer: Layer): boolean {
  return layer.getClassName() === "BatchNormalization";
}

/** Sets `seed` on every random initialiser in a layer config, so re-initialised clones are reproducible. */
function seedInitializers(config: Record<string, unknown>, nextSeed: () => number): void {
  for (const [key, value] of Object.entries(config)) {
    if (!key.endsWith("Initializer") || !value || typeof value !== "object") continue;
    const inner = (value as { config?: Record<string, unknown> }).config;
    if (inner && "seed" in inner) inner.seed = nextSeed();
  }
}

function cloneLayer(layer: Layer, reinitialize: boolean, nextSeed: () => number): Layer {
  if (layer instanceof tf.LayersModel) throw new Error(`identityExtend cannot clone nested model "${layer.name}"; build the model from plain layers`);
  const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
  if (reinitialize) seedInitializers(config, nextSeed);
  const Cls = layer.constructor as new (config: unknown) => Layer;
  return new Cls(config);
}

/** The tensor the extra layers are appended to: `after`'s output, or the head's input. */
function insertionPoint(model: tf.LayersModel, after?: string): GraphTensor {
  const nodes = graphNodes(model);
  if (after !== undefined) {
    const node = nodes.find((n) => n.outboundLayer.name === after);
    if (!node) throw new Error(`after must name a layer of model "${model.name}", got "${after}"; layers: ${nodes.map((n) => n.outboundLayer.name).join(", ")}`);
    if (node.outputTensors.length !== 1) throw new Error(`after must name a layer with one output, "${after}" has ${node.outputTensors.length}`);
    return node.outputTensors[0];
  }
  const head = [...nodes].reverse().find((n) => n.outboundLayer.trainableWeights.length > 0);
  if (!head) throw new Error(`model "${model.name}" has no layer with weights to insert before; pass after`);
  if (head.inputTensors.length !== 1) throw new Error(`the head "${head.outboundLayer.name}" has ${head.inputTensors.length} inputs; pass after`);
  return head.inputTensors[0];
}

interface ExtraLayerSpec {
  rank: number;
  width: number;
  kernelSize: number;
  batchNorm: boolean;
  identity: boolean;
  /** Model seed of the extra layers; each one's init seed is derived from it and the layer's name. */
  seed: number;
  /** Nonlinearity after the unit: picks He (ReLU) or Glorot init for the random contrast. */
  activation: "relu" | "linear";
}

/** Dirac kernel: k[c, c] at the spatial centre is 1, so a "same"-padded conv copies its input. */
export function diracKernel(kernelSize: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const centre = (kernelSize - 1) / 2;
    const spatial = tf.oneHot(centre * kernelSize + centre, kernelSize * kernelSize).reshape([kernelSize, kernelSize, 1, 1]);
    return tf.mul(spatial, tf.eye(channels).reshape([1, 1, channels, channels])) as tf.Tensor4D;
  });
}

/** dense / conv + optional BN, returned with the weight values that make them the identity (zeroOut: output 0 instead). */
function linearUnit(spec: ExtraLayerSpec, name: string, zeroOut: boolean): Array<{ layer: Layer; weights?: () => tf.Tensor[] }> {
  const { width, kernelSize, batchNorm } = spec;
  // The library's conventions: He init before a ReLU, Glorot otherwise, seeded from the layer's name.
  const kernelInitializer = initFor(spec.activation, spec.seed, name);
  const useBias = !batchNorm;
  const layer =
    spec.rank === 2
      ? tf.layers.dense({ units: width, useBias, name: `${name}_dense`, kernelInitializer })
      : tf.layers.conv2d({ filters: width, kernelSize, padding: "same", useBias, name: `${name}_conv`, kernelInitializer });
  const units: Array<{ layer: Layer; weights?: () => tf.Tensor[] }> = [];
  const identityKernel = () => (spec.rank === 2 ? tf.eye(width) : diracKernel(kernelSize, width));
  const kernelValues = () => {
    const kernel = zeroOut && !batchNorm ? tf.zeros(spec.rank === 2 ? [width, width] : [kernelSize, kernelSize, width, width]) : identityKernel();
    return useBias ? [kernel, tf.zeros([width])] : [kernel];
  };
  // For residual branches only the last unit's output is zeroed; its kernel stays random when BN does the zeroing.
  const setKernel = spec.identity || (zeroOut && !batchNorm);
  units.push({ layer, weights: setKernel ? kernelValues : undefined });
  if (batchNorm) {
    const bn = tf.layers.batchNormalization({ epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name: `${name}_bn` });
    // inference-mode BN: γ·(x − mean)/√(var + ε) + β = x with γ=1, β=0, mean 0, var = 1 − ε
    const bnValues = () => [zeroOut ? tf.zeros([width]) : tf.ones([width]), tf.zeros([width]), tf.zeros([width]), tf.fill([width], 1 - BN_EPSILON)];
    units.push({ layer: bn, weights: spec.identity || zeroOut ? bnValues : undefined });
  }
  return units;
}

/**
 * `model` with `extraLayers` identity layers appended after the last hidden activation (He et al. 2015, §1):
 * its outputs equal `model`'s (to float rounding) when `init` is "identity". See the module comment for the
 * exact placement, and `init`, `form`, `copyWeights` for the contrasts.
 */
export function identityExtend(model: tf.LayersModel, extraLayers: number, options: IdentityExtendOptions = {}): tf.LayersModel {
  if (!Number.isInteger(extraLayers) || extraLayers < 0) throw new Error(`extraLayers must be a non-negative integer, got ${extraLayers}`);
  const kernelSize = options.kernelSize ?? 3;
  if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) throw new Error(`kernelSize must be a positive odd integer, got ${kernelSize}`);
  const init = options.init ?? "identity";
  if (init !== "identity" && init !== "random") throw new Error(`init must be "identity" or "random", got "${String(init)}"`);
  const form = options.form ?? "plain";
  if (form !== "plain" && form !== "residual") throw new Error(`form must be "plain" or "residual", got "${String(form)}"`);
  const activation = options.activation ?? "relu";
  if (activation !== "relu" && activation !== "linear") throw new Error(`activation must be "relu" or "linear", got "${String(activation)}"`);
  const nonlinearity = (name: string, t: Symbolic) => (activation === "relu" ? (tf.layers.reLU({ name }).apply(t) as Symbolic) : t);
  const copyWeights = options.copyWeights ?? true;
  let seed = options.seed ?? 0;
  const nextSeed = () => seed++;
  const point = insertionPoint(model, options.after);
  const rank = point.shape.length;
  if (rank !== 2 && rank !== 4) throw new Error(`identity layers need a [batch, features] or [batch, h, w, channels] tensor after the insertion point, got shape [${point.shape}]`);
  const width = point.shape[rank - 1];
  if (width === null) throw new Error("the insertion point must have a known feature/channel count");
  const spec: ExtraLayerSpec = {
    rank, width, kernelSize, seed: options.seed ?? 0, activation,
    batchNorm: options.batchNorm ?? model.layers.some(isBatchNorm),
    identity: init === "identity",
  };

  if ((model.inputs as unknown as GraphTensor[]).some((t) => t.id === point.id)) {
    throw new Error("identity layers cannot be inserted on the model input; pass after");
  }
  // Number the extra layers after any that an earlier extension added, so names stay unique.
  const offset = new Set(model.layers.map((l) => /^extra(\d+)_/.exec(l.name)?.[1]).filter(Boolean)).size;

  const clones = new Map<Layer, Layer>();
  const pending: Array<{ layer: Layer; weights: () => tf.Tensor[] }> = [];
  const values = new Map<number, Symbolic>();
  const inputs = (model.inputs as unknown as GraphTensor[]).map((t, i) => {
    const input = tf.input({ batchShape: t.shape, name: model.inputLayers[i].name });
    values.set(t.id, input);
    return input;
  });

  const appendExtra = (x: Symbolic): Symbolic => {
    let h = x;
    for (let k = 1; k <= extraLayers; k++) {
      const name = `extra${offset + k}`;
      const apply = (units: Array<{ layer: Layer; weights?: () => tf.Tensor[] }>, t: Symbolic) =>
        units.reduce((acc, u) => {
          const out = u.layer.apply(acc) as Symbolic;
          if (u.weights) pending.push({ layer: u.layer, weights: u.weights });
          return out;
        }, t);
      if (form === "plain") {
        h = nonlinearity(`${name}_relu`, apply(linearUnit(spec, name, false), h));
      } else {
        // x + F(x) with F's last unit zeroed (BatchZero): the block is the identity whatever F's first layer holds.
        const first = { ...spec, identity: false };
        let f = apply(linearUnit(first, `${name}_a`, false), h);
        f = nonlinearity(`${name}_a_relu`, f);
        f = apply(linearUnit(first, `${name}_b`, spec.identity), f);
        h = nonlinearity(`${name}_relu`, tf.layers.add({ name: `${name}_add` }).apply([h, f]) as Symbolic);
      }
    }
    return h;
  };

  for (const node of graphNodes(model)) {
    const layer = node.outboundLayer;
    let clone = clones.get(layer);
    if (!clone) {
      clone = cloneLayer(layer, !copyWeights, nextSeed);
      clones.set(layer, clone);
    }
    const args = node.inputTensors.map((t) => values.get(t.id)!);
    const out = clone.apply(args.length === 1 ? args[0] : args, node.callArgs) as Symbolic | Symbolic[];
    (Array.isArray(out) ? out : [out]).forEach((o, i) => {
      const symbolic = node.outputTensors[i];
      values.set(symbolic.id, symbolic.id === point.id ? appendExtra(o) : o);
    });
  }
  const outputs = (model.outputs as unknown as GraphTensor[]).map((t) => values.get(t.id)!);
  const extended = tf.model({ inputs, outputs, name: options.name ?? `${model.name}_plus${extraLayers}` });
  if (copyWeights) for (const [original, clone] of clones) clone.setWeights(original.getWeights());
  for (const { layer, weights } of pending) {
    const values = weights();
    layer.setWeights(values);
    tf.dispose(values);
  }
  return extended;
}

/** max |f_deep(x) − f_shallow(x)| over the batch, in inference mode: 0 up to float rounding for an identity extension. */
export function identityDifference(shallow: tf.LayersModel, deep: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): number {
  return tf.tidy(() => {
    const a = shallow.predict(x) as tf.Tensor;
    const b = deep.predict(x) as tf.Tensor;
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  });
}
