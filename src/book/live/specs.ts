/**
 * The live panels' descriptions: controls, defaults, axes. Plain data with no TensorFlow.js, so the book build
 * (config checks, the page's controls) reads it without loading a backend; the experiments (./experiments/) read
 * their settings through `readSettings`. Defaults are the chapters' own settings, so a reader who presses Run sees
 * the chapter's numbers recomputed in their browser.
 */

export interface NumberControl {
  name: string;
  label: string;
  kind: "integer";
  default: number;
  min: number;
  max: number;
}

export interface SelectControl {
  name: string;
  label: string;
  kind: "select";
  default: string;
  options: string[];
}

export type ControlSpec = NumberControl | SelectControl;

export interface PanelSpec {
  name: string;
  /** Shown after "Try it:". */
  title: string;
  /** One or two sentences: what a run computes. */
  summary: string;
  controls: ControlSpec[];
  plot: { xTitle: string; yTitle: string; logY?: boolean };
}

export type Settings = Record<string, number | string>;

const seed: NumberControl = { name: "seed", label: "seed", kind: "integer", default: 1, min: 0, max: 1_000_000 };

export const PANELS: Record<string, PanelSpec> = {
  "gradient-norms": {
    name: "gradient-norms",
    title: "gradient per layer of a fresh MLP",
    summary:
      "Builds a fresh plain and/or residual MLP (width 32) on 256 points of the 2-D Gaussian circle task drawn with the seed, runs one backward pass " +
      "and plots each hidden layer's mean |∂L/∂w|. The defaults are section 1.4's 50-layer sigmoid nets for seed 1.",
    controls: [
      { name: "depth", label: "hidden layers", kind: "integer", default: 50, min: 2, max: 100 },
      { name: "activation", label: "activation", kind: "select", default: "sigmoid", options: ["sigmoid", "tanh", "relu"] },
      { name: "skip", label: "nets", kind: "select", default: "plain and residual", options: ["plain and residual", "plain", "residual"] },
      seed,
    ],
    plot: { xTitle: "hidden layer (1 = next to the input)", yTitle: "mean |∂L/∂w|", logY: true },
  },
  "two-spirals": {
    name: "two-spirals",
    title: "train a plain and a residual MLP on two spirals",
    summary:
      "Trains a plain and a residual ReLU MLP (width 16) on the 512 two-spirals points with Adam (learning rate 0.01, batches of 64), " +
      "drawing each epoch's loss as it comes. The defaults are the chapter's 20-layer nets for seed 1.",
    controls: [
      { name: "depth", label: "hidden layers", kind: "integer", default: 20, min: 2, max: 40 },
      { name: "epochs", label: "epochs", kind: "integer", default: 100, min: 1, max: 300 },
      seed,
    ],
    plot: { xTitle: "epoch", yTitle: "training loss (binary cross-entropy)" },
  },
  "loss-curve": {
    name: "loss-curve",
    title: "a 1-D loss curve along a random direction",
    summary:
      "Trains a small plain and a small residual ReLU MLP (width 16) on 256 two-spirals points, then plots the loss L(θ + αδ) along a " +
      "filter-normalised random direction δ (Li et al. 2018) drawn with the direction seed.",
    controls: [
      { name: "depth", label: "hidden layers", kind: "integer", default: 12, min: 2, max: 40 },
      { name: "epochs", label: "training epochs", kind: "integer", default: 30, min: 0, max: 200 },
      { name: "directionSeed", label: "direction seed", kind: "integer", default: 1, min: 0, max: 1_000_000 },
      { name: "resolution", label: "points on the curve", kind: "integer", default: 21, min: 5, max: 101 },
      seed,
    ],
    plot: { xTitle: "α (step along δ)", yTitle: "training loss" },
  },
  "transformer-gradients": {
    name: "transformer-gradients",
    title: "gradient per block of a fresh Transformer",
    summary:
      "Builds fresh pre-LN, post-LN and skip-free Transformers (d_model 32, 4 heads) on the sorting task drawn with the seed and plots each " +
      "block's ‖∂L/∂W‖ from one backward pass on the first training sequences. The chapter uses 12 blocks and 1024 sequences.",
    controls: [
      { name: "depth", label: "blocks", kind: "integer", default: 12, min: 1, max: 24 },
      { name: "sequences", label: "sequences in the batch", kind: "integer", default: 256, min: 16, max: 1024 },
      seed,
    ],
    plot: { xTitle: "block (1 = next to the embeddings)", yTitle: "‖∂L/∂W‖ of the block", logY: true },
  },
};

export const PANEL_NAMES = Object.keys(PANELS);

/** The spec of panel `name`, or an error naming the panels there are. */
export function panelSpec(name: string): PanelSpec {
  const spec = PANELS[name];
  if (!spec) throw new Error(`no live panel "${name}"; panels: ${PANEL_NAMES.join(", ")}`);
  return spec;
}

/** `raw` checked against the panel's controls, missing ones at their defaults; errors name the control and its range. */
export function readSettings(name: string, raw: Record<string, unknown> = {}): Settings {
  const spec = panelSpec(name);
  const unknown = Object.keys(raw).filter((key) => !spec.controls.some((c) => c.name === key));
  if (unknown.length) throw new Error(`${name}: unknown setting ${unknown.join(", ")}; settings: ${spec.controls.map((c) => c.name).join(", ")}`);
  const settings: Settings = {};
  for (const control of spec.controls) {
    const value = raw[control.name] ?? control.default;
    if (control.kind === "integer") {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n) || n < control.min || n > control.max) {
        throw new Error(`${control.label} must be a whole number from ${control.min} to ${control.max}, got ${JSON.stringify(value)}`);
      }
      settings[control.name] = n;
    } else {
      if (typeof value !== "string" || !control.options.includes(value)) {
        throw new Error(`${control.label} must be one of ${control.options.join(", ")}, got ${JSON.stringify(value)}`);
      }
      settings[control.name] = value;
    }
  }
  return settings;
}
