/**
 * Neural-network ops on a GraphTape (NHWC, float32), each with its TensorFlow gradient op: convolutions by
 * Conv2DBackpropInput/Filter, batch norm in training by FusedBatchNormGradV3 on the forward op's reserve spaces
 * (as skiplib's eager batch-norm kernel), pooling by AvgPoolGrad/MaxPoolGrad.
 */
import type { Ref } from "./graph-def";
import { F32, type GraphTape, type Shape } from "./tape";

const INT32 = { type: "int32" as const };

function shapeOf(t: GraphTape, x: Ref): Ref {
  return t.raw("Shape", [x], { T: F32, out_type: INT32 }, [t.shape(x).length]);
}

/** Output size of a window op along one axis, as TensorFlow's SAME/VALID padding computes it. */
function windowed(size: number | null, window: number, stride: number, padding: "SAME" | "VALID", dilation = 1): number | null {
  if (size === null) return null;
  const effective = (window - 1) * dilation + 1;
  return padding === "SAME" ? Math.ceil(size / stride) : Math.ceil((size - effective + 1) / stride);
}

export interface Conv2DOptions {
  strides: [number, number];
  padding: "SAME" | "VALID";
  dilations?: [number, number];
}

export function conv2d(t: GraphTape, x: Ref, w: Ref, o: Conv2DOptions): Ref {
  const [n, h, wd] = t.shape(x);
  const [kh, kw, , out] = t.shape(w) as number[];
  const [dh, dw] = o.dilations ?? [1, 1];
  const attrs = {
    T: F32,
    strides: { ints: [1, o.strides[0], o.strides[1], 1] },
    padding: { str: o.padding },
    data_format: { str: "NHWC" },
    dilations: { ints: [1, dh, dw, 1] },
  };
  const shape: Shape = [n, windowed(h, kh, o.strides[0], o.padding, dh), windowed(wd, kw, o.strides[1], o.padding, dw), out];
  return t.record("Conv2D", [x, w], attrs, [shape], () => ([dy]) => [
    t.isTracked(x) ? t.raw("Conv2DBackpropInput", [shapeOf(t, x), w, dy!], attrs, t.shape(x)) : null,
    t.isTracked(w) ? t.raw("Conv2DBackpropFilter", [x, t.constant(t.shape(w) as number[], [4], "int32"), dy!], attrs, t.shape(w)) : null,
  ])[0];
}

/**
 * The transposed convolution tfjs's conv2dTranspose computes (TensorFlow's Conv2DBackpropInput of a conv with kernel
 * [kh, kw, out, in]) to `outSize` [height, width]; gradients as TensorFlow's: a Conv2D of dy, and the filter's
 * Conv2DBackpropFilter with dy as the conv's input.
 */
export function conv2dTranspose(t: GraphTape, x: Ref, w: Ref, outSize: [number, number], o: Conv2DOptions): Ref {
  const out = t.shape(w)[2] as number;
  const attrs = {
    T: F32,
    strides: { ints: [1, o.strides[0], o.strides[1], 1] },
    padding: { str: o.padding },
    data_format: { str: "NHWC" },
    dilations: { ints: [1, 1, 1, 1] },
  };
  // [batch (from x at run time), height, width, out]
  const batch = t.raw("Slice", [shapeOf(t, x), t.constant([0], [1], "int32"), t.constant([1], [1], "int32")], { T: INT32, Index: INT32 }, [1]);
  const sizes = t.raw("ConcatV2", [batch, t.constant([...outSize, out], [3], "int32"), t.constant([0], [], "int32")], { T: INT32, N: { int: 2 }, Tidx: INT32 }, [4]);
  const shape: Shape = [t.shape(x)[0], outSize[0], outSize[1], out];
  return t.record("Conv2DBackpropInput", [sizes, w, x], attrs, [shape], () => ([dy]) => [
    null,
    t.isTracked(w) ? t.raw("Conv2DBackpropFilter", [dy!, t.constant(t.shape(w) as number[], [4], "int32"), x], attrs, t.shape(w)) : null,
    t.isTracked(x) ? t.raw("Conv2D", [dy!, w], attrs, t.shape(x)) : null,
  ])[0];
}

export function biasAdd(t: GraphTape, x: Ref, b: Ref): Ref {
  const attrs = { T: F32, data_format: { str: "NHWC" } };
  return t.record("BiasAdd", [x, b], attrs, [t.shape(x)], () => ([dy]) => [dy, t.isTracked(b) ? t.raw("BiasAddGrad", [dy!], attrs, t.shape(b)) : null])[0];
}

/** [n, k] × [k, m]. */
export function matMul(t: GraphTape, a: Ref, b: Ref): Ref {
  const mm = (x: Ref, y: Ref, ta: boolean, tb: boolean, shape: Shape) =>
    t.raw("MatMul", [x, y], { T: F32, transpose_a: { bool: ta }, transpose_b: { bool: tb } }, shape);
  const shape: Shape = [t.shape(a)[0], t.shape(b)[1]];
  const attrs = { T: F32, transpose_a: { bool: false }, transpose_b: { bool: false } };
  return t.record("MatMul", [a, b], attrs, [shape], () => ([dy]) => [
    t.isTracked(a) ? mm(dy!, b, false, true, t.shape(a)) : null,
    t.isTracked(b) ? mm(a, dy!, true, false, t.shape(b)) : null,
  ])[0];
}

function batchNormAttrs(epsilon: number, training: boolean) {
  return {
    T: F32,
    U: F32,
    epsilon: { float: epsilon },
    data_format: { str: "NHWC" },
    is_training: { bool: training },
  };
}

/**
 * Batch norm of a 4-D input on its own statistics: y, the batch mean and the biased batch variance (for moving
 * averages; no gradient flows through them, as in skiplib's eager kernel and TensorFlow's FusedBatchNorm).
 */
export function batchNormTraining(t: GraphTape, x: Ref, scale: Ref, offset: Ref, epsilon: number): { y: Ref; mean: Ref; variance: Ref } {
  const c = t.shape(scale);
  const empty = t.constant([], [0]);
  const attrs = { ...batchNormAttrs(epsilon, true), exponential_avg_factor: { float: 1 } };
  const [y, mean, unbiased] = t.record("FusedBatchNormV3", [x, scale, offset, empty, empty], attrs, [t.shape(x), c, c, c, c, [null]], (outs) => ([dy]) => {
    const grad = t.raw("FusedBatchNormGradV3", [dy!, x, scale, outs[3], outs[4], outs[5]], batchNormAttrs(epsilon, true));
    return [`${grad}`, `${grad}:1`, `${grad}:2`, null, null];
  });
  // TensorFlow reports the Bessel-corrected variance; the moving average uses the biased one: × (n − 1)/n
  const size = (r: Ref) => t.raw("Cast", [t.raw("Size", [r], { T: F32, out_type: INT32 })], { SrcT: INT32, DstT: F32 }, []);
  const n = t.raw("RealDiv", [size(x), size(scale)], { T: F32 }, []);
  const bessel = t.raw("RealDiv", [t.raw("Sub", [n, t.scalar(1)], { T: F32 }, []), n], { T: F32 }, []);
  const variance = t.raw("Mul", [unbiased, bessel], { T: F32 }, c);
  return { y, mean, variance };
}

/** Batch norm with given statistics (inference). */
export function batchNormInference(t: GraphTape, x: Ref, scale: Ref, offset: Ref, mean: Ref, variance: Ref, epsilon: number): Ref {
  const c = t.shape(scale);
  return t.record("FusedBatchNormV3", [x, scale, offset, mean, variance], batchNormAttrs(epsilon, false), [t.shape(x), c, c, c, c, [null]], () => () => {
    throw new Error("graph: inference-mode batch norm is not differentiated");
  })[0];
}

export interface PoolOptions {
  size: [number, number];
  strides: [number, number];
  padding: "SAME" | "VALID";
}

export function pool(t: GraphTape, kind: "AvgPool" | "MaxPool", x: Ref, o: PoolOptions): Ref {
  const [n, h, w, c] = t.shape(x);
  const attrs = {
    T: F32,
    ksize: { ints: [1, o.size[0], o.size[1], 1] },
    strides: { ints: [1, o.strides[0], o.strides[1], 1] },
    padding: { str: o.padding },
    data_format: { str: "NHWC" },
  };
  const shape: Shape = [n, windowed(h, o.size[0], o.strides[0], o.padding), windowed(w, o.size[1], o.strides[1], o.padding), c];
  return t.record(kind, [x], attrs, [shape], ([y]) => ([dy]) => [
    kind === "AvgPool" ? t.raw("AvgPoolGrad", [shapeOf(t, x), dy!], attrs, t.shape(x)) : t.raw("MaxPoolGrad", [x, y, dy!], attrs, t.shape(x)),
  ])[0];
}

/** Zero padding by [before, after] per axis; the gradient is the matching slice. */
export function pad(t: GraphTape, x: Ref, paddings: [number, number][]): Ref {
  const shape = t.shape(x).map((d, i) => (d === null ? null : d + paddings[i][0] + paddings[i][1]));
  const p = t.constant(paddings.flat(), [paddings.length, 2], "int32");
  return t.record("Pad", [x, p], { T: F32, Tpaddings: INT32 }, [shape], () => ([dy]) => [slice(t, dy!, paddings.map(([before]) => before), t.shape(x)), null])[0];
}

/** x[begin : begin + size] (null size: to the end), not differentiated. */
export function slice(t: GraphTape, x: Ref, begin: number[], size: Shape): Ref {
  const b = t.constant(begin, [begin.length], "int32");
  const s = t.constant(size.map((d) => d ?? -1), [size.length], "int32");
  return t.raw("Slice", [x, b, s], { T: F32, Index: INT32 }, size);
}

/** Concatenation along `axis`; each input's gradient is its slice of the output's. */
export function concat(t: GraphTape, xs: Ref[], axis: number): Ref {
  const shapes = xs.map((x) => t.shape(x));
  const total = shapes.reduce((s, sh) => (s === null || sh[axis] === null ? null : s + (sh[axis] as number)), 0 as number | null);
  const shape = shapes[0].map((d, i) => (i === axis ? total : d));
  const attrs = { T: F32, N: { int: xs.length }, Tidx: INT32 };
  return t.record("ConcatV2", [...xs, t.constant([axis], [], "int32")], attrs, [shape], () => ([dy]) => {
    let offset = 0;
    const grads = shapes.map((sh) => {
      const begin = sh.map((_, i) => (i === axis ? offset : 0));
      offset += sh[axis] as number;
      return slice(t, dy!, begin, sh);
    });
    return [...grads, null];
  })[0];
}
