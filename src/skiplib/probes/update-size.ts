/**
 * The update-size view of vanishing gradients: plain SGD changes a layer by |Δw| = λ·|∂L/∂w|, so an average
 * gradient of 1e-15 with λ = 1e-4 moves the weights by 1e-19 — nothing, in float32 or otherwise.
 */
import type { LayerGradientNorm } from "./gradient-norms";

export interface LayerUpdateSize {
  layer: string;
  depth: number;
  /** ‖Δw‖ = λ·‖∂L/∂w‖ over the layer's weights. */
  updateNorm: number;
  /** Mean |Δw| per weight = λ · mean |∂L/∂w|. */
  meanAbsUpdate: number;
  /** ‖Δw‖ / ‖w‖: the fraction by which one step changes the layer (0 when the weights are all zero). */
  relativeUpdate: number;
}

/** One SGD step's size per layer, |Δw| = λ·|∂L/∂w|, from `layerGradientNorms` output. */
export function updateSizes(norms: readonly LayerGradientNorm[], learningRate: number): LayerUpdateSize[] {
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new Error(`learningRate must be a positive finite number, got ${learningRate}`);
  }
  return norms.map((n) => ({
    layer: n.layer,
    depth: n.depth,
    updateNorm: learningRate * n.gradNorm,
    meanAbsUpdate: learningRate * n.meanAbsGrad,
    relativeUpdate: n.weightNorm > 0 ? (learningRate * n.gradNorm) / n.weightNorm : 0,
  }));
}
