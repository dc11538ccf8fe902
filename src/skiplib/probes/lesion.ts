/**
 * Lesion studies (Veit et al. 2016, "Residual Networks Behave Like Ensembles of Relatively Shallow Networks",
 * §4.1-4.2, Figs. 3 and 5): delete blocks of a trained net at test time and measure what is left. Deleting a
 * residual block keeps its shortcut (y = h(x), the branch removed); deleting a plain block passes its input on
 * (y = x), which needs equal input and output shapes. Veit et al. found a residual net's accuracy degrades
 * smoothly with the number of blocks deleted, while deleting one layer of a plain (VGG) net leaves chance.
 * Blocks are found by their layers' names (the `…_blockN_` prefix of skiplib's nets), so plain nets, whose
 * blocks leave no trace in the graph's shape, are covered too. Layers run in inference mode.
 */
import { tf } from "../backend";
import { graphNodes, runGraph, type GraphNode, type GraphTensor } from "./graph";
import { assertSingleOutput, lossFor, type LossSpec } from "./loss";
import { residualBlocks, type ResidualBlock } from "./paths";
import { snapshotWeights } from "./weight-snapshot";
import { parkMiller } from "../data/random";

export interface NetBlock {
  /** The common prefix of the block's layers, e.g. "stage1_block2". */
  name: string;
  /** "residual": the block merges a shortcut and a branch with an add; "plain": no shortcut. */
  kind: "residual" | "plain";
  /** Residual blocks always; plain blocks when their input and output shapes are equal. */
  deletable: boolean;
  /** The layer whose output is the block's output. */
  outputLayer: string;
  /** The tensor entering the block and the one leaving it. */
  input: GraphTensor;
  output: GraphTensor;
  /** The residual block's add, for residual blocks. */
  residual?: ResidualBlock;
}

export interface LesionOptions {
  /** Picks a block name out of a layer name (first group). Default /^(.*_block\d+)_/ (skiplib's nets). */
  pattern?: RegExp;
}

const DEFAULT_PATTERN = /^(.*_block\d+)_/;

function producerNode(t: GraphTensor): GraphNode {
  return (t.sourceLayer as unknown as { inboundNodes: GraphNode[] }).inboundNodes[t.nodeIndex];
}

/** The model's blocks, input → output, found by layer-name prefix; each has one input and one output tensor. */
export function netBlocks(model: tf.LayersModel, options: LesionOptions = {}): NetBlock[] {
  assertSingleOutput(model);
  const pattern = options.pattern ?? DEFAULT_PATTERN;
  const nodes = graphNodes(model);
  const groups = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    const match = pattern.exec(node.outboundLayer.name);
    if (match?.[1]) groups.set(match[1], [...(groups.get(match[1]) ?? []), node]);
  }
  if (groups.size === 0) throw new Error(`model "${model.name}" has no layer named like a block (pattern ${pattern}); name blocks' layers e.g. "stage1_block2_conv1"`);
  const outputIds = new Set((model.outputs as unknown as GraphTensor[]).map((t) => t.id));
  const residualByLayer = new Map(residualBlocks(model).map((b) => [b.layer, b]));
  return [...groups].map(([name, members]) => {
    const inside = new Set(members);
    const produced = new Set(members.flatMap((n) => n.outputTensors.map((t) => t.id)));
    const inputs = new Map<number, GraphTensor>();
    for (const n of members) for (const t of n.inputTensors) if (!produced.has(t.id)) inputs.set(t.id, t);
    const outputs = new Map<number, GraphTensor>();
    for (const n of nodes) {
      if (inside.has(n)) continue;
      for (const t of n.inputTensors) if (produced.has(t.id)) outputs.set(t.id, t);
    }
    for (const n of members) for (const t of n.outputTensors) if (outputIds.has(t.id)) outputs.set(t.id, t);
    if (inputs.size !== 1 || outputs.size !== 1) {
      throw new Error(`block "${name}" must have one input and one output tensor to be deleted, got ${inputs.size} and ${outputs.size}; check the layer names or the pattern`);
    }
    const [input] = inputs.values();
    const [output] = outputs.values();
    const residual = members.map((n) => residualByLayer.get(n.outboundLayer.name)).find((b) => b !== undefined);
    const sameShape = JSON.stringify(input.shape.slice(1)) === JSON.stringify(output.shape.slice(1));
    return { name, kind: residual ? "residual" : "plain", deletable: residual !== undefined || sameShape, outputLayer: producerNode(output).outboundLayer.name, input, output, residual };
  });
}

export interface LesionResult {
  /** The deleted blocks' names (empty: the intact net). */
  deleted: string[];
  loss: number;
  /** Top-1 accuracy (y one-hot or class indices, multi-class output). */
  accuracy: number;
}

function byName(blocks: NetBlock[], names: string[]): NetBlock[] {
  return names.map((name) => {
    const block = blocks.find((b) => b.name === name);
    if (!block) throw new Error(`no block named "${name}"; the blocks are ${blocks.map((b) => b.name).join(", ")}`);
    if (!block.deletable) throw new Error(`block "${name}" is plain and changes shape (${JSON.stringify(block.input.shape)} → ${JSON.stringify(block.output.shape)}); it cannot be deleted`);
    return block;
  });
}

function lesioned(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, deleted: NetBlock[], lossFn: ReturnType<typeof lossFor>): LesionResult {
  return tf.tidy(() => {
    const skips = new Map(deleted.filter((b) => b.residual).map((b) => [b.residual!.layer, b.residual!]));
    const passOn = new Map(deleted.filter((b) => !b.residual).map((b) => [b.outputLayer, b.input.id]));
    const values = new Map<number, tf.Tensor>();
    const inputId = (model.inputs as unknown as GraphTensor[])[0].id;
    values.set(inputId, x);
    const [prediction] = runGraph(model, x, {
      tap: (symbolic, value) => {
        values.set(symbolic.id, value);
        return value;
      },
      override: ({ layer, inputs }) => {
        const skip = skips.get(layer.name);
        if (skip) return [inputs[skip.skipInput]];
        const source = passOn.get(layer.name);
        return source === undefined ? undefined : [values.get(source)!];
      },
    });
    const classes = prediction.shape[prediction.shape.length - 1];
    if (prediction.rank !== 2 || classes < 2) throw new Error(`lesion studies measure top-1 accuracy and need a [batch, classes] output, got [${prediction.shape}]`);
    const labels = y.rank === 2 && y.shape[1] === classes ? tf.argMax(y, 1) : tf.reshape(tf.cast(y, "int32"), [-1]);
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(prediction, 1), labels), "float32")).dataSync()[0];
    return { deleted: deleted.map((b) => b.name), loss: lossFn(y, prediction).dataSync()[0], accuracy };
  });
}

/** Loss and accuracy of `model` on (x, y) with the named blocks deleted (residual: branch removed; plain: y = x). */
export function deleteBlocks(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, names: string[], options: LesionOptions & { loss?: LossSpec } = {}): LesionResult {
  const blocks = netBlocks(model, options);
  return lesioned(model, x, y, byName(blocks, names), lossFor(model, y, options.loss));
}

export interface LesionCurveOptions extends LesionOptions {
  loss?: LossSpec;
  /** How many blocks to delete, e.g. [0, 1, 2, 4]. Default 0, 1, 2, … up to the number of deletable blocks. */
  counts?: number[];
  /** Random block sets per count of two or more; single deletions, and counts with at most this many sets, are exhaustive. Default 8. */
  samples?: number;
  /** Seed of the set sampling. Default 0. */
  seed?: number;
  /** Only these blocks may be deleted (default: every deletable block). */
  blocks?: string[];
}

export interface LesionPoint {
  /** Blocks deleted. */
  count: number;
  /** One result per deleted set. */
  results: LesionResult[];
  meanAccuracy: number;
  meanLoss: number;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

function allSubsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items;
  return [...allSubsets(rest, k - 1).map((s) => [first, ...s]), ...allSubsets(rest, k)];
}

/** Accuracy against the number of blocks deleted at test time (Veit et al. 2016, Fig. 5a), over sets of blocks. */
export function lesionCurve(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: LesionCurveOptions = {}): LesionPoint[] {
  const all = netBlocks(model, options);
  const candidates = options.blocks ? byName(all, options.blocks) : all.filter((b) => b.deletable);
  const n = candidates.length;
  const counts = options.counts ?? Array.from({ length: n + 1 }, (_, k) => k);
  const samples = options.samples ?? 8;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`samples must be a positive integer, got ${samples}`);
  for (const k of counts) {
    if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`counts must be integers from 0 to ${n} (the deletable blocks), got ${k}`);
  }
  const lossFn = lossFor(model, y, options.loss);
  const draw = parkMiller(options.seed ?? 0);
  return counts.map((count) => {
    let sets: NetBlock[][];
    if (count <= 1 || binomial(n, count) <= samples) {
      sets = allSubsets(candidates, count);
    } else {
      sets = [];
      const seen = new Set<string>();
      while (sets.length < samples) {
        const order = [...candidates];
        for (let i = 0; i < count; i++) {
          const j = i + Math.floor(draw() * (n - i));
          [order[i], order[j]] = [order[j], order[i]];
        }
        const set = order.slice(0, count).sort((a, b) => candidates.indexOf(a) - candidates.indexOf(b));
        const key = set.map((b) => b.name).join();
        if (!seen.has(key)) {
          seen.add(key);
          sets.push(set);
        }
      }
    }
    const results = sets.map((set) => lesioned(model, x, y, set, lossFn));
    const mean = (f: (r: LesionResult) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
    return { count, results, meanAccuracy: mean((r) => r.accuracy), meanLoss: mean((r) => r.loss) };
  });
}

export interface BranchRatio {
  /** The residual block's add layer. */
  block: string;
  /** ‖F(x)‖ over the batch: the add's branch input. */
  branchNorm: number;
  /** ‖h(x)‖ over the batch: the add's shortcut input (x itself for an identity shortcut). */
  shortcutNorm: number;
  /** branchNorm / shortcutNorm: how much a block changes the signal it receives. */
  ratio: number;
}

/** ‖F(x)‖/‖h(x)‖ for every residual block on a batch (inference mode unless `training`), input → output. */
export function branchRatios(model: tf.LayersModel, x: tf.Tensor, options: { training?: boolean } = {}): BranchRatio[] {
  const blocks = residualBlocks(model);
  if (blocks.length === 0) throw new Error(`model "${model.name}" has no residual block (two-input add layer)`);
  const byLayer = new Map(blocks.map((b) => [b.layer, b]));
  // training mode moves BatchNorm's moving statistics: put them back, a probe leaves the model as it found it
  const snapshot = options.training ? snapshotWeights(model, model.nonTrainableWeights) : undefined;
  try {
    return measureRatios(model, x, blocks, byLayer, options.training ?? false);
  } finally {
    snapshot?.restore();
  }
}

function measureRatios(model: tf.LayersModel, x: tf.Tensor, blocks: ResidualBlock[], byLayer: Map<string, ResidualBlock>, training: boolean): BranchRatio[] {
  return tf.tidy(() => {
    const norms: tf.Tensor[] = [];
    runGraph(model, x, {
      training,
      override: ({ layer, inputs }) => {
        const block = byLayer.get(layer.name);
        if (block) norms.push(tf.stack([tf.norm(inputs[1 - block.skipInput]), tf.norm(inputs[block.skipInput])]));
        return undefined;
      },
    });
    const values = tf.stack(norms).arraySync() as number[][];
    return blocks.map((b, i) => ({ block: b.layer, branchNorm: values[i][0], shortcutNorm: values[i][1], ratio: values[i][0] / values[i][1] }));
  });
}
