import type { Figure } from "./figure";

/** A named row of grey-scale images, each [H][W] with values in [0, 1]. */
export interface ImageRow {
  title: string;
  images: number[][][];
}

/**
 * Grey-scale images in a grid, one row per named batch (image, truth mask, predictions…): each image a heat map with
 * square pixels and row 0 at the top.
 */
export function plotImages(rows: ImageRow[], options: { title: string }): Figure {
  if (rows.length === 0) throw new Error("plotImages needs at least one row");
  const columns = rows[0].images.length;
  const data = rows.flatMap((row, r) => row.images.map((z, c) => ({
    type: "heatmap" as const, z: z.slice().reverse(), colorscale: "Greys", reversescale: true, showscale: false, zmin: 0, zmax: 1,
    xaxis: `x${r * columns + c + 1}`, yaxis: `y${r * columns + c + 1}`,
  })));
  const axes = Object.fromEntries(data.flatMap((_, i) => [[`xaxis${i + 1}`, { visible: false }], [`yaxis${i + 1}`, { visible: false, scaleanchor: `x${i + 1}` }]]));
  return {
    data,
    layout: { title: { text: `${options.title} (rows: ${rows.map((r) => r.title).join(", ")})` }, grid: { rows: rows.length, columns, pattern: "independent" }, ...axes },
  };
}
