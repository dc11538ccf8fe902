/**
 * tfjs-layers layers as TensorFlow graph ops, each emitting what the layer's eager `call` computes. A layer type
 * (or a configuration) not listed here makes the model unsupported, and callers keep tfjs-layers' own path.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { Ref } from "./graph-def";
import * as m from "./math-ops";
import * as nn from "./nn-ops";
import type { GraphTape, Shape } from "./tape";

/** A model this module cannot express as a graph; the message says which layer and why. */
export class UnsupportedModel extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedModel";
  }
}

/** What a tfjs-layers variable looks like from here. */
export interface LayerVariableLike {
  id: number;
  name: string;
  shape: number[];
  dtype: string;
  trainable: boolean;
  read(): tfjs.Tensor;
}

export interface EmitContext {
  tape: GraphTape;
  training: boolean;
  /** The graph's tensor holding a weight's current value. */
  weight(variable: LayerVariableLike): Ref;
  /** A weight's new value after this step (BatchNormalization's moving statistics). */
  update(variable: LayerVariableLike, value: Ref): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLayer = any;
type Emitter = (layer: AnyLayer, inputs: Ref[], ctx: EmitContext, outShape: Shape) => Ref;

function only(layer: AnyLayer, inputs: Ref[]): Ref {
  if (inputs.length !== 1) throw new UnsupportedModel(`layer "${layer.name}" takes ${inputs.length} inputs, expected 1`);
  return inputs[0];
}

function activationName(layer: AnyLayer): string {
  const a = layer.activation;
  return a == null ? "linear" : typeof a === "string" ? a : a.getClassName();
}

export function activate(t: GraphTape, name: string, x: Ref, where: string): Ref {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return m.relu(t, x);
    case "sigmoid":
      return m.sigmoid(t, x);
    case "tanh":
      return m.tanh(t, x);
    case "softmax":
      return m.softmax(t, x);
    default:
      throw new UnsupportedModel(`activation "${name}" of "${where}"`);
  }
}

const padding = (layer: AnyLayer): "SAME" | "VALID" => {
  if (layer.padding !== "same" && layer.padding !== "valid") throw new UnsupportedModel(`padding "${layer.padding}" of "${layer.name}"`);
  return layer.padding === "same" ? "SAME" : "VALID";
};

function channelsLast(layer: AnyLayer): void {
  if (layer.dataFormat !== undefined && layer.dataFormat !== "channelsLast") throw new UnsupportedModel(`data format ${layer.dataFormat} of "${layer.name}"`);
}

const EMITTERS: Record<string, Emitter> = {
  Conv2D(layer, inputs, ctx) {
    channelsLast(layer);
    const x = only(layer, inputs);
    const t = ctx.tape;
    let y = nn.conv2d(t, x, ctx.weight(layer.kernel), { strides: layer.strides, padding: padding(layer), dilations: layer.dilationRate });
    if (layer.useBias) y = nn.biasAdd(t, y, ctx.weight(layer.bias));
    return activate(t, activationName(layer), y, layer.name);
  },

  Conv2DTranspose(layer, inputs, ctx) {
    channelsLast(layer);
    const x = only(layer, inputs);
    const t = ctx.tape;
    if (layer.dilationRate && layer.dilationRate.some((d: number) => d !== 1)) throw new UnsupportedModel(`dilated transposed conv "${layer.name}"`);
    const [, h, w] = t.shape(x);
    if (h === null || w === null) throw new UnsupportedModel(`transposed conv "${layer.name}" on an input of unknown size`);
    // tfjs-layers' deconvLength
    const out = (size: number, stride: number, kernel: number) => (layer.padding === "valid" ? size * stride + Math.max(kernel - stride, 0) : size * stride);
    const size: [number, number] = [out(h, layer.strides[0], layer.kernelSize[0]), out(w, layer.strides[1], layer.kernelSize[1])];
    let y = nn.conv2dTranspose(t, x, ctx.weight(layer.kernel), size, { strides: layer.strides, padding: padding(layer) });
    if (layer.useBias) y = nn.biasAdd(t, y, ctx.weight(layer.bias));
    return activate(t, activationName(layer), y, layer.name);
  },

  Dense(layer, inputs, ctx) {
    const x = only(layer, inputs);
    const t = ctx.tape;
    if (t.shape(x).length !== 2) throw new UnsupportedModel(`dense layer "${layer.name}" on a rank-${t.shape(x).length} input`);
    let y = nn.matMul(t, x, ctx.weight(layer.kernel));
    if (layer.useBias) y = nn.biasAdd(t, y, ctx.weight(layer.bias));
    return activate(t, activationName(layer), y, layer.name);
  },

  BatchNormalization(layer, inputs, ctx) {
    const x = only(layer, inputs);
    const t = ctx.tape;
    const rank = t.shape(x).length;
    if (layer.axis !== -1 && layer.axis !== rank - 1) throw new UnsupportedModel(`batch norm "${layer.name}" over axis ${layer.axis}`);
    if (!layer.scale || !layer.center) throw new UnsupportedModel(`batch norm "${layer.name}" without γ or β`);
    if (rank !== 4 && rank !== 2) throw new UnsupportedModel(`batch norm "${layer.name}" on a rank-${rank} input`);
    // FusedBatchNorm takes 4-D input: a [n, c] input is normalised as [n, 1, 1, c]
    const c = t.shape(x)[rank - 1];
    const x4 = rank === 4 ? x : m.reshape(t, x, [null, 1, 1, c]);
    const gamma = ctx.weight(layer.gamma);
    const beta = ctx.weight(layer.beta);
    let y: Ref;
    if (ctx.training) {
      const stats = nn.batchNormTraining(t, x4, gamma, beta, layer.epsilon);
      // tfjs-layers' moving average: v ← v − (v − batch value)·(1 − momentum)
      for (const [variable, value] of [[layer.movingMean, stats.mean], [layer.movingVariance, stats.variance]] as const) {
        const old = ctx.weight(variable);
        const delta = t.raw("Mul", [t.raw("Sub", [old, value], { T: { type: "float32" } }), t.scalar(1 - layer.momentum)], { T: { type: "float32" } });
        ctx.update(variable, t.raw("Sub", [old, delta], { T: { type: "float32" } }));
      }
      y = stats.y;
    } else {
      y = nn.batchNormInference(t, x4, gamma, beta, ctx.weight(layer.movingMean), ctx.weight(layer.movingVariance), layer.epsilon);
    }
    return rank === 4 ? y : m.reshape(t, y, t.shape(x));
  },

  ReLU(layer, inputs, ctx) {
    if (layer.maxValue != null) throw new UnsupportedModel(`ReLU "${layer.name}" with maxValue`);
    return m.relu(ctx.tape, only(layer, inputs));
  },

  Activation(layer, inputs, ctx) {
    return activate(ctx.tape, activationName(layer), only(layer, inputs), layer.name);
  },

  Add(layer, inputs, ctx) {
    return inputs.slice(1).reduce((sum, x) => m.add(ctx.tape, sum, x), inputs[0]);
  },

  Multiply(layer, inputs, ctx) {
    return inputs.slice(1).reduce((product, x) => m.mul(ctx.tape, product, x), inputs[0]);
  },

  Concatenate(layer, inputs, ctx) {
    const rank = ctx.tape.shape(inputs[0]).length;
    const axis = layer.axis < 0 ? rank + layer.axis : layer.axis;
    return nn.concat(ctx.tape, inputs, axis);
  },

  GlobalAveragePooling2D(layer, inputs, ctx) {
    channelsLast(layer);
    return m.mean(ctx.tape, only(layer, inputs), [1, 2]);
  },

  MaxPooling2D(layer, inputs, ctx) {
    channelsLast(layer);
    return nn.pool(ctx.tape, "MaxPool", only(layer, inputs), { size: layer.poolSize, strides: layer.strides, padding: padding(layer) });
  },

  AveragePooling2D(layer, inputs, ctx) {
    channelsLast(layer);
    return nn.pool(ctx.tape, "AvgPool", only(layer, inputs), { size: layer.poolSize, strides: layer.strides, padding: padding(layer) });
  },

  Flatten(layer, inputs, ctx, outShape) {
    return m.reshape(ctx.tape, only(layer, inputs), outShape);
  },

  Rescaling(layer, inputs, ctx) {
    const t = ctx.tape;
    return m.add(t, m.mul(t, only(layer, inputs), t.scalar(layer.scale)), t.scalar(layer.offset));
  },

  Dropout(layer, inputs, ctx) {
    // a random mask per step is not reproduced here; at rate 0 or in inference the layer is the identity
    if (ctx.training && layer.rate > 0) throw new UnsupportedModel(`dropout "${layer.name}" in training`);
    return only(layer, inputs);
  },

  // skiplib's option-A shortcut (blocks/layers.ts): x[:, ::s, ::s, :] (as a 1×1 average pool) plus zero channels
  SkiplibZeroPadShortcut(layer, inputs, ctx) {
    const t = ctx.tape;
    let x = only(layer, inputs);
    if (layer.strides > 1) x = nn.pool(t, "AvgPool", x, { size: [1, 1], strides: [layer.strides, layer.strides], padding: "VALID" });
    const extra = layer.outChannels - (t.shape(x)[3] as number);
    return extra > 0 ? nn.pad(t, x, [[0, 0], [0, 0], [0, 0], [0, extra]]) : x;
  },

  // y = x + T·(H − x), inputs [T, H, x] (blocks/layers.ts)
  SkiplibHighwayCombine(layer, inputs, ctx) {
    const t = ctx.tape;
    const [gate, transform, x] = inputs;
    return m.add(t, x, m.mul(t, gate, m.sub(t, transform, x)));
  },
};

/** The graph ops of one layer call, or UnsupportedModel. */
export function emitLayer(layer: AnyLayer, inputs: Ref[], ctx: EmitContext, outShape: Shape): Ref {
  const emitter = EMITTERS[layer.getClassName()];
  if (!emitter) throw new UnsupportedModel(`layer type ${layer.getClassName()} ("${layer.name}")`);
  return emitter(layer, inputs, ctx, outShape);
}
