import type { Figure } from "./figure";

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface LineOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Log y axis; values ≤ 0 become gaps (they have no logarithm). */
  logY?: boolean;
  /** "lines+markers" (default) or "lines" for long series. */
  mode?: "lines" | "lines+markers";
}

/** One line per series: training curves, depth sweeps, 1-D loss slices. */
export function plotLines(series: Series[], options: LineOptions): Figure {
  const { title, xTitle, yTitle, logY = false, mode = "lines+markers" } = options;
  return {
    data: series.map((s) => ({ type: "scatter", mode, name: s.name, x: s.x, y: s.y.map((v) => (logY && !(v > 0) ? null : v)) })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: xTitle } },
      yaxis: { title: { text: yTitle }, type: logY ? "log" : "linear", exponentformat: "power" },
    },
  };
}

/** Training loss per epoch of several runs (from `fit`'s histories). */
export function plotTrainingCurves(histories: Record<string, { loss: number[] }>, options: { title: string; logY?: boolean }): Figure {
  const series = Object.entries(histories).map(([name, h]) => ({ name, x: h.loss.map((_, i) => i + 1), y: h.loss }));
  return plotLines(series, { title: options.title, xTitle: "epoch", yTitle: "training loss", logY: options.logY });
}

/** One line per network: a per-layer gradient magnitude from input (layer 1) to output, on a log axis by default. */
export function plotGradientNorms(
  series: { name: string; norms: number[] }[],
  options: { title: string; yTitle?: string; xTitle?: string; logY?: boolean },
): Figure {
  return plotLines(series.map((s) => ({ name: s.name, x: s.norms.map((_, i) => i + 1), y: s.norms })), {
    title: options.title,
    xTitle: options.xTitle ?? "layer (1 = next to the input)",
    yTitle: options.yTitle ?? "gradient norm ‖∂L/∂W‖",
    logY: options.logY ?? true,
    mode: "lines",
  });
}

/** Plain vs residual (or any families) against depth: one line per family, x = number of layers (He et al. 2015, Fig. 1/6). */
export function plotDepthSweep(
  families: Record<string, { depths: number[]; values: number[] }>,
  options: { title: string; yTitle: string; logY?: boolean },
): Figure {
  const series = Object.entries(families).map(([name, f]) => {
    if (f.depths.length !== f.values.length) throw new Error(`${name}: depths and values must have the same length, got ${f.depths.length} and ${f.values.length}`);
    return { name, x: f.depths, y: f.values };
  });
  return plotLines(series, { title: options.title, xTitle: "depth (weighted layers)", yTitle: options.yTitle, logY: options.logY });
}
