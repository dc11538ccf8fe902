import type { Figure } from "./figure";

export interface HeatmapOptions {
  title: string;
  x: string[];
  y: string[];
  xTitle: string;
  yTitle: string;
}

/** A matrix as a heat map (row i at y[i], column j at x[j]); NaN cells are left blank. */
export function plotHeatmap(z: number[][], options: HeatmapOptions): Figure {
  if (z.length !== options.y.length || z.some((row) => row.length !== options.x.length)) {
    throw new Error(`z must be ${options.y.length}×${options.x.length} to match the y and x labels`);
  }
  return {
    data: [{ type: "heatmap", z: z.map((row) => row.map((v) => (Number.isNaN(v) ? null : v))), colorscale: "Viridis", x: options.x, y: options.y }],
    layout: { title: { text: options.title }, xaxis: { title: { text: options.xTitle } }, yaxis: { title: { text: options.yTitle } } },
  };
}
