/**
 * ReLU's gradient as TensorFlow's single fused `ReluGrad` op on the native backend.
 *
 * tfjs-core differentiates ReLU as `dy * cast(step(x))`, and `step` alone is Greater, IsNan, Fill and two
 * Selects: six native calls per ReLU per step (≈ 20 % of a ResNet-20 step's element-wise calls). TensorFlow's
 * `ReluGrad(dy, x) = dy · [x > 0]` is one. Other backends keep tfjs-core's gradient unchanged.
 */
import * as tfjs from "@tensorflow/tfjs";
import { float32Attrs, type NativeBackend } from "./native-backend";

type Tf = typeof tfjs;

/** The kernel name, private to skiplib so it cannot clash with a tfjs kernel. */
export const SKIPLIB_RELU_GRAD = "SkiplibReluGrad";

let registered = false;

/** Registers ReluGrad for the "tensorflow" backend and routes Relu's gradient to it (idempotent). */
export function registerNativeReluGrad(tf: Tf): void {
  if (registered) return;
  const stock = tf.getGradient(tf.Relu);
  if (!stock) throw new Error("tfjs-core has no Relu gradient to extend");
  tf.registerKernel({
    kernelName: SKIPLIB_RELU_GRAD,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tfjs.TensorInfo; x: tfjs.TensorInfo };
      const native = backend as unknown as NativeBackend;
      return native.executeSingleOutput("ReluGrad", float32Attrs(native.binding), [dy, x]);
    },
  });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const grad = dy as tfjs.Tensor;
      if (tf.getBackend() !== "tensorflow" || x.dtype !== "float32" || grad.dtype !== "float32") {
        return stock.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(SKIPLIB_RELU_GRAD, { dy: grad, x }) as tfjs.Tensor };
    },
  });
  registered = true;
}
