/**
 * One skip-merge abstraction (after fastai's MergeLayer): how a block's shortcut meets its branch.
 *   "add"    → shortcut + branch            (ResNet, He et al. 2015)
 *   "concat" → [shortcut, branch] on channels (DenseNet, Huang et al. 2017; U-Net's long skips)
 *   "none"   → branch alone                  (the plain net: same layers, no skip)
 * Plain, residual and dense blocks call this with a different mode; nothing else differs.
 */
import { tf } from "../backend";

export type SkipMode = "add" | "concat" | "none";
export const SKIP_MODES: readonly SkipMode[] = ["add", "concat", "none"];

type Symbolic = tf.SymbolicTensor;

function shapeText(t: Symbolic): string {
  return `[${t.shape.slice(1).join(",")}]`;
}

export function checkSkipMode(mode: string, param = "skip"): SkipMode {
  if (!(SKIP_MODES as readonly string[]).includes(mode)) throw new Error(`${param} must be one of ${SKIP_MODES.join(", ")}, got "${mode}"`);
  return mode as SkipMode;
}

/** Returns merge(shortcut, branch) for `mode`; the merge layer (if any) is named `name`. */
export function skipMerge(mode: SkipMode, name: string): (shortcut: Symbolic, branch: Symbolic) => Symbolic {
  checkSkipMode(mode, "mode");
  return (shortcut, branch) => {
    if (mode === "none") return branch;
    if (mode === "add") {
      if (shapeText(shortcut) !== shapeText(branch)) {
        throw new Error(
          `skipMerge("add") at "${name}" needs equal shapes, got shortcut ${shapeText(shortcut)} and branch ${shapeText(branch)}; ` +
            `use a zero-padding (A) or projection (B) shortcut when a block changes shape`,
        );
      }
      return tf.layers.add({ name }).apply([shortcut, branch]) as Symbolic;
    }
    const a = shortcut.shape.slice(1, -1).join(",");
    const b = branch.shape.slice(1, -1).join(",");
    if (a !== b) {
      throw new Error(`skipMerge("concat") at "${name}" needs equal shapes except channels, got shortcut ${shapeText(shortcut)} and branch ${shapeText(branch)}`);
    }
    return tf.layers.concatenate({ name, axis: -1 }).apply([shortcut, branch]) as Symbolic;
  };
}
