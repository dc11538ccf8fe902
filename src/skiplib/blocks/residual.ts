/**
 * The residual block of He et al. 2015 ("Deep Residual Learning", fig. 2 and fig. 5) and its pre-activation
 * form from He et al. 2016 ("Identity Mappings in Deep Residual Networks", fig. 4e): y = shortcut(x) + F(x).
 * With `skip: "none"` the same layers without the addition are the plain block (see plain.ts). The shortcut may be
 * one of He et al. 2016's variants (Table 1: scaled, gated, 1×1 conv, dropout; see shortcuts.ts) and the branch
 * scaled by α; the defaults (identity, α = 1) add no layer.
 */
import { tf } from "../backend";
import { DEFAULT_SEED } from "../seed";
import { batchNorm, bnRelu, channels, conv, positiveInteger, relu, type BlockContext } from "./conv";
import { ZeroPadShortcut } from "./layers";
import { skipMerge, type SkipMode } from "./merge";
import { checkBranchScale, resolveShortcutVariant, shortcutPaths, type ShortcutVariant } from "./shortcuts";

type Symbolic = tf.SymbolicTensor;

/** How the shortcut changes shape when the branch does: A = zero-padding + subsampling, B = 1×1 projection + BN. */
export type ShortcutType = "A" | "B";

export interface ResidualBlockOptions extends BlockContext {
  /** Branch width; the block outputs `filters` channels (basic) or `filters·expansion` (bottleneck). */
  filters: number;
  /** Stride of the block's first spatial conv (2 halves height and width). Default 1. */
  strides?: number;
  /** "basic": two 3×3 convs. "bottleneck": 1×1 → 3×3 → 1×1 (×expansion). Default "basic". */
  kind?: "basic" | "bottleneck";
  /** Output channels of a bottleneck block per branch channel. Default 4. */
  expansion?: number;
  /** He et al. 2016 ordering BN → ReLU → conv, nothing after the addition. Default false (He 2015: conv → BN → ReLU, ReLU after the addition). */
  preActivation?: boolean;
  /** Shortcut used only when the block changes shape; identity otherwise. Default "B". */
  shortcut?: ShortcutType;
  /** "add" (residual, default) or "none" (plain block: the same branch, no skip). */
  skip?: Extract<SkipMode, "add" | "none">;
  /** Zero the last BN's γ (or the last conv, pre-activation) so the branch outputs 0 and the block starts as the shortcut. */
  zeroInitResidual?: boolean;
  /**
   * What the shortcut does besides matching shapes (He et al. 2016, Table 1): "identity" (default), "scale" (λx),
   * "exclusive-gate", "shortcut-gate", "conv" (a 1×1 projection on every block) or "dropout". See shortcuts.ts.
   */
  shortcutVariant?: ShortcutVariant;
  /** α in y = h(x) + α·F(x), e.g. 1/√blocks so the stream's variance stays bounded with depth. Default 1 (no layer). */
  branchScale?: number;
}

function checkOptions(o: ResidualBlockOptions): void {
  positiveInteger(o.filters, "filters");
  positiveInteger(o.strides ?? 1, "strides");
  positiveInteger(o.expansion ?? 4, "expansion");
  if (o.kind !== undefined && o.kind !== "basic" && o.kind !== "bottleneck") throw new Error(`kind must be "basic" or "bottleneck", got "${o.kind}"`);
  if (o.shortcut !== undefined && o.shortcut !== "A" && o.shortcut !== "B") throw new Error(`shortcut must be "A" (zero-padding) or "B" (projection), got "${o.shortcut}"`);
  if (o.skip !== undefined && o.skip !== "add" && o.skip !== "none") throw new Error(`skip must be "add" or "none" for a residual/plain block, got "${o.skip}"`);
  if (o.zeroInitResidual && o.skip === "none") throw new Error(`zeroInitResidual needs skip "add": a plain block with a zeroed branch outputs zeros`);
  const variant = resolveShortcutVariant(o.shortcutVariant);
  const scale = checkBranchScale(o.branchScale);
  if (o.skip === "none" && (variant.kind !== "identity" || scale !== 1)) {
    throw new Error(`shortcutVariant and branchScale need skip "add": a plain block (skip "none") has no shortcut, got ${JSON.stringify({ shortcutVariant: o.shortcutVariant, branchScale: o.branchScale })}`);
  }
}

/** The number of channels the block outputs. */
export function residualOutChannels(o: Pick<ResidualBlockOptions, "filters" | "kind" | "expansion">): number {
  return o.kind === "bottleneck" ? o.filters * (o.expansion ?? 4) : o.filters;
}

/** F(x): the block's branch. `x` is already pre-activated in the pre-activation form. */
function branch(x: Symbolic, o: ResidualBlockOptions, seed: number): Symbolic {
  const { name, filters } = o;
  const strides = o.strides ?? 1;
  const pre = o.preActivation ?? false;
  const zero = o.zeroInitResidual ?? false;
  const out = residualOutChannels(o);
  // (filters, kernel, stride) of each conv; the stride sits on the 3×3 conv (as torchvision's ResNet v1.5).
  const convs: [number, number, number][] =
    o.kind === "bottleneck"
      ? [[filters, 1, 1], [filters, 3, strides], [out, 1, 1]]
      : [[filters, 3, strides], [out, 3, 1]];
  let h = x;
  convs.forEach(([f, k, s], i) => {
    const index = i + 1;
    const last = index === convs.length;
    if (pre && i > 0) h = bnRelu(h, name, index);
    // Pre-activation ends in a conv: zeroing it makes F(x) = 0. Post-activation ends in BN: zero its γ.
    h = conv(h, { filters: f, kernelSize: k, strides: s, name: `${name}_conv${index}`, seed, zeroInit: pre && last && zero });
    if (!pre) {
      h = batchNorm(h, `${name}_bn${index}`, last && zero);
      if (!last) h = relu(h, `${name}_relu${index}`);
    }
  });
  return h;
}

/** The residual block y = shortcut(x) + F(x) of He et al. 2015 / 2016 (basic or bottleneck, post- or pre-activation). */
export function residualBlock(x: Symbolic, options: ResidualBlockOptions): Symbolic {
  checkOptions(options);
  const o = options;
  const seed = o.seed ?? DEFAULT_SEED;
  const skip = o.skip ?? "add";
  const pre = o.preActivation ?? false;
  const strides = o.strides ?? 1;
  const inC = channels(x);
  const outC = residualOutChannels(o);
  // Pre-activation: BN → ReLU once at the block's input, shared by the branch and a projection shortcut (He 2016).
  const activated = pre ? bnRelu(x, o.name, 1) : x;
  const f = branch(activated, o, seed);
  let y: Symbolic;
  if (skip === "none") {
    y = f;
  } else {
    const variant = resolveShortcutVariant(o.shortcutVariant);
    let shortcut = x;
    // The "conv" variant projects on every block (He et al. 2015's option C), the others only where the shape changes.
    if (strides !== 1 || inC !== outC || variant.kind === "conv") {
      if ((o.shortcut ?? "B") === "A" && variant.kind !== "conv") {
        if (outC < inC) throw new Error(`shortcut "A" (zero-padding) cannot reduce channels (${inC} → ${outC}) at "${o.name}"; use shortcut "B"`);
        shortcut = new ZeroPadShortcut({ strides, outChannels: outC, name: `${o.name}_shortcut` }).apply(x) as Symbolic;
      } else {
        shortcut = conv(activated, { filters: outC, kernelSize: 1, strides, name: `${o.name}_shortcut_conv`, seed });
        if (!pre) shortcut = batchNorm(shortcut, `${o.name}_shortcut_bn`);
      }
    }
    const [h, branchPath] = shortcutPaths({ gateInput: activated, shortcut, branch: f, name: o.name, seed, strides }, variant, o.branchScale ?? 1);
    y = skipMerge("add", `${o.name}_add`)(h, branchPath);
  }
  return pre ? y : relu(y, `${o.name}_out`);
}
