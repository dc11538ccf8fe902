/**
 * The plain block: the residual block's layers without the shortcut (He et al. 2015's "plain" baselines).
 * It is `residualBlock` with skip "none", so the two nets being compared differ in the skip and nothing else.
 */
import { tf } from "../backend";
import { residualBlock, type ResidualBlockOptions } from "./residual";

export type PlainBlockOptions = Omit<ResidualBlockOptions, "skip" | "shortcut" | "zeroInitResidual">;

/** A stack of convs with BN and ReLU and no skip: He et al. 2015's plain counterpart of a residual block. */
export function plainBlock(x: tf.SymbolicTensor, options: PlainBlockOptions): tf.SymbolicTensor {
  return residualBlock(x, { ...options, skip: "none" });
}
