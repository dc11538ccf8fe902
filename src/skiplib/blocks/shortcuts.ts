/**
 * What the shortcut h in y = h(x) + F(x) may be besides the identity: the variants of He et al. 2016 ("Identity
 * Mappings in Deep Residual Networks", Table 1 and Fig. 2), each applied to every residual block of a net.
 *   identity        h(x) = x                                   Fig. 2(a), their 6.61% on CIFAR-10 with ResNet-110
 *   scale           h(x) = λ·x                                 Fig. 2(b) (with branchScale 1 − λ: "frozen gating")
 *   exclusive-gate  h(x) = (1 − g(x))·x, and F scaled by g(x)  Fig. 2(c), g(x) = σ(W_g x + b_g), W_g a 1×1 conv
 *   shortcut-gate   h(x) = (1 − g(x))·x, F unscaled            Fig. 2(d)
 *   conv            h(x) = 1×1 conv (+ BN, post-activation)    Fig. 2(e)
 *   dropout         h(x) = dropout(x), rate 0.5                Fig. 2(f)
 * Every variant multiplies the signal on the shortcut, so over L blocks the shortcut's share of ∂L/∂x_l is a
 * product of L factors (their Eq. 8) instead of the identity's 1.
 */
import { tf } from "../backend";
import { glorotUniform, layerSeed } from "../seed";
import { ShortcutDropout } from "./layers";

type Symbolic = tf.SymbolicTensor;

export const SHORTCUT_VARIANTS = ["identity", "scale", "exclusive-gate", "shortcut-gate", "conv", "dropout"] as const;
export type ShortcutVariantKind = (typeof SHORTCUT_VARIANTS)[number];

/** A shortcut variant with its parameter; a bare kind takes the defaults (λ = 0.5, b_g = −6, rate 0.5). */
export type ShortcutVariant =
  | ShortcutVariantKind
  | { kind: "identity" }
  | { kind: "conv" }
  /** λ in h(x) = λx. Default 0.5 (He et al. 2016's value). */
  | { kind: "scale"; scale?: number }
  /** b_g, the gate's initial bias: g starts near σ(b_g), the shortcut near 1 − σ(b_g). Default −6 (their best). */
  | { kind: "exclusive-gate" | "shortcut-gate"; gateBias?: number }
  /** Fraction of the shortcut's units zeroed at each training step (inverted dropout: kept ones ×1/(1 − rate)). Default 0.5. */
  | { kind: "dropout"; rate?: number };

/** The variant with every parameter filled in. */
export interface ResolvedShortcutVariant {
  kind: ShortcutVariantKind;
  scale: number;
  gateBias: number;
  rate: number;
}

const DEFAULTS = { scale: 0.5, gateBias: -6, rate: 0.5 };

/** Fills in a variant's defaults, or a clear error naming what is wrong and what would be right. */
export function resolveShortcutVariant(variant: ShortcutVariant | undefined): ResolvedShortcutVariant {
  const v = typeof variant === "string" ? { kind: variant } : (variant ?? { kind: "identity" });
  if (typeof v !== "object" || v === null || !(SHORTCUT_VARIANTS as readonly string[]).includes((v as { kind: string }).kind)) {
    throw new Error(`shortcutVariant must be one of ${SHORTCUT_VARIANTS.join(", ")} (or { kind, ... }), got ${JSON.stringify(variant)}`);
  }
  const p = v as { kind: ShortcutVariantKind; scale?: number; gateBias?: number; rate?: number };
  const resolved = { kind: p.kind, scale: p.scale ?? DEFAULTS.scale, gateBias: p.gateBias ?? DEFAULTS.gateBias, rate: p.rate ?? DEFAULTS.rate };
  if (!Number.isFinite(resolved.scale)) throw new Error(`shortcutVariant scale must be a finite number (λ in h(x) = λx), got ${p.scale}`);
  if (!Number.isFinite(resolved.gateBias)) throw new Error(`shortcutVariant gateBias must be a finite number (b_g, e.g. −6), got ${p.gateBias}`);
  if (!(resolved.rate >= 0 && resolved.rate < 1)) throw new Error(`shortcutVariant rate must be in [0, 1) (the fraction of units dropped), got ${p.rate}`);
  return resolved;
}

/** Checks a branch scale α (y = h(x) + α·F(x)). */
export function checkBranchScale(scale: number | undefined): number {
  const s = scale ?? 1;
  if (!Number.isFinite(s)) throw new Error(`branchScale must be a finite number (α in y = h(x) + α·F(x), e.g. 1/√blocks), got ${scale}`);
  return s;
}

export interface ShortcutPathsInput {
  /** The block's input as the gate reads it (pre-activation: after the block's first BN-ReLU). */
  gateInput: Symbolic;
  /** The shortcut before the variant: the identity, or the A/B shortcut of a block that changes shape. */
  shortcut: Symbolic;
  /** The branch F(x). */
  branch: Symbolic;
  /** Block name, prefix of the layers made here. */
  name: string;
  seed: number;
  /** Stride of the block (the gate subsamples as the branch does). */
  strides: number;
}

/**
 * The two addends of y = h(x) + α·F(x) for `variant` (the "conv" variant is built by the caller as the projection
 * shortcut, so here it is the identity on what it receives). The shortcut's layers are named `${name}_shortcut_*`,
 * the gate's `${name}_gate*`, the branch's `${name}_branch_*`.
 */
export function shortcutPaths(input: ShortcutPathsInput, variant: ResolvedShortcutVariant, branchScale: number): [Symbolic, Symbolic] {
  const { name, seed } = input;
  let shortcut = input.shortcut;
  let branch = input.branch;
  if (branchScale !== 1) branch = tf.layers.rescaling({ scale: branchScale, offset: 0, name: `${name}_branch_scale` }).apply(branch) as Symbolic;
  switch (variant.kind) {
    case "scale":
      shortcut = tf.layers.rescaling({ scale: variant.scale, offset: 0, name: `${name}_shortcut_scale` }).apply(shortcut) as Symbolic;
      break;
    case "dropout":
      shortcut = new ShortcutDropout({ rate: variant.rate, seed: layerSeed(seed, `${name}_shortcut_dropout`), name: `${name}_shortcut_dropout` }).apply(shortcut) as Symbolic;
      break;
    case "exclusive-gate":
    case "shortcut-gate": {
      const channels = shortcut.shape[shortcut.shape.length - 1] as number;
      const gate = tf.layers
        .conv2d({
          filters: channels, kernelSize: 1, strides: input.strides, padding: "same", activation: "sigmoid", useBias: true,
          kernelInitializer: glorotUniform(seed, `${name}_gate`), biasInitializer: tf.initializers.constant({ value: variant.gateBias }), name: `${name}_gate`,
        })
        .apply(input.gateInput) as Symbolic;
      // 1 − g as a Rescaling (y = −g + 1): built-in, serialisable layers throughout
      const complement = tf.layers.rescaling({ scale: -1, offset: 1, name: `${name}_gate_complement` }).apply(gate) as Symbolic;
      shortcut = tf.layers.multiply({ name: `${name}_shortcut_gated` }).apply([complement, shortcut]) as Symbolic;
      if (variant.kind === "exclusive-gate") branch = tf.layers.multiply({ name: `${name}_branch_gated` }).apply([gate, branch]) as Symbolic;
      break;
    }
    default:
      break;
  }
  return [shortcut, branch];
}
