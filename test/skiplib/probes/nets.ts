// Small seeded nets built with tf.layers directly, so the instrument tests don't depend on the model builders.
import { tf } from "../../../src/skiplib/backend";

export interface MlpOptions {
  inputDim: number;
  width: number;
  /** hidden layers (plain) or residual blocks (residual) */
  depth: number;
  outputDim: number;
  activation?: "relu" | "tanh" | "sigmoid";
  residual?: boolean;
  batchNorm?: boolean;
  outputActivation?: "linear" | "softmax";
  seed?: number;
}

/** input → dense(width) → depth × [dense → (BN) → act (+ skip)] → dense(outputDim). */
export function mlp(o: MlpOptions): tf.LayersModel {
  let seed = o.seed ?? 1;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const activation = o.activation ?? "tanh";
  const input = tf.input({ shape: [o.inputDim] });
  let h = tf.layers.dense({ units: o.width, activation, kernelInitializer: init(), name: "stem" }).apply(input) as tf.SymbolicTensor;
  for (let i = 0; i < o.depth; i++) {
    let f = tf.layers.dense({ units: o.width, kernelInitializer: init(), biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: seed++ }), name: `dense${i + 1}` }).apply(h) as tf.SymbolicTensor;
    if (o.batchNorm) f = tf.layers.batchNormalization({ name: `bn${i + 1}` }).apply(f) as tf.SymbolicTensor;
    f = tf.layers.activation({ activation, name: `act${i + 1}` }).apply(f) as tf.SymbolicTensor;
    h = o.residual ? (tf.layers.add({ name: `add${i + 1}` }).apply([h, f]) as tf.SymbolicTensor) : f;
  }
  const out = tf.layers.dense({ units: o.outputDim, activation: o.outputActivation ?? "linear", kernelInitializer: init(), name: "head" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: o.residual ? "residual_mlp" : "plain_mlp" });
}

/** A tiny CIFAR-style conv ResNet: conv-BN-ReLU stem, `blocks` residual blocks (conv-BN-ReLU-conv-BN + x, ReLU), GAP, dense. */
export function convResNet(o: { size?: number; channels?: number; blocks?: number; classes?: number; seed?: number } = {}): tf.LayersModel {
  let seed = o.seed ?? 7;
  const c = o.channels ?? 4;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const conv = (name: string) => tf.layers.conv2d({ filters: c, kernelSize: 3, padding: "same", useBias: false, kernelInitializer: init(), name });
  // Non-trivial BN parameters and statistics, so inference-mode BN is not the identity by accident.
  const bn = (name: string) =>
    tf.layers.batchNormalization({
      name,
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
      betaInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: seed++ }),
      movingMeanInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: seed++ }),
      movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ }),
    });
  const input = tf.input({ shape: [o.size ?? 8, o.size ?? 8, 3] });
  let h = conv("stem_conv").apply(input) as tf.SymbolicTensor;
  h = bn("stem_bn").apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: "stem_relu" }).apply(h) as tf.SymbolicTensor;
  for (let b = 1; b <= (o.blocks ?? 2); b++) {
    let f = conv(`b${b}_conv1`).apply(h) as tf.SymbolicTensor;
    f = bn(`b${b}_bn1`).apply(f) as tf.SymbolicTensor;
    f = tf.layers.reLU({ name: `b${b}_relu1` }).apply(f) as tf.SymbolicTensor;
    f = conv(`b${b}_conv2`).apply(f) as tf.SymbolicTensor;
    f = bn(`b${b}_bn2`).apply(f) as tf.SymbolicTensor;
    h = tf.layers.add({ name: `b${b}_add` }).apply([h, f]) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: `b${b}_relu2` }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: o.classes ?? 3, activation: "softmax", kernelInitializer: init(), name: "head" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "conv_resnet" });
}

/** Seeded standard-normal data and one-hot labels. */
export function batch(shape: number[], classes: number, seed = 3): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, "float32", seed);
    const labels = tf.cast(tf.mul(tf.randomUniform([shape[0]], 0, 1, "float32", seed + 1), classes), "int32");
    return { x, y: tf.oneHot(labels, classes).toFloat() };
  });
}
