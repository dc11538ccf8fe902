/** Blocks: the units the models are built from, each a function of a symbolic tensor. */
export { skipMerge, SKIP_MODES } from "./merge";
export type { SkipMode } from "./merge";
export { residualBlock, residualOutChannels } from "./residual";
export type { ResidualBlockOptions, ShortcutType } from "./residual";
export { SHORTCUT_VARIANTS, resolveShortcutVariant } from "./shortcuts";
export type { ShortcutVariant, ShortcutVariantKind, ResolvedShortcutVariant } from "./shortcuts";
export { plainBlock } from "./plain";
export type { PlainBlockOptions } from "./plain";
export { denseLayer, denseBlock, transitionLayer } from "./dense";
export type { DenseLayerOptions, DenseBlockOptions, TransitionOptions } from "./dense";
export { highwayBlock, MLP_ACTIVATIONS } from "./highway";
export type { HighwayBlockOptions, MlpActivation } from "./highway";
export { unetEncoderStage, unetDecoderStage } from "./unet";
export type { UNetStageOptions } from "./unet";
export { ZeroPadShortcut, HighwayCombine, ShortcutDropout } from "./layers";
export type { BlockContext } from "./conv";
// the Transformer block (Vaswani et al. 2017): self-attention and an MLP, each inside a pre-LN or post-LN residual block
export { transformerBlock, layerNorm, PositionEmbedding, NORM_POSITIONS } from "./transformer";
export type { TransformerBlockOptions, NormPosition, PositionEmbeddingArgs } from "./transformer";
export { MultiHeadSelfAttention, causalMask } from "./attention";
export type { SelfAttentionArgs } from "./attention";
export { FeedForward } from "./feed-forward";
export type { FeedForwardArgs } from "./feed-forward";
export { LayerNorm, layerNormalize } from "./layer-norm";
export type { LayerNormArgs } from "./layer-norm";
