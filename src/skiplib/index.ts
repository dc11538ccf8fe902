/**
 * skiplib: the library the skipbook notebooks import.
 * Blocks and models with plain, residual (addition), dense (concatenation), highway and U-Net (long) skips,
 * and the instruments that measure what skips change.
 */
export { tf, ready, backendInfo, backendSummary, backendFallbackReasons } from "./backend";
export type { BackendInfo, BackendName } from "./backend";
// probes: per-layer gradient norms, update sizes, shattered gradients, path lengths, feature reuse in dense blocks
export { layerGradientNorms, activationGradientNorms, firstToLastRatio } from "./probes/gradient-norms";
export type { LayerGradientNorm, ActivationGradientNorm, GradientProbeOptions } from "./probes/gradient-norms";
export { updateSizes } from "./probes/update-size";
export type { LayerUpdateSize } from "./probes/update-size";
export { gradientCorrelation, shatteredGradients, lagCorrelation } from "./probes/shattered";
export type { GradientCorrelation, GradientCorrelationOptions, ShatteredPoint } from "./probes/shattered";
export { pathLengthDistribution, pathCounts, blockDeletion, residualBlocks, shortcutGradients } from "./probes/paths";
export type { PathLengthDistribution, PathLengthOptions, BlockDeletion, ResidualBlock, ShortcutGradient } from "./probes/paths";
// lesion studies (Veit et al. 2016): delete blocks of residual and plain nets, ‖F(x)‖/‖h(x)‖ per block
export { netBlocks, deleteBlocks, lesionCurve, branchRatios } from "./probes/lesion";
export type { NetBlock, LesionResult, LesionPoint, LesionCurveOptions, LesionOptions, BranchRatio } from "./probes/lesion";
export { denseBlockLayout, sourceChannels, denseWeightReuse, cutInputChannels, denseConnectionAblation } from "./probes/feature-reuse";
export type { DenseBlockLayout, ConnectionAblation, ConnectionAblationOptions } from "./probes/feature-reuse";
export { resolveLoss, lossFor, LOSS_NAMES } from "./probes/loss";
export type { LossName, LossFn, LossSpec } from "./probes/loss";
export { runGraph } from "./probes/graph";
export type { RunGraphOptions, GraphCall } from "./probes/graph";
// the logit lens (nostalgebraist 2020): each residual stream of a Transformer decoded with its final norm and unembedding
export { logitLens } from "./probes/logit-lens";
export type { LogitLensRow, LogitLensOptions } from "./probes/logit-lens";
// loss surfaces (Li et al. 2018): filter-normalised directions, 1-D curves, 2-D grids
export { filterNormalizedDirection, normalizeFilters, filterNorms } from "./surface/directions";
export type { DirectionOptions } from "./surface/directions";
export { lossSurface1D } from "./surface/line";
export type { Surface1DOptions, LossSurface1D } from "./surface/line";
export { lossSurface2D, linspace } from "./surface/grid";
export type { Surface2DOptions, SurfaceOptions, SurfaceProgress, LossSurface2D } from "./surface/grid";
export { perturbedLoss } from "./surface/evaluator";
export type { PerturbedLoss, EvaluatorOptions } from "./surface/evaluator";
// the identity-mapping construction (He et al. 2015): deeper nets with exactly the shallow net's outputs
export { identityExtend, identityDifference } from "./identity";
export type { IdentityExtendOptions } from "./identity";
export { identityDeepenPlainNet } from "./identity-deepen";
// blocks and models (He et al. 2015/2016, Huang et al. 2017, Srivastava et al. 2015, Ronneberger et al. 2015)
export * from "./blocks";
export * from "./models";
export { countParams, layerSummary } from "./params";
export type { LayerRow } from "./params";
export { DEFAULT_SEED, layerSeed } from "./seed";
export { nonConvexShare } from "./surface/non-convexity";
// datasets: synthetic 2-D tasks, shapes segmentation, Fashion-MNIST from Debian's files
export * from "./data";
// training with progress, evaluation, metrics
export { fit, evaluate, recalibrateBatchNorm, recalibratedErrors, NonFiniteLossError } from "./train";
export type { FitOptions, History, TrainTestErrors } from "./train";
// next-token training for the token tasks: flat Adam with warm-up, loss and accuracy on the scored positions
export { trainSequenceModel, evaluateTokens, warmupLearningRate } from "./train/sequence";
export type { SequenceTrainOptions, SequenceHistory } from "./train/sequence";
export { tokenCrossEntropy, tokenAccuracy } from "./train/token-loss";
export { progressBar } from "./progress";
export type { ProgressBar, ProgressMode } from "./progress";
export { iou, boundaryIoU, boundaryMask, accuracy } from "./metrics";
// trained weights reused across chapters, keyed on everything that determines them (Node only)
export { cachedTraining, trainedKey, trainedCacheDir } from "./experiments/trained-cache";
export type { CachedTraining } from "./experiments/trained-cache";
// the small CIFAR experiment (He et al. 2015 §4.2 at CPU scale) that chapters 2, 3 and 6 share
export { SMALL_CIFAR, smallCifarSchedule, smallCifarNetOptions, smallCifarData, trainSmallCifarNet } from "./experiments/small-cifar";
export type { SmallCifarSettings, SmallCifarKind } from "./experiments/small-cifar";
// claims over seeds: mean and range, paired and spread-based comparisons
export { summarize, meanRange, lowerInEverySeed, seedsWhereLower, gapOverSpread, separated, checkSeeds } from "./stats/seeds";
export type { SeedSummary } from "./stats/seeds";
// Plotly figures and show()
export * from "./plot";
