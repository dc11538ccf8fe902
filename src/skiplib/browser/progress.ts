/**
 * The progress seam in a browser: replaces `src/skiplib/progress.ts` (notebook display or terminal line, both Node)
 * in the live panels' bundle, so `fit` and `trainSequenceModel` run unchanged. A page shows progress itself, so
 * "auto" is silent here; "log" writes lines to the console.
 */
import type { ProgressBar, ProgressMode } from "../progress";

export type { ProgressBar, ProgressMode };

export function progressBar(label: string, total: number, mode: ProgressMode = "auto"): ProgressBar {
  if (!(total > 0)) throw new Error(`total must be positive, got ${total}`);
  if (mode === "auto" || mode === "silent") return { update() {}, finish() {} };
  if (mode === "log") {
    return {
      update: (done, status = "") => console.log(`${label} ${done}/${total}${status ? `  ${status}` : ""}`),
      finish: (status) => status && console.log(`${label}: ${status}`),
    };
  }
  throw new Error(`progress "${mode}" needs a notebook or a terminal; in a browser use "auto", "silent" or "log"`);
}
