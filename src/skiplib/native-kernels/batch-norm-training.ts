/**
 * Batch norm in training mode (Ioffe & Szegedy 2015, Alg. 1 and §3) as one TensorFlow op each way.
 *
 * tfjs-layers' BatchNormalization trains with `tf.moments` (Mean, Sub, Square, Mean) and then `tf.batchNorm`; the
 * backward pass runs back through all of them: about fifteen full-size element-wise ops per layer per step. On the
 * native backend `FusedBatchNormV3(is_training=true)` computes the batch statistics and the normalised output in
 * one pass and keeps what its gradient needs in reserve spaces, which `FusedBatchNormGradV3` consumes: ∂x, ∂γ, ∂β
 * in one pass. The layer's moving averages keep tfjs-layers' update formula and its biased batch variance.
 * Other backends, ranks, axes, dtypes and layers without γ or β keep tfjs-layers' own code.
 */
import * as tfjs from "@tensorflow/tfjs";
import { float32Attrs, fusedBatchNormAttrs, type NativeBackend } from "./native-backend";

/** Kernel names, private to skiplib so they cannot clash with tfjs's. */
export const SKIPLIB_BATCH_NORM_TRAINING = "SkiplibFusedBatchNormTraining";
export const SKIPLIB_BATCH_NORM_TRAINING_GRAD = "SkiplibFusedBatchNormTrainingGrad";

type Attrs = { varianceEpsilon: number };

/** A backend-only float32 tensor for one op's input, freed by the caller (never seen by the tfjs engine). */
function constant(native: NativeBackend, values: number[], shape: number[]): tfjs.TensorInfo {
  return { dataId: native.write(new Float32Array(values), shape, "float32"), shape, dtype: "float32" };
}

function registerKernels(): void {
  // x [N,H,W,C], scale and offset [C] → [y, batch mean, biased batch variance, reserve 1, 2, 3]
  tfjs.registerKernel({
    kernelName: SKIPLIB_BATCH_NORM_TRAINING,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const native = backend as unknown as NativeBackend;
      const { x, scale, offset } = inputs as Record<string, tfjs.TensorInfo>;
      const epsilon = (attrs as unknown as Attrs).varianceEpsilon;
      // In training the estimated mean and variance inputs are unused (exponential_avg_factor 1): empty.
      const empty = constant(native, [], [0]);
      const n = tfjs.util.sizeFromShape(x.shape) / x.shape[3];
      const bessel = constant(native, [n > 1 ? (n - 1) / n : 1], []);
      try {
        const average = { name: "exponential_avg_factor", type: native.binding.TF_ATTR_FLOAT, value: 1 };
        const [y, mean, unbiased, r1, r2, r3] = native.executeMultipleOutputs(
          "FusedBatchNormV3", fusedBatchNormAttrs(native.binding, epsilon, true, [average]), [x, scale, offset, empty, empty], 6);
        // TensorFlow reports the Bessel-corrected variance; tfjs-layers' moving average uses the biased one.
        const variance = native.executeSingleOutput("Mul", float32Attrs(native.binding), [unbiased, bessel]);
        unbiased.dispose();
        return [y, mean, variance, r1, r2, r3];
      } finally {
        native.disposeData(empty.dataId);
        native.disposeData(bessel.dataId);
      }
    },
  });

  // dy, x, scale and the forward op's reserve spaces → [∂x, ∂scale, ∂offset]
  tfjs.registerKernel({
    kernelName: SKIPLIB_BATCH_NORM_TRAINING_GRAD,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, scale, reserve1, reserve2, reserve3 } = inputs as Record<string, tfjs.TensorInfo>;
      const epsilon = (attrs as unknown as Attrs).varianceEpsilon;
      const [dx, dScale, dOffset, r4, r5] = native.executeMultipleOutputs(
        "FusedBatchNormGradV3", fusedBatchNormAttrs(native.binding, epsilon, true), [dy, x, scale, reserve1, reserve2, reserve3], 5);
      tfjs.dispose([r4, r5]);
      return [dx, dScale, dOffset];
    },
  });
}

/**
 * ŷ = γ·(x − μ_B)/√(σ²_B + ε) + β over N, H, W with the batch's own statistics (Ioffe & Szegedy 2015, Alg. 1):
 * one native op forward, one backward, differentiable in x, scale and offset. `mean` and `variance` (biased) are
 * the batch statistics for moving averages; as with TensorFlow's own FusedBatchNorm gradient, no gradient flows
 * back through them, and here they are detached from the tape, so a caller cannot differentiate them by mistake.
 */
export function fusedBatchNormTraining(x: tfjs.Tensor4D, scale: tfjs.Tensor1D, offset: tfjs.Tensor1D, varianceEpsilon: number): { y: tfjs.Tensor4D; mean: tfjs.Tensor1D; variance: tfjs.Tensor1D } {
  let statistics: tfjs.Tensor[] = [];
  const attrs = { varianceEpsilon };
  // customGrad runs the forward with the tape off: the statistics leave it untracked, kept past its tidy.
  const op = tfjs.customGrad((xIn, scaleIn, offsetIn, save) => {
    const [y, mean, variance, reserve1, reserve2, reserve3] = tfjs.engine().runKernel(SKIPLIB_BATCH_NORM_TRAINING, { x: xIn as tfjs.Tensor, scale: scaleIn as tfjs.Tensor, offset: offsetIn as tfjs.Tensor }, attrs) as tfjs.Tensor[];
    statistics = [tfjs.keep(mean), tfjs.keep(variance)];
    (save as tfjs.GradSaveFunc)([xIn as tfjs.Tensor, scaleIn as tfjs.Tensor, reserve1, reserve2, reserve3]);
    return {
      value: y,
      gradFunc: (dy: tfjs.Tensor | tfjs.Tensor[], saved: tfjs.Tensor[]) => {
        const [xSaved, scaleSaved, r1, r2, r3] = saved;
        return tfjs.engine().runKernel(SKIPLIB_BATCH_NORM_TRAINING_GRAD, { dy: dy as tfjs.Tensor, x: xSaved, scale: scaleSaved, reserve1: r1, reserve2: r2, reserve3: r3 }, attrs) as tfjs.Tensor[];
      },
    };
  });
  const y = op(x, scale, offset) as tfjs.Tensor4D;
  // Hand the statistics to the caller's scope (a tidy around the call frees them like any other tensor).
  const [mean, variance] = statistics.map((t) => {
    const owned = tfjs.clone(t);
    t.dispose();
    return owned as tfjs.Tensor1D;
  });
  return { y, mean, variance };
}

interface LayerVariableLike {
  read(): tfjs.Tensor;
  write(value: tfjs.Tensor): void;
}

interface BatchNormalizationLike {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: LayerVariableLike | null;
  beta?: LayerVariableLike | null;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
  call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: { training?: boolean }): tfjs.Tensor | tfjs.Tensor[];
}

/** tfjs-layers' moving average, op for op: v ← v − (v − value)·(1 − momentum). */
function movingAverage(variable: LayerVariableLike, value: tfjs.Tensor, momentum: number): void {
  tfjs.tidy(() => {
    const origValue = variable.read();
    variable.write(tfjs.sub(origValue, tfjs.mul(tfjs.sub(origValue, value), 1 - momentum)));
  });
}

let registered = false;

/** Registers the kernels on "tensorflow" and routes BatchNormalization layers' training steps there (idempotent). */
export function registerBatchNormTraining(): void {
  if (registered) return;
  // The class from the serialisation registry: building a throwaway layer would shift auto-generated layer names.
  const [layerClass] = tfjs.serialization.SerializationMap.getMap().classNameMap.BatchNormalization ?? [];
  const proto = (layerClass as unknown as { prototype?: BatchNormalizationLike } | undefined)?.prototype;
  if (typeof proto?.call !== "function") throw new Error("tfjs-layers' BatchNormalization class (with a call method) is not registered");
  registered = true;
  registerKernels();
  const stockCall = proto.call;
  proto.call = function (this: BatchNormalizationLike, inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const fusable = kwargs?.training === true && tfjs.getBackend() === "tensorflow" && input !== undefined &&
      input.rank === 4 && input.dtype === "float32" && (this.axis === -1 || this.axis === 3) && this.gamma && this.beta;
    if (!fusable) return stockCall.call(this, inputs, kwargs);
    return tfjs.tidy(() => {
      const gamma = this.gamma!.read() as tfjs.Tensor1D;
      const beta = this.beta!.read() as tfjs.Tensor1D;
      const { y, mean, variance } = fusedBatchNormTraining(input as tfjs.Tensor4D, gamma, beta, this.epsilon);
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
}
