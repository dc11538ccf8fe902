/**
 * Batch-norm backward pass (Ioffe & Szegedy 2015, §3) as one TensorFlow op on the native backend.
 *
 * tfjs builds the FusedBatchNorm gradient from ~15 element-wise ops over the full activation; with TensorFlow
 * underneath, `FusedBatchNormGradV2` (is_training=false: the statistics are inputs, as in tfjs's kernel) gives
 * ∂x, ∂γ and ∂β in one pass. ∂μ and ∂σ² — through which tfjs's moments() carry the batch-statistics term — are
 * per-channel and follow from ∂β and ∂γ:  ∂μ = −γ·∂β/√(σ²+ε),  ∂σ² = −½·γ·∂γ/(σ²+ε).
 * Other backends, other ranks and other dtypes keep tfjs's own gradient.
 */
import * as tfjs from "@tensorflow/tfjs";
import { fusedBatchNormAttrs, type NativeBackend } from "./native-backend";

const KERNEL = "SkiplibFusedBatchNormGrad";

let registered = false;

/** Registers the fused kernel on "tensorflow" and routes FusedBatchNorm's gradient to it there (idempotent). */
export function registerBatchNormGrad(): void {
  if (registered) return;
  const stock = tfjs.getGradient(tfjs.FusedBatchNorm);
  if (!stock) throw new Error("tfjs has no FusedBatchNorm gradient to extend");
  registered = true;

  tfjs.registerKernel({
    kernelName: KERNEL,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, scale, mean, variance } = inputs as Record<string, tfjs.TensorInfo>;
      const opAttrs = fusedBatchNormAttrs(native.binding, (attrs as { varianceEpsilon: number }).varianceEpsilon, false);
      // outputs: ∂x, ∂scale, ∂offset and two empty reserve spaces
      const [dx, dScale, dOffset, r4, r5] = native.executeMultipleOutputs("FusedBatchNormGradV2", opAttrs, [dy, x, scale, mean, variance], 5);
      tfjs.dispose([r4, r5]);
      return [dx, dScale, dOffset];
    },
  });

  tfjs.registerGradient({
    kernelName: tfjs.FusedBatchNorm,
    inputsToSave: stock.inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const fusable = tfjs.getBackend() === "tensorflow" && x.rank === 4 && mean.rank === 1 && variance.rank === 1 &&
        x.dtype === "float32" && (scale == null || scale.rank === 1);
      if (!fusable) return stock.gradFunc(dy, saved, attrs);
      const epsilon = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const gamma = scale ?? tfjs.onesLike(mean);
      // One native call for ∂x, ∂γ, ∂β, made here: tfjs runs each closure below in its own tidy, so tensors
      // made inside one would be gone in the next. Closures hand out clones (shared data, own reference).
      const [dx, dGamma, dBeta] = tfjs.engine().runKernel(KERNEL, { dy: dy as tfjs.Tensor, x, scale: gamma, mean, variance }, { varianceEpsilon: epsilon }) as tfjs.Tensor[];
      return {
        x: () => dx.clone(),
        mean: () => tfjs.neg(tfjs.mul(tfjs.mul(gamma, dBeta), tfjs.rsqrt(tfjs.add(variance, epsilon)))),
        variance: () => tfjs.mul(-0.5, tfjs.div(tfjs.mul(gamma, dGamma), tfjs.add(variance, epsilon))),
        scale: () => dGamma.clone(),
        offset: () => dBeta.clone(),
      };
    },
  });
}
