/**
 * Residual nets as ensembles of paths (Veit et al. 2016, "Residual Networks Behave Like Ensembles of Relatively
 * Shallow Networks"). Unrolled, n residual blocks give 2^n paths, C(n, k) of them through exactly k residual
 * branches. Two measurements from the paper:
 *  - `pathLengthDistribution` (§4.2, Fig. 6): for each length k, sample k blocks whose gradient flows only through
 *    the branch (the other n − k only through the skip), measure ‖∂L/∂x‖ at the first block's input, and weight the
 *    mean by C(n, k): most of the gradient comes from short paths (10–34 layers of ResNet-110's 110).
 *  - `blockDeletion` (§4.1, Fig. 3): drop one block's branch at test time (y = skip(x)); residual nets degrade
 *    smoothly, whereas deleting a layer of a plain net breaks it.
 * A residual block is an `add` layer with two inputs; the input with the shorter path back to their common
 * ancestor is the skip (identity or projection), the other the branch. Layers run in inference mode.
 */
import { tf } from "../backend";
import { parkMiller } from "../data/random";
import { graphNodes, runGraph, type GraphNode, type GraphTensor } from "./graph";
import { assertSingleOutput, lossFor, type LossSpec } from "./loss";
import { snapshotWeights } from "./weight-snapshot";

export interface ResidualBlock {
  /** The `add` layer that merges skip and branch. */
  layer: string;
  /** Index (0 or 1) of the add's input that is the skip path. */
  skipInput: number;
  /** The tensor entering the block (common ancestor of skip and branch). */
  input: GraphTensor;
}

function producer(t: GraphTensor, inputIds: Set<number>): GraphNode | undefined {
  if (inputIds.has(t.id)) return undefined;
  return (t.sourceLayer as unknown as { inboundNodes: GraphNode[] }).inboundNodes[t.nodeIndex];
}

/** Tensors reachable backwards from `t`, with their distance in layers. */
function ancestors(t: GraphTensor, inputIds: Set<number>): Map<number, { tensor: GraphTensor; distance: number }> {
  const found = new Map<number, { tensor: GraphTensor; distance: number }>([[t.id, { tensor: t, distance: 0 }]]);
  const queue = [t];
  while (queue.length) {
    const current = queue.shift()!;
    const distance = found.get(current.id)!.distance;
    for (const parent of producer(current, inputIds)?.inputTensors ?? []) {
      if (!found.has(parent.id)) {
        found.set(parent.id, { tensor: parent, distance: distance + 1 });
        queue.push(parent);
      }
    }
  }
  return found;
}

/** True when every path from the model's inputs to `node` passes through `t`. */
function dominates(t: GraphTensor, node: GraphNode, inputIds: Set<number>): boolean {
  const seen = new Set<number>([t.id]);
  const stack = [...node.inputTensors];
  while (stack.length) {
    const current = stack.pop()!;
    if (seen.has(current.id)) continue;
    seen.add(current.id);
    const parent = producer(current, inputIds);
    if (!parent) return false; // reached a model input without passing through t
    stack.push(...parent.inputTensors);
  }
  return true;
}

/** The model's residual blocks (two-input `add` layers), input → output. */
export function residualBlocks(model: tf.LayersModel): ResidualBlock[] {
  assertSingleOutput(model);
  const inputIds = new Set((model.inputs as unknown as GraphTensor[]).map((t) => t.id));
  return graphNodes(model)
    .filter((node) => node.outboundLayer.getClassName() === "Add" && node.inputTensors.length === 2)
    .map((node) => {
      const [a, b] = node.inputTensors.map((t) => ancestors(t, inputIds));
      // The block's input: the nearest common ancestor (minimal combined distance) that every path into the add
      // passes through. A gate g(x) shared by both addends (exclusive gating) is nearer but not on the branch's path.
      const common = [...a]
        .filter(([id]) => b.has(id))
        .map(([id, { tensor, distance }]) => ({ tensor, da: distance, db: b.get(id)!.distance }))
        .sort((p, q) => p.da + p.db - (q.da + q.db));
      const best = common.find((c) => dominates(c.tensor, node, inputIds));
      if (!best) throw new Error(`add layer "${node.outboundLayer.name}" merges two unrelated inputs; it is not a residual block`);
      return { layer: node.outboundLayer.name, skipInput: best.da <= best.db ? 0 : 1, input: best.tensor };
    });
}

/** C(n, k) for k = 0 … n: how many of a residual net's 2^n paths pass through exactly k branches (Veit et al. 2016, Eq. 4). */
export function pathCounts(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
  const counts = [1];
  for (let k = 1; k <= n; k++) counts.push((counts[k - 1] * (n - k + 1)) / k);
  return counts;
}

/** Identity forward, zero backward: lets a value through but not its gradient. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

export interface PathLengthOptions {
  loss?: LossSpec;
  /** Random block subsets sampled per path length. Default 4. */
  samples?: number;
  /** Seed of the subset sampling (parkMiller: a non-negative integer). Default 0. */
  seed?: number;
}

export interface PathLengthDistribution {
  /** Number of residual blocks n. */
  blocks: number;
  /** Path lengths k = 0 … n (branches passed). */
  lengths: number[];
  /** C(n, k): number of paths of each length. */
  counts: number[];
  /** Mean ‖∂L/∂x‖ at the first block's input through one path of length k (Veit Fig. 6b). */
  magnitude: number[];
  /** counts × magnitude, normalised to sum 1: the share of the gradient from paths of length k (Veit Fig. 6c). */
  share: number[];
}

/** How much gradient paths of each length carry in a residual net (Veit et al. 2016, §4.2, Fig. 6). */
export function pathLengthDistribution(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: PathLengthOptions = {}): PathLengthDistribution {
  const blocks = residualBlocks(model);
  if (blocks.length === 0) throw new Error(`model "${model.name}" has no residual block (two-input add layer)`);
  const samples = options.samples ?? 4;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be a positive integer, got ${samples}`);
  const lossFn = lossFor(model, y, options.loss);
  const n = blocks.length;
  const first = blocks[0].input;
  const draw = parkMiller(options.seed ?? 0);
  const byLayer = new Map(blocks.map((b) => [b.layer, b]));
  const gradientNormThrough = (branchBlocks: Set<string>): number =>
    tf.tidy(() => {
      const shape = first.shape.map((d, i) => (i === 0 ? x.shape[0] : d ?? 1));
      const [g] = tf.grads((zero: tf.Tensor) => {
        const [prediction] = runGraph(model, x, {
          tap: (symbolic, value) => (symbolic.id === first.id ? tf.add(value, zero) : value),
          override: ({ layer, inputs }) => {
            const block = byLayer.get(layer.name);
            if (!block) return undefined;
            const skip = inputs[block.skipInput];
            const branch = inputs[1 - block.skipInput];
            // the value is skip + branch either way; the gradient flows through only one of them
            return branchBlocks.has(layer.name) ? [tf.add(stopGradient(skip), branch)] : [tf.add(skip, stopGradient(branch))];
          },
        });
        return lossFn(y, prediction);
      })([tf.zeros(shape)]);
      return tf.norm(g).dataSync()[0];
    });
  const counts = pathCounts(n);
  const magnitude = counts.map((count, k) => {
    const trials = Math.min(samples, count); // length 0 and n have a single path
    let sum = 0;
    for (let s = 0; s < trials; s++) {
      // a uniformly random k-subset of the blocks (partial Fisher–Yates)
      const order = blocks.map((b) => b.layer);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(draw() * (n - i));
        [order[i], order[j]] = [order[j], order[i]];
      }
      sum += gradientNormThrough(new Set(order.slice(0, k)));
    }
    return sum / trials;
  });
  const weighted = magnitude.map((m, k) => m * counts[k]);
  const total = weighted.reduce((a, b) => a + b, 0);
  return { blocks: n, lengths: counts.map((_, k) => k), counts, magnitude, share: weighted.map((w) => w / total) };
}

export interface BlockDeletion {
  /** The deleted block's add layer; "none" for the intact model. */
  block: string;
  loss: number;
  /** Top-1 accuracy when y is one-hot or class indices with a multi-class output, else undefined. */
  accuracy?: number;
}

/** Loss (and accuracy) with each residual block's branch deleted in turn at test time (Veit et al. 2016, §4.1, Fig. 3). */
export function blockDeletion(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: { loss?: LossSpec } = {}): BlockDeletion[] {
  const blocks = residualBlocks(model);
  if (blocks.length === 0) throw new Error(`model "${model.name}" has no residual block (two-input add layer)`);
  const lossFn = lossFor(model, y, options.loss);
  const measure = (deleted?: ResidualBlock): BlockDeletion =>
    tf.tidy(() => {
      const [prediction] = runGraph(model, x, {
        override: ({ layer, inputs }) => (deleted && layer.name === deleted.layer ? [inputs[deleted.skipInput]] : undefined),
      });
      const loss = lossFn(y, prediction).dataSync()[0];
      const classes = prediction.shape[prediction.shape.length - 1];
      let accuracy: number | undefined;
      if (prediction.rank === 2 && classes > 1) {
        const labels = y.rank === 2 && y.shape[1] === classes ? tf.argMax(y, 1) : tf.reshape(tf.cast(y, "int32"), [-1]);
        accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(prediction, 1), labels), "float32")).dataSync()[0];
      }
      return { block: deleted?.layer ?? "none", loss, accuracy };
    });
  return [measure(), ...blocks.map((b) => measure(b))];
}

export interface ShortcutGradient {
  /** The residual block's add layer. */
  block: string;
  /** Whether the block's output has its input's shape (no stride, no new channels). */
  keepsShape: boolean;
  /** ‖∂L/∂x‖ at the block's input. */
  full: number;
  /**
   * The same with the gradient stopped in every residual branch: what reaches x through the shortcuts alone (the
   * length-0 path of Veit et al.; the first term of He et al. 2016, Eq. 5, a product of the shortcuts' derivatives).
   */
  shortcutOnly: number;
}

/**
 * ‖∂L/∂x‖ at every residual block's input, in full and through the shortcuts alone, from two backward passes
 * (training-mode BatchNorm by default, its moving statistics put back afterwards). With identity shortcuts and
 * nothing after the addition (pre-activation) the shortcut-only gradient is the same at every block of a stage.
 */
export function shortcutGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: { loss?: LossSpec; training?: boolean } = {}): ShortcutGradient[] {
  const blocks = residualBlocks(model);
  if (blocks.length === 0) throw new Error(`model "${model.name}" has no residual block (two-input add layer)`);
  const training = options.training ?? true;
  const lossFn = lossFor(model, y, options.loss);
  const byLayer = new Map(blocks.map((b) => [b.layer, b]));
  const index = new Map(blocks.map((b, i) => [b.input.id, i]));
  const norms = (shortcutOnly: boolean): number[] =>
    tf.tidy(() => {
      const zeros = blocks.map((b) => tf.zeros(b.input.shape.map((d, i) => (i === 0 ? x.shape[0] : d ?? 1))));
      const grads = tf.grads((...perturbations: tf.Tensor[]) => {
        const [prediction] = runGraph(model, x, {
          training,
          tap: (symbolic, value) => (index.has(symbolic.id) ? tf.add(value, perturbations[index.get(symbolic.id)!]) : value),
          override: ({ layer, inputs }) => {
            const block = byLayer.get(layer.name);
            if (!shortcutOnly || !block) return undefined;
            return [tf.add(inputs[block.skipInput], stopGradient(inputs[1 - block.skipInput]))];
          },
        });
        return lossFn(y, prediction);
      })(zeros);
      return tf.stack(grads.map((g) => tf.norm(g))).arraySync() as number[];
    });
  const snapshot = training ? snapshotWeights(model, model.nonTrainableWeights) : undefined;
  try {
    const full = norms(false);
    const shortcutOnly = norms(true);
    const shapeOf = (t: { shape: (number | null)[] }) => JSON.stringify(t.shape.slice(1));
    const outputShape = (b: ResidualBlock) => shapeOf(model.getLayer(b.layer).output as tf.SymbolicTensor);
    return blocks.map((b, i) => ({ block: b.layer, keepsShape: shapeOf(b.input) === outputShape(b), full: full[i], shortcutOnly: shortcutOnly[i] }));
  } finally {
    snapshot?.restore();
  }
}
