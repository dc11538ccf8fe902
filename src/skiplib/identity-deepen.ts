/**
 * He et al. 2015's construction on the CIFAR nets themselves: a trained plain (6n+2)-layer net becomes a plain
 * (6m+2)-layer net, m > n, with exactly its outputs. Every stage gets m − n extra blocks after its last one, each
 * conv → BN → ReLU → conv → BN → ReLU with Dirac kernels and BatchNorms that pass values through in inference mode,
 * and a ReLU on the non-negative output of the previous block is the identity too. The result is not a look-alike:
 * it is `cifarPlainNet(depth)` itself, layer for layer, so it can be compared with that net trained from scratch.
 */
import { tf } from "./backend";
import { BN_EPSILON } from "./blocks/conv";
import { diracKernel } from "./identity";
import { cifarBlocksPerStage, cifarPlainNet, type CifarNetOptions } from "./models/cifar";

const BLOCK_LAYER = /^stage(\d+)_block(\d+)_(conv|bn)\d+$/;

/** Blocks per stage of a CIFAR net built by skiplib, read off its layer names. */
function blocksPerStage(model: tf.LayersModel): number {
  const blocks = model.layers.map((l) => BLOCK_LAYER.exec(l.name)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[2]));
  if (blocks.length === 0) throw new Error(`"${model.name}" is not a skiplib CIFAR net (no stage<s>_block<b>_conv layers)`);
  return Math.max(...blocks);
}

/**
 * The plain `depth`-layer CIFAR net that computes exactly what the trained plain net `shallow` computes (in inference
 * mode): `shallow`'s weights in its own blocks, identity blocks after them in every stage. `options` must be the
 * options `shallow` was built with.
 */
export function identityDeepenPlainNet(shallow: tf.LayersModel, depth: number, options: CifarNetOptions): tf.LayersModel {
  if (shallow.layers.some((l) => l.getClassName() === "Add")) throw new Error(`"${shallow.name}" has residual additions; identityDeepenPlainNet deepens plain nets (a residual net gets identity blocks by zeroing their branches)`);
  if (options.preActivation) throw new Error("identityDeepenPlainNet needs post-activation blocks: a pre-activation block's first ReLU would cut the negative part of its input");
  const shallowBlocks = blocksPerStage(shallow);
  const deepBlocks = cifarBlocksPerStage(depth);
  if (deepBlocks < shallowBlocks) throw new Error(`depth must be at least the shallow net's ${6 * shallowBlocks + 2} layers, got ${depth}`);
  const deep = cifarPlainNet(depth, { ...options, name: options.name ?? `${shallow.name}_deepened${depth}` });
  for (const layer of deep.layers) {
    if (layer.weights.length === 0) continue;
    const block = BLOCK_LAYER.exec(layer.name);
    if (block && Number(block[2]) > shallowBlocks) {
      const values = tf.tidy(() => {
        if (block[3] === "conv") {
          const [k, , inC, outC] = layer.weights[0].shape as number[];
          if (inC !== outC) throw new Error(`${layer.name} maps ${inC} to ${outC} channels; an identity block needs equal counts`);
          return [diracKernel(k, outC)];
        }
        // inference-mode BN: γ·(x − mean)/√(var + ε) + β = x with γ = 1, β = 0, mean 0, var = 1 − ε
        const c = layer.weights[0].shape[0] as number;
        return [tf.ones([c]), tf.zeros([c]), tf.zeros([c]), tf.fill([c], 1 - BN_EPSILON)];
      });
      layer.setWeights(values);
      tf.dispose(values);
      continue;
    }
    let source: tf.layers.Layer;
    try {
      source = shallow.getLayer(layer.name);
    } catch {
      throw new Error(`the shallow net has no layer "${layer.name}": build both nets with the same options`);
    }
    const weights = source.getWeights();
    const mismatch = weights.findIndex((w, i) => w.shape.join() !== layer.weights[i]?.shape.join());
    if (weights.length !== layer.weights.length || mismatch >= 0) {
      throw new Error(`layer "${layer.name}" has other shapes in the shallow net ([${weights.map((w) => `[${w.shape}]`)}] vs [${layer.weights.map((w) => `[${w.shape}]`)}]): build both nets with the same options`);
    }
    layer.setWeights(weights);
  }
  return deep;
}
