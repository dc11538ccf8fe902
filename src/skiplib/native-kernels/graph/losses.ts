/**
 * tfjs-layers' losses as graph ops, op for op as tfjs-layers/src/losses.ts computes them (ε = 1e-7, the float32
 * backend epsilon), so the graph's loss and its gradient are tfjs's. Each returns the per-sample loss [n].
 */
import type { Ref } from "./graph-def";
import { UnsupportedModel } from "./layers";
import * as m from "./math-ops";
import type { GraphTape } from "./tape";

const EPSILON = 1e-7;

type Loss = (t: GraphTape, target: Ref, output: Ref) => Ref;

const LOSSES: Record<string, Loss> = {
  categoricalCrossentropy(t, target, output) {
    const last = t.shape(output).length - 1;
    const scaled = m.div(t, output, m.sum(t, output, [last], true));
    const clipped = m.clip(t, scaled, EPSILON, 1 - EPSILON);
    return m.neg(t, m.sum(t, m.mul(t, target, m.log(t, clipped)), [last]));
  },

  meanSquaredError(t, target, output) {
    return m.mean(t, m.square(t, m.sub(t, output, target)), [t.shape(output).length - 1]);
  },

  binaryCrossentropy(t, target, output) {
    const clipped = m.clip(t, output, EPSILON, 1 - EPSILON);
    const logits = m.log(t, m.div(t, clipped, m.sub(t, t.scalar(1), clipped)));
    // sigmoidCrossEntropyWithLogits: max(x, 0) − x·z + log(1 + exp(−|x|))
    const perElement = m.add(t, m.sub(t, m.relu(t, logits), m.mul(t, logits, target)), m.log1p(t, m.exp(t, m.neg(t, m.abs(t, logits)))));
    return m.mean(t, perElement, [t.shape(output).length - 1]);
  },
};

/** The per-sample loss named by `name` (a string given to `model.compile`), or UnsupportedModel. */
export function emitLoss(name: unknown, t: GraphTape, target: Ref, output: Ref): Ref {
  const loss = typeof name === "string" ? LOSSES[name] : undefined;
  if (!loss) throw new UnsupportedModel(`loss ${typeof name === "string" ? `"${name}"` : "given as a function"}`);
  return loss(t, target, output);
}
