/** The live experiments by panel name (src/book/live/specs.ts describes each one's controls). */
import { gradientNorms } from "./gradient-norms";
import { lossCurve } from "./loss-curve";
import { transformerGradients } from "./transformer-gradients";
import { twoSpiralsTraining } from "./two-spirals";
import type { Experiment } from "./types";

export const EXPERIMENTS: Record<string, Experiment> = {
  "gradient-norms": gradientNorms,
  "two-spirals": twoSpiralsTraining,
  "loss-curve": lossCurve,
  "transformer-gradients": transformerGradients,
};
export type { Experiment, LiveOutput, RunContext, Series } from "./types";
