/**
 * Feature reuse in a dense block (Huang et al. 2017 §5, Fig. 5): does layer ℓ of a block use the maps of a layer
 * far below it? The first convolution of ℓ reads the concatenation [x₀, x₁, …, x_{ℓ−1}], so its input channels split
 * into one group per source. Two readings: the mean |weight| on each group (the paper's heat map), and what a
 * trained net loses when one group is cut, i.e. its weights set to zero so that ℓ no longer sees that source.
 */
import { tf } from "../backend";
import type { Dataset } from "../data/types";
import { recalibrateBatchNorm } from "../train/recalibrate";

/** Where each source's channels sit in the inputs of a dense block's layers (and of the transition after it). */
export interface DenseBlockLayout {
  block: number;
  /** L: dense layers in the block. */
  layers: number;
  /** c₀: channels of the block input x₀. */
  inputChannels: number;
  /** k: channels each layer adds. */
  growthRate: number;
  /**
   * Targets, in order: layer 1 … L, then the transition when there is one. `conv` is the layer whose kernel reads
   * the concatenation; target t (0-based) reads sources 0 … t.
   */
  targets: { label: string; conv: string }[];
  /** Source labels: "block input", "layer 1", … "layer L". */
  sources: string[];
}

/** [height, width, input channels, output channels] of convolution `name`'s kernel. */
function kernelShape(model: tf.LayersModel, name: string): [number, number, number, number] {
  const kernel = model.getLayer(name).getWeights()[0];
  if (!kernel || kernel.rank !== 4) throw new Error(`${name} has no 4-D convolution kernel`);
  return (kernel as tf.Tensor4D).shape;
}

const convIn = (model: tf.LayersModel, name: string) => kernelShape(model, name)[2];

function hasLayer(model: tf.LayersModel, name: string): boolean {
  return model.layers.some((l) => l.name === name);
}

/** The channel layout of dense block `block` (1-based) of a `denseNet`, read from its layer names and kernels. */
export function denseBlockLayout(model: tf.LayersModel, block: number): DenseBlockLayout {
  const first = `block${block}_layer1_conv1`;
  if (!hasLayer(model, first)) throw new Error(`the model has no dense block ${block} (no layer ${first}); blocks are numbered from 1 as in denseNet`);
  let layers = 0;
  while (hasLayer(model, `block${block}_layer${layers + 1}_conv1`)) layers++;
  const inputChannels = convIn(model, first);
  const bottleneck = hasLayer(model, `block${block}_layer1_conv2`);
  const growthRate = kernelShape(model, `block${block}_layer1_conv${bottleneck ? 2 : 1}`)[3];
  const targets = Array.from({ length: layers }, (_, l) => ({ label: `layer ${l + 1}`, conv: `block${block}_layer${l + 1}_conv1` }));
  if (hasLayer(model, `transition${block}_conv1`)) targets.push({ label: "transition", conv: `transition${block}_conv1` });
  targets.forEach((t, i) => {
    const expected = inputChannels + i * growthRate;
    if (convIn(model, t.conv) !== expected) throw new Error(`${t.conv} reads ${convIn(model, t.conv)} channels, expected c₀ + ${i}·k = ${expected}: not a dense block`);
  });
  const sources = ["block input", ...Array.from({ length: layers }, (_, l) => `layer ${l + 1}`)];
  return { block, layers, inputChannels, growthRate, targets, sources };
}

/** Channels [start, end) of source s (0 = block input) in any target's input. */
export function sourceChannels(layout: DenseBlockLayout, s: number): [number, number] {
  if (!Number.isInteger(s) || s < 0 || s > layout.layers) throw new Error(`source must be an integer from 0 (block input) to ${layout.layers}, got ${s}`);
  return s === 0 ? [0, layout.inputChannels] : [layout.inputChannels + (s - 1) * layout.growthRate, layout.inputChannels + s * layout.growthRate];
}

/** Matrix [target][source]; NaN where the target does not read the source (sources above the target). */
function matrix(layout: DenseBlockLayout, cell: (t: number, s: number) => number): number[][] {
  return layout.targets.map((_, t) => layout.sources.map((_, s) => (s <= t ? cell(t, s) : NaN)));
}

/** Huang et al. 2017 Fig. 5: the mean |w| of each target's first convolution over each source's input channels. */
export function denseWeightReuse(model: tf.LayersModel, block: number): { layout: DenseBlockLayout; weight: number[][] } {
  const layout = denseBlockLayout(model, block);
  const perChannel = layout.targets.map((t) => tf.tidy(() => Array.from(tf.mean(tf.abs(model.getLayer(t.conv).getWeights()[0]), [0, 1, 3]).dataSync())));
  const weight = matrix(layout, (t, s) => {
    const [start, end] = sourceChannels(layout, s);
    return perChannel[t].slice(start, end).reduce((a, b) => a + b, 0) / (end - start);
  });
  return { layout, weight };
}

/**
 * Cuts input channels `channels` of convolution `conv` (their weights set to zero) and returns a function that
 * puts the weights back.
 */
export function cutInputChannels(model: tf.LayersModel, conv: string, channels: number[]): () => void {
  const layer = model.getLayer(conv);
  const keep = new Float32Array(convIn(model, conv)).fill(1);
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0 || c >= keep.length) throw new Error(`channel ${c} is not an input channel of ${conv} (0 to ${keep.length - 1})`);
    keep[c] = 0;
  }
  const original = layer.getWeights().map((w) => w.clone());
  const cut = tf.tidy(() => tf.mul(original[0], tf.tensor4d(keep, [1, 1, keep.length, 1])));
  layer.setWeights([cut, ...original.slice(1)]);
  cut.dispose();
  return () => {
    layer.setWeights(original);
    tf.dispose(original);
  };
}

export interface ConnectionAblationOptions {
  /**
   * Training images to recalibrate BatchNorm's statistics on after each cut (and before the uncut score), so a
   * score measures what the net loses with the source, not the stale statistics of layers downstream. The model's
   * statistics are restored afterwards. Default: no recalibration.
   */
  recalibrate?: Pick<Dataset, "x">;
}

export interface ConnectionAblation {
  layout: DenseBlockLayout;
  /** The score of the uncut net. */
  baseline: number;
  /** score[target][source] with that one connection cut. */
  cut: number[][];
}

function batchNormWeights(model: tf.LayersModel): { layer: tf.layers.Layer; weights: tf.Tensor[] }[] {
  return model.layers.filter((l) => l.getClassName() === "BatchNormalization").map((layer) => ({ layer, weights: layer.getWeights().map((w) => w.clone()) }));
}

/**
 * Cuts each connection source → target of dense block `block` in turn and records `score()` (e.g. the test loss),
 * putting the connection back after each: how far a cut moves the score from the uncut baseline is how much the
 * target relied on that source.
 */
export function denseConnectionAblation(model: tf.LayersModel, block: number, score: () => number, options: ConnectionAblationOptions = {}): ConnectionAblation {
  const layout = denseBlockLayout(model, block);
  const saved = options.recalibrate ? batchNormWeights(model) : [];
  const measure = (cut: () => () => void) => {
    const restore = cut();
    try {
      if (options.recalibrate) recalibrateBatchNorm(model, options.recalibrate);
      return score();
    } finally {
      restore();
    }
  };
  try {
    const baseline = measure(() => () => {});
    const cut = matrix(layout, (t, s) => {
      const [start, end] = sourceChannels(layout, s);
      return measure(() => cutInputChannels(model, layout.targets[t].conv, Array.from({ length: end - start }, (_, i) => start + i)));
    });
    return { layout, baseline, cut };
  } finally {
    for (const { layer, weights } of saved) {
      layer.setWeights(weights);
      tf.dispose(weights);
    }
  }
}
