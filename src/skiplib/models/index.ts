/** Model builders: each returns an uncompiled, seeded tf.LayersModel with readable, depth-ordered layer names. */
export { plainMLP, residualMLP, highwayMLP } from "./mlp";
export type { MlpOptions, ResidualMlpOptions, HighwayMlpOptions } from "./mlp";
export { cifarResNet, cifarPlainNet, cifarBlocksPerStage, resNet34Stem } from "./cifar";
export type { CifarNetOptions } from "./cifar";
export { denseNet, denseLayersPerBlock } from "./densenet";
export type { DenseNetOptions } from "./densenet";
export { uNet, uNetWithoutSkipsAtEqualParams } from "./unet";
export type { UNetOptions } from "./unet";
export { shallowSegmenter, fitThreshold } from "./segmentation-baselines";
export type { ShallowSegmenterOptions, ThresholdSegmenter } from "./segmentation-baselines";
export { transformer, residualStreamNames, transformerDepth, TRANSFORMER_VARIANTS } from "./transformer";
export type { TransformerOptions, TransformerVariant } from "./transformer";
