/**
 * Element-wise and reduction ops on a GraphTape, each with tfjs-core's gradient. Binary ops broadcast as tfjs
 * does, and a broadcast operand's gradient is summed over the broadcast axes, as tfjs's.
 */
import type { Ref } from "./graph-def";
import { F32, type GraphTape, type Shape } from "./tape";

const T = { T: F32 };

/** NumPy broadcasting of two static shapes (null: the batch, equal on both sides). */
function broadcastShape(t: GraphTape, a: Ref, b: Ref): Shape {
  const [sa, sb] = [t.shape(a), t.shape(b)];
  const rank = Math.max(sa.length, sb.length);
  return Array.from({ length: rank }, (_, i) => {
    const [ia, ib] = [i - rank + sa.length, i - rank + sb.length];
    const da = ia < 0 ? 1 : sa[ia];
    const db = ib < 0 ? 1 : sb[ib];
    return da === 1 ? db : da;
  });
}

/** A broadcast operand's gradient: summed over the axes it was broadcast along (tfjs's getReductionAxes). */
function unbroadcast(t: GraphTape, operand: Ref, grad: Ref, out: Shape): Ref | null {
  if (!t.isTracked(operand)) return null;
  const shape = t.shape(operand);
  const lead = out.length - shape.length;
  const axes = out.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && out[i] !== 1));
  if (axes.length === 0) return grad;
  const summed = t.raw("Sum", [grad, t.constant(axes, [axes.length], "int32")], { T: F32, Tidx: { type: "int32" }, keep_dims: { bool: true } });
  return t.raw("Reshape", [summed, t.constant(shape.map((d) => d ?? -1), [shape.length], "int32")], { T: F32, Tshape: { type: "int32" } }, shape);
}

export function add(t: GraphTape, a: Ref, b: Ref): Ref {
  const shape = broadcastShape(t, a, b);
  return t.record("AddV2", [a, b], T, [shape], () => ([dy]) => [unbroadcast(t, a, dy!, shape), unbroadcast(t, b, dy!, shape)])[0];
}

export function sub(t: GraphTape, a: Ref, b: Ref): Ref {
  const shape = broadcastShape(t, a, b);
  return t.record("Sub", [a, b], T, [shape], () => ([dy]) => [unbroadcast(t, a, dy!, shape), t.isTracked(b) ? unbroadcast(t, b, neg(t, dy!), shape) : null])[0];
}

export function mul(t: GraphTape, a: Ref, b: Ref): Ref {
  const shape = broadcastShape(t, a, b);
  return t.record("Mul", [a, b], T, [shape], () => ([dy]) => [
    t.isTracked(a) ? unbroadcast(t, a, mul(t, dy!, b), shape) : null,
    t.isTracked(b) ? unbroadcast(t, b, mul(t, dy!, a), shape) : null,
  ])[0];
}

export function div(t: GraphTape, a: Ref, b: Ref): Ref {
  const shape = broadcastShape(t, a, b);
  return t.record("RealDiv", [a, b], T, [shape], () => ([dy]) => [
    t.isTracked(a) ? unbroadcast(t, a, div(t, dy!, b), shape) : null,
    // tfjs: −(dy·a)/b²
    t.isTracked(b) ? unbroadcast(t, b, neg(t, div(t, mul(t, dy!, a), square(t, b))), shape) : null,
  ])[0];
}

function unary(t: GraphTape, op: string, x: Ref, grad: (dy: Ref, y: Ref) => Ref): Ref {
  return t.record(op, [x], T, [t.shape(x)], ([y]) => ([dy]) => [grad(dy!, y)])[0];
}

export const neg = (t: GraphTape, x: Ref): Ref => unary(t, "Neg", x, (dy) => neg(t, dy));
export const square = (t: GraphTape, x: Ref): Ref => unary(t, "Square", x, (dy) => mul(t, dy, mul(t, x, t.scalar(2))));
export const log = (t: GraphTape, x: Ref): Ref => unary(t, "Log", x, (dy) => div(t, dy, x));
export const exp = (t: GraphTape, x: Ref): Ref => unary(t, "Exp", x, (dy, y) => mul(t, dy, y));
export const log1p = (t: GraphTape, x: Ref): Ref => unary(t, "Log1p", x, (dy) => div(t, dy, add(t, t.scalar(1), x)));
/** |x|; tfjs's gradient is dy·step(x, −1): +1 for x > 0, −1 for x ≤ 0 (−1 at 0, where Sign would give 0), NaN for NaN. */
export const abs = (t: GraphTape, x: Ref): Ref =>
  unary(t, "Abs", x, (dy) => {
    const bool = { T: F32 };
    const sign = t.raw("SelectV2", [t.raw("Greater", [x, t.scalar(0)], bool), t.scalar(1), t.scalar(-1)], T, t.shape(x));
    return mul(t, dy, t.raw("SelectV2", [t.raw("IsNan", [x], bool), x, sign], T, t.shape(x)));
  });
/**
 * ReLU as Maximum(x, 0): TensorFlow's graph optimiser fuses a Relu into the op before it (a bias add, a batch norm
 * in either mode) with a max(0, x) that turns NaN into 0, where the eager Relu keeps NaN (a ResNet step on a NaN
 * input then reports a finite loss and NaN weights); Maximum is not fused, so a diverged model still shows a NaN
 * loss. The gradient is ReluGrad, tfjs's dy·[x > 0].
 */
export function relu(t: GraphTape, x: Ref): Ref {
  return t.record("Maximum", [x, t.scalar(0)], T, [t.shape(x)], ([y]) => ([dy]) => [t.raw("ReluGrad", [dy!, y], T, t.shape(x)), null])[0];
}
export const sigmoid = (t: GraphTape, x: Ref): Ref => unary(t, "Sigmoid", x, (dy, y) => t.raw("SigmoidGrad", [y, dy], T, t.shape(x)));
export const tanh = (t: GraphTape, x: Ref): Ref => unary(t, "Tanh", x, (dy, y) => t.raw("TanhGrad", [y, dy], T, t.shape(x)));

/** Softmax over the last axis; tfjs's gradient: dy·y − Σ(dy·y)·y. */
export function softmax(t: GraphTape, x: Ref): Ref {
  const rank = t.shape(x).length;
  return unary(t, "Softmax", x, (dy, y) => {
    const dyTimesY = mul(t, dy, y);
    return sub(t, dyTimesY, mul(t, sum(t, dyTimesY, [rank - 1], true), y));
  });
}

/** x clipped to [lo, hi] as tfjs-node computes it (Minimum, then Maximum: NaN stays NaN); tfjs's gradient passes where lo ≤ x ≤ hi. */
export function clip(t: GraphTape, x: Ref, lo: number, hi: number): Ref {
  const [min, max] = [t.scalar(lo), t.scalar(hi)];
  // the gradient is masked once, at the Maximum, by where x was; the Minimum passes it through
  const below = t.record("Minimum", [x, max], T, [t.shape(x)], () => ([dy]) => [dy, null])[0];
  return t.record("Maximum", [below, min], T, [t.shape(x)], () => ([dy]) => {
    const inside = t.raw("LogicalAnd", [t.raw("GreaterEqual", [x, min], T), t.raw("LessEqual", [x, max], T)]);
    return [t.raw("SelectV2", [inside, dy!, t.raw("ZerosLike", [dy!], T)], T, t.shape(x)), null];
  })[0];
}

/** Spreads a reduced gradient back over the reduced axes (shape `keep`: those axes of size 1). */
function spread(t: GraphTape, dy: Ref, x: Ref, axes: number[]): Ref {
  const shape = t.shape(x);
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d ?? -1));
  const kept = t.raw("Reshape", [dy, t.constant(keep, [keep.length], "int32")], { T: F32, Tshape: { type: "int32" } });
  return t.raw("BroadcastTo", [kept, t.raw("Shape", [x], { T: F32, out_type: { type: "int32" } })], { T: F32, Tidx: { type: "int32" } }, shape);
}

function reduced(shape: Shape, axes: number[], keepDims: boolean): Shape {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export function sum(t: GraphTape, x: Ref, axes: number[], keepDims = false): Ref {
  const attrs = { T: F32, Tidx: { type: "int32" as const }, keep_dims: { bool: keepDims } };
  return t.record("Sum", [x, t.constant(axes, [axes.length], "int32")], attrs, [reduced(t.shape(x), axes, keepDims)], () => ([dy]) => [spread(t, dy!, x, axes), null])[0];
}

/** Mean over `axes`; the gradient (tfjs's) is the spread gradient divided by the number of reduced elements. */
export function mean(t: GraphTape, x: Ref, axes: number[], keepDims = false): Ref {
  const attrs = { T: F32, Tidx: { type: "int32" as const }, keep_dims: { bool: keepDims } };
  return t.record("Mean", [x, t.constant(axes, [axes.length], "int32")], attrs, [reduced(t.shape(x), axes, keepDims)], ([y]) => ([dy]) => {
    const shape = t.shape(x);
    const sizes = axes.map((a) => shape[a]);
    // a reduction over the batch (a loss's mean) divides by the batch size, known only at run time: |x| / |mean|
    const size = (r: Ref) => t.raw("Cast", [t.raw("Size", [r], { T: F32, out_type: { type: "int32" } })], { SrcT: { type: "int32" }, DstT: F32 }, []);
    const known = sizes.every((d) => d !== null) ? (sizes as number[]).reduce((p, d) => p * d, 1) : undefined;
    const count = known !== undefined ? t.scalar(known) : div(t, size(x), size(y));
    return [div(t, spread(t, dy!, x, axes), count), null];
  })[0];
}

export function reshape(t: GraphTape, x: Ref, shape: Shape): Ref {
  const target = t.constant(shape.map((d) => d ?? -1), [shape.length], "int32");
  return t.record("Reshape", [x, target], { T: F32, Tshape: { type: "int32" } }, [shape], () => ([dy]) => [
    t.raw("Reshape", [dy!, t.raw("Shape", [x], { T: F32, out_type: { type: "int32" } })], { T: F32, Tshape: { type: "int32" } }, t.shape(x)),
    null,
  ])[0];
}
