import { test } from "node:test";
import assert from "node:assert/strict";
import { ready, tf, backendInfo } from "../../../src/skiplib/backend";
import { SKIPLIB_RELU_GRAD } from "../../../src/skiplib/native-kernels/relu-grad";

// SKIPLIB_NATIVE_KERNELS=0 keeps tfjs-core's gradients on purpose (for comparisons).
const native = () => backendInfo().backend === "tensorflow" && process.env.SKIPLIB_NATIVE_KERNELS !== "0";

test("ReLU's gradient on the native backend is one ReluGrad op and equals dy · [x > 0]", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  // Zeros included: ReLU's subgradient at 0 must stay 0, as tfjs-core's step(x) gives.
  const x = tf.tensor2d([[-2, -0.5, 0, 0.25], [1, 3, -1e-7, 1e-7]]);
  const dy = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
  const expected = [[0, 0, 0, 4], [5, 6, 0, 8]];
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => tf.grad((input: tf.Tensor) => tf.relu(input))(x, dy));
  assert.deepEqual((profile.result as tf.Tensor).arraySync(), expected);
  assert.ok(profile.kernelNames.includes(SKIPLIB_RELU_GRAD), `kernels run: ${profile.kernelNames.join(", ")}`);
  for (const stockOp of ["Step", "Select", "IsNan"]) assert.ok(!profile.kernelNames.includes(stockOp), `${stockOp} still runs`);
  (profile.result as tf.Tensor).dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, dy]);
});

test("a small convnet trains to the same loss with the fused ReLU gradient as with tfjs-core's", { skip: !native() && "native kernels not active" }, async () => {
  await ready;
  const build = () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
    return model;
  };
  const x = tf.randomNormal([6, 8, 8, 2], 0, 1, "float32", 11);
  const y = tf.randomNormal([6, 2], 0, 1, "float32", 12);
  const losses = async (model: tf.LayersModel) => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push((await model.trainOnBatch(x, y)) as number);
    model.dispose();
    return out;
  };
  const fused = await losses(build());
  // tfjs-core's own formula, swapped in for one run, is the reference.
  const current = tf.getGradient(tf.Relu)!;
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (grad, saved) => ({ x: () => tf.mul(grad as tf.Tensor, tf.step(saved[0]).toFloat()) }),
  });
  let stock: number[];
  try {
    stock = await losses(build());
  } finally {
    tf.registerGradient(current);
  }
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(fused[i] - stock[i]) < 1e-5 * Math.max(1, Math.abs(stock[i])), `step ${i}: ${fused[i]} vs ${stock[i]}`);
  assert.ok(fused[2] < fused[0], `loss should fall: ${fused.join(", ")}`);
  tf.dispose([x, y]);
});
