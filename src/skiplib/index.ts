/**
 * skiplib: the library the skipbook notebooks import.
 * Blocks and models with plain, residual (addition), dense (concatenation), highway and U-Net (long) skips,
 * and the instruments that measure what skips change.
 */
export { tf, ready, backendInfo, backendSummary, backendFallbackReasons } from "./backend";
export type { BackendInfo, BackendName } from "./backend";
// probes: per-layer gradient norms, update sizes, shattered gradients, path lengths
export { layerGradientNorms, activationGradientNorms, firstToLastRatio } from "./probes/gradient-norms";
export type { LayerGradientNorm, ActivationGradientNorm, GradientProbeOptions } from "./probes/gradient-norms";
export { updateSizes } from "./probes/update-size";
export type { LayerUpdateSize } from "./probes/update-size";
export { resolveLoss, lossFor, LOSS_NAMES } from "./probes/loss";
export type { LossName, LossFn, LossSpec } from "./probes/loss";
export { runGraph } from "./probes/graph";
export type { RunGraphOptions, GraphCall } from "./probes/graph";
