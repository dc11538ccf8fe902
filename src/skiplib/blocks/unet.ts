/**
 * U-Net's stages (Ronneberger, Fischer & Brox 2015, fig. 1): the encoder halves the resolution and doubles the
 * channels; the decoder upsamples with a 2×2 transposed convolution and concatenates the encoder's map of the same
 * resolution (the long skip). With `skip: false` the decoder sees only the upsampled path: the ablation.
 */
import { tf } from "../backend";
import { DEFAULT_SEED, heNormal } from "../seed";
import { batchNorm, positiveInteger, relu, type BlockContext } from "./conv";
import { skipMerge } from "./merge";

type Symbolic = tf.SymbolicTensor;

export interface UNetStageOptions extends BlockContext {
  filters: number;
  /** BN after each conv (not in the 2015 paper; helps small CPU runs). Default false. */
  batchNorm?: boolean;
}

/** Two 3×3 convs with ReLU ("same" padding, so shapes stay powers of two, unlike the paper's valid convs). */
function doubleConv(x: Symbolic, o: UNetStageOptions): Symbolic {
  const seed = o.seed ?? DEFAULT_SEED;
  let h = x;
  for (const i of [1, 2]) {
    const name = `${o.name}_conv${i}`;
    h = tf.layers.conv2d({ filters: o.filters, kernelSize: 3, padding: "same", useBias: !o.batchNorm, kernelInitializer: heNormal(seed, name), name }).apply(h) as Symbolic;
    if (o.batchNorm) h = batchNorm(h, `${o.name}_bn${i}`);
    h = relu(h, `${o.name}_relu${i}`);
  }
  return h;
}

/** An encoder stage: two convs (the map kept for the skip), then 2×2 max-pool (the map passed down). */
export function unetEncoderStage(x: Symbolic, o: UNetStageOptions): { skip: Symbolic; down: Symbolic } {
  positiveInteger(o.filters, "filters");
  const skip = doubleConv(x, o);
  const down = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${o.name}_pool` }).apply(skip) as Symbolic;
  return { skip, down };
}

/** A decoder stage: 2×2 stride-2 transposed conv, concatenate the encoder map (when `skip` is given), two convs. */
export function unetDecoderStage(x: Symbolic, skip: Symbolic | null, o: UNetStageOptions): Symbolic {
  positiveInteger(o.filters, "filters");
  const seed = o.seed ?? DEFAULT_SEED;
  const upName = `${o.name}_up`;
  const up = tf.layers.conv2dTranspose({ filters: o.filters, kernelSize: 2, strides: 2, padding: "same", kernelInitializer: heNormal(seed, upName), name: upName }).apply(x) as Symbolic;
  const merged = skip ? skipMerge("concat", `${o.name}_concat`)(skip, up) : up;
  return doubleConv(merged, o);
}
