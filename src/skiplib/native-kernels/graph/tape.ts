/**
 * Reverse-mode differentiation of a TensorFlow graph as it is built: each differentiable op records how to emit
 * its inputs' gradients from its outputs' gradients, and `gradients()` walks the records backwards, summing a
 * tensor's gradients from all its consumers (AddN), as tfjs's tape does eagerly. Each rule follows tfjs-core's
 * gradient for the same op, so the graph differentiates what tfjs would, in the same order of float operations
 * where that is cheap to keep.
 */
import { GraphBuilder, type Attr, type DType, type Ref } from "./graph-def";

/** A static shape; null for a size known only at run time (the batch). */
export type Shape = (number | null)[];

type GradRule = (dys: (Ref | null)[]) => (Ref | null)[];

interface Record {
  inputs: Ref[];
  outputs: Ref[];
  grad: GradRule;
}

export const F32: Attr = { type: "float32" };

export class GraphTape {
  readonly g = new GraphBuilder();
  private shapes = new Map<Ref, Shape>();
  private tracked = new Set<Ref>();
  private records: Record[] = [];
  private recording = true;

  shape(ref: Ref): Shape {
    const shape = this.shapes.get(ref);
    if (!shape) throw new Error(`no static shape recorded for ${ref}`);
    return shape;
  }

  /** Whether gradients flow back to `ref` (it depends on a tracked placeholder). */
  isTracked(ref: Ref): boolean {
    return this.tracked.has(ref);
  }

  /** A placeholder; `tracked` ones are what gradients are taken with respect to (weights). */
  input(name: string, shape: Shape, tracked = false, dtype: DType = "float32"): Ref {
    const ref = this.g.placeholder(name, dtype, shape);
    this.shapes.set(ref, shape);
    if (tracked) this.tracked.add(ref);
    return ref;
  }

  constant(values: ArrayLike<number>, shape: number[], dtype: DType = "float32"): Ref {
    const ref = this.g.constant(values, shape, dtype);
    this.shapes.set(ref, shape);
    return ref;
  }

  scalar(value: number): Ref {
    return this.constant([value], []);
  }

  /** An op with no gradient (shape arithmetic, statistics, gradients themselves). */
  raw(op: string, inputs: Ref[], attrs: { [k: string]: Attr } = {}, shape?: Shape, name?: string): Ref {
    const ref = this.g.op(op, inputs, attrs, name);
    if (shape) this.shapes.set(ref, shape);
    return ref;
  }

  /** A differentiable op: `outputs` are its first `shapes.length` outputs; `grad` maps their gradients to the inputs'. */
  record(op: string, inputs: Ref[], attrs: { [k: string]: Attr }, shapes: Shape[], grad: (outputs: Ref[]) => GradRule, name?: string): Ref[] {
    const node = this.g.op(op, inputs, attrs, name);
    const outputs = shapes.map((_, i) => (i === 0 ? node : `${node}:${i}`));
    outputs.forEach((ref, i) => this.shapes.set(ref, shapes[i]));
    if (this.recording && inputs.some((input) => this.tracked.has(input))) {
      outputs.forEach((ref) => this.tracked.add(ref));
      this.records.push({ inputs, outputs, grad: grad(outputs) });
    }
    return outputs;
  }

  /** Sums gradients: AddN of several, the one itself, or null for none. */
  sum(parts: Ref[], shape: Shape): Ref | null {
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0];
    return this.raw("AddN", parts, { T: F32, N: { int: parts.length } }, shape, "grad/AddN");
  }

  /** ∂loss/∂ref for each ref in `wrt` (null where the loss does not depend on it); ∂loss/∂loss = `seed`. */
  gradients(loss: Ref, seed: Ref, wrt: Ref[]): (Ref | null)[] {
    this.recording = false; // the gradient ops are not differentiated again
    const pending = new Map<Ref, Ref[]>([[loss, [seed]]]);
    const settled = new Map<Ref, Ref | null>();
    const take = (ref: Ref): Ref | null => {
      if (!settled.has(ref)) settled.set(ref, this.sum(pending.get(ref) ?? [], this.shape(ref)));
      return settled.get(ref)!;
    };
    for (let i = this.records.length - 1; i >= 0; i--) {
      const record = this.records[i];
      if (!record.outputs.some((ref) => pending.has(ref))) continue;
      const dys = record.outputs.map(take);
      const dxs = record.grad(dys);
      record.inputs.forEach((input, k) => {
        const dx = dxs[k];
        if (dx === null || dx === undefined || !this.tracked.has(input)) return;
        if (settled.has(input)) throw new Error(`gradient of ${input} needed after it was summed: records out of order`);
        pending.set(input, [...(pending.get(input) ?? []), dx]);
      });
    }
    return wrt.map((ref) => (pending.has(ref) ? take(ref) : null));
  }
}
