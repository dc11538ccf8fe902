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
