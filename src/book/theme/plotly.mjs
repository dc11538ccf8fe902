// Plotly for the book's pages: loaded from the built site (public/vendor, never a CDN) once per visit, only when a
// page draws something, and the page theme's colours for a figure's layout (its data colours are left alone).
import { withBase } from "vitepress";

export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  window.__skipbookPlotly ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = withBase("/vendor/plotly.min.js");
    script.async = true;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("could not load plotly.min.js from the site"));
    document.head.appendChild(script);
  });
  return window.__skipbookPlotly;
}

const AXES = /^(xaxis|yaxis|zaxis)\d*$/;

function themedAxis(axis, colors) {
  return { ...axis, color: colors.text, gridcolor: colors.grid, zerolinecolor: colors.zero, linecolor: colors.grid };
}

/** `layout` in the light or dark theme's colours, filling a column `width` px wide, `height` px high unless it says. */
export function themedLayout(layout, dark, { height, width }) {
  const colors = dark
    ? { text: "rgba(255, 255, 245, 0.86)", grid: "#3c3f44", zero: "#5c6067", bg: "#1b1b1f" }
    : { text: "#3c3c43", grid: "#e2e2e3", zero: "#c2c2c4", bg: "#ffffff" };
  const themed = {
    ...layout,
    autosize: true,
    height: layout.height ?? height,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { ...(layout.font ?? {}), color: colors.text },
    legend: { ...(layout.legend ?? {}), bgcolor: "rgba(0,0,0,0)" },
    hoverlabel: { ...(layout.hoverlabel ?? {}), bgcolor: colors.bg, font: { color: colors.text } },
  };
  delete themed.width; // responsive: the column decides
  // On a phone the default 80 px margins and a legend at the side leave little room for the plot itself.
  const narrow = (width ?? 1000) < 560;
  if (narrow && !layout.margin) themed.margin = { l: 48, r: 16, t: layout.title ? 48 : 16, b: 48 };
  if (narrow && layout.legend?.x === undefined && layout.legend?.orientation === undefined) {
    themed.legend = { ...themed.legend, orientation: "h", x: 0, y: -0.25, yanchor: "top" };
  }
  for (const key of Object.keys(themed)) {
    if (AXES.test(key)) themed[key] = themedAxis(themed[key], colors);
  }
  if (layout.scene) {
    themed.scene = { ...layout.scene };
    for (const key of ["xaxis", "yaxis", "zaxis"]) themed.scene[key] = themedAxis(layout.scene[key] ?? {}, colors);
  }
  if (!Object.keys(themed).some((key) => AXES.test(key)) && !layout.scene) {
    themed.xaxis = themedAxis({}, colors);
    themed.yaxis = themedAxis({}, colors);
  }
  return themed;
}
