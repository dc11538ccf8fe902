/**
 * skiplib's browser-safe core: everything that runs wherever TensorFlow.js runs, with no `node:` import and no
 * Node-only module behind it. The book's live panels bundle this for the reader's browser (src/book/live/bundle.ts),
 * with the two seams swapped: `./backend` becomes `./browser/backend` (WebGPU, WebGL, WASM or CPU instead of the
 * native backend) and `./progress` becomes `./browser/progress` (no terminal). Node code imports `./index`, which
 * holds all of this plus the Node-only parts (Fashion-MNIST from disk, the trained-weights cache, SMALL_CIFAR, show()).
 * test/skiplib/browser-core.test.ts bundles it for a browser and fails on a Node-only import.
 */
// probes: per-layer gradient norms, update sizes, shattered gradients, path lengths, lesions, feature reuse, logit lens
export { layerGradientNorms, activationGradientNorms, firstToLastRatio } from "./probes/gradient-norms";
export type { LayerGradientNorm, ActivationGradientNorm, GradientProbeOptions } from "./probes/gradient-norms";
export { updateSizes } from "./probes/update-size";
export type { LayerUpdateSize } from "./probes/update-size";
export { gradientCorrelation, shatteredGradients, lagCorrelation } from "./probes/shattered";
export type { GradientCorrelation, GradientCorrelationOptions, ShatteredPoint } from "./probes/shattered";
export { pathLengthDistribution, pathCounts, blockDeletion, residualBlocks, shortcutGradients } from "./probes/paths";
export type { PathLengthDistribution, PathLengthOptions, BlockDeletion, ResidualBlock, ShortcutGradient } from "./probes/paths";
export { netBlocks, deleteBlocks, lesionCurve, branchRatios } from "./probes/lesion";
export type { NetBlock, LesionResult, LesionPoint, LesionCurveOptions, LesionOptions, BranchRatio } from "./probes/lesion";
export { denseBlockLayout, sourceChannels, denseWeightReuse, cutInputChannels, denseConnectionAblation } from "./probes/feature-reuse";
export type { DenseBlockLayout, ConnectionAblation, ConnectionAblationOptions } from "./probes/feature-reuse";
export { resolveLoss, lossFor, LOSS_NAMES } from "./probes/loss";
export type { LossName, LossFn, LossSpec } from "./probes/loss";
export { runGraph } from "./probes/graph";
export type { RunGraphOptions, GraphCall } from "./probes/graph";
export { logitLens } from "./probes/logit-lens";
export type { LogitLensRow, LogitLensOptions } from "./probes/logit-lens";
// loss surfaces (Li et al. 2018)
export { filterNormalizedDirection, normalizeFilters, filterNorms } from "./surface/directions";
export type { DirectionOptions } from "./surface/directions";
export { lossSurface1D } from "./surface/line";
export type { Surface1DOptions, LossSurface1D } from "./surface/line";
export { lossSurface2D, linspace } from "./surface/grid";
export type { Surface2DOptions, SurfaceOptions, SurfaceProgress, LossSurface2D } from "./surface/grid";
export { perturbedLoss } from "./surface/evaluator";
export type { PerturbedLoss, EvaluatorOptions } from "./surface/evaluator";
export { nonConvexShare } from "./surface/non-convexity";
// the identity-mapping construction
export { identityExtend, identityDifference } from "./identity";
export type { IdentityExtendOptions } from "./identity";
export { identityDeepenPlainNet } from "./identity-deepen";
// blocks and models
export * from "./blocks";
export * from "./models";
export { countParams, layerSummary } from "./params";
export type { LayerRow } from "./params";
export { DEFAULT_SEED, layerSeed } from "./seed";
// synthetic datasets (Fashion-MNIST reads files: Node only)
export { twoSpirals } from "./data/spirals";
export type { SpiralOptions } from "./data/spirals";
export { shapesSegmentation } from "./data/shapes";
export type { ShapesOptions } from "./data/shapes";
export { discsAmongSquares, DISCS_AMONG_SQUARES } from "./data/discs-among-squares";
export type { DiscsAmongSquaresOptions } from "./data/discs-among-squares";
export { sequenceTask, positionTokenBaseline, SEQUENCE_TASKS } from "./data/sequence-tasks";
export type { SequenceTask, SequenceTaskOptions, SequenceTaskName } from "./data/sequence-tasks";
export { parkMiller } from "./data/random";
export type { Dataset } from "./data/types";
// training and evaluation (progress goes through the progress seam)
export { fit, evaluate, recalibrateBatchNorm, recalibratedErrors, NonFiniteLossError } from "./train";
export type { FitOptions, History, TrainTestErrors } from "./train";
export { trainSequenceModel, evaluateTokens, warmupLearningRate } from "./train/sequence";
export type { SequenceTrainOptions, SequenceHistory } from "./train/sequence";
export { tokenCrossEntropy, tokenAccuracy } from "./train/token-loss";
export { iou, boundaryIoU, boundaryMask, accuracy } from "./metrics";
// claims over seeds
export { summarize, meanRange, lowerInEverySeed, seedsWhereLower, gapOverSpread, separated, checkSeeds } from "./stats/seeds";
export type { SeedSummary } from "./stats/seeds";
// Plotly figure builders (show() writes to a notebook: Node only)
export type { Figure, Trace, Layout, Axis, Title } from "./plot/figure";
export { plotLines } from "./plot/lines";
export type { Series, LineOptions } from "./plot/lines";
export { plotSurface } from "./plot/surface";
export type { SurfaceGrid } from "./plot/surface";
export { plotImages } from "./plot/images";
export type { ImageRow } from "./plot/images";
export { plotHeatmap } from "./plot/heatmap";
export type { HeatmapOptions } from "./plot/heatmap";
export { plotSeedLines, plotMeanRange } from "./plot/seeds";
export type { SeedSeries, SeedPlotOptions } from "./plot/seeds";
