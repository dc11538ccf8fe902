import type { Figure } from "./figure";

/** A 2-D loss surface as `lossSurface2D` returns it: losses[i][j] at (alphas[i], betas[j]). */
export interface SurfaceGrid {
  alphas: number[];
  betas: number[];
  losses: number[][];
}

/**
 * A loss surface (Li et al. 2018) as a filled contour ("contour") or a 3-D surface ("surface"). Plotly's z[i][j] is
 * the value at (x[j], y[i]), so β goes on the x axis and α on the y axis.
 */
export function plotSurface(surface: SurfaceGrid, options: { title: string; type?: "contour" | "surface" }): Figure {
  const type = options.type ?? "contour";
  const trace = { type, x: surface.betas, y: surface.alphas, z: surface.losses, colorscale: "Viridis" } as const;
  if (type === "contour") {
    return {
      data: [{ ...trace, contours: { coloring: "heatmap" } }],
      layout: { title: { text: options.title }, xaxis: { title: { text: "β" } }, yaxis: { title: { text: "α" } } },
    };
  }
  return {
    data: [trace],
    layout: { title: { text: options.title }, scene: { xaxis: { title: { text: "β" } }, yaxis: { title: { text: "α" } }, zaxis: { title: { text: "loss" } } } },
  };
}
