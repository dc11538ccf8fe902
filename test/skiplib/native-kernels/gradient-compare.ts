import assert from "node:assert/strict";

/** What fixtures/resnet-gradients.ts prints: the loss and each trainable weight's gradient, by weight name. */
export interface GradientRun {
  loss: number;
  gradients: Record<string, number[]>;
}

/** ‖a − b‖ / ‖b‖ (0 when both are zero): a gradient's error relative to its size, immune to near-zero entries. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/** The same weights, a loss within `tolerance` relative and every gradient within `tolerance` relative (L2). */
export function assertGradientsClose(actual: GradientRun, expected: GradientRun, tolerance: number): void {
  assert.deepEqual(Object.keys(actual.gradients).sort(), Object.keys(expected.gradients).sort(), "the same trainable weights");
  assert.ok(Math.abs(actual.loss - expected.loss) <= tolerance * Math.abs(expected.loss), `loss ${actual.loss} vs ${expected.loss}`);
  for (const [name, g] of Object.entries(expected.gradients)) {
    assert.equal(actual.gradients[name].length, g.length, `${name}: size`);
    const error = relativeError(actual.gradients[name], g);
    assert.ok(error <= tolerance, `${name}: relative error ${error.toExponential(2)} > ${tolerance}`);
  }
}
