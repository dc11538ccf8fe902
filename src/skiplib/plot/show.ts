import { createHash } from "node:crypto";
import { display, PLOTLY_MIME } from "../../display";
import type { Figure } from "./figure";

export { PLOTLY_MIME };
/** The plotly.js the book bundles (plotly.js-dist-min); the HTML fallback loads the same version. */
const PLOTLY_CDN = "https://cdn.plot.ly/plotly-2.35.3.min.js";

let shown = 0;

/**
 * An HTML fallback for front ends without a Plotly renderer: a div titled with the figure's title that a small script
 * fills with plotly.js (the page's own, else loaded from the CDN). `<` is escaped so no string can close the script.
 */
export function figureHtml(figure: Figure): string {
  const json = JSON.stringify(figure).replace(/</g, "\\u003c");
  const id = `skiplib-figure-${createHash("sha1").update(json).digest("hex").slice(0, 12)}-${++shown}`;
  const title = figure.layout.title.text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return (
    `<div id="${id}" style="min-height:450px">${title}</div>\n<script type="text/javascript">(function () {\n` +
    `  var figure = ${json};\n` +
    `  function draw() { var el = document.getElementById(${JSON.stringify(id)}); el.textContent = ""; window.Plotly.newPlot(el, figure.data, figure.layout, { responsive: true }); }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  var s = document.createElement("script"); s.src = ${JSON.stringify(PLOTLY_CDN)}; s.onload = draw; document.head.appendChild(s);\n` +
    `})();</script>`
  );
}

/**
 * Shows a figure in the notebook: Plotly's MIME type for JupyterLab, Notebook 7 and the book, an HTML fallback for
 * front ends without a Plotly renderer, and a text/plain line naming it for consoles. Outside a kernel it prints that line.
 */
export function show(figure: Figure): void {
  display.bundle({ [PLOTLY_MIME]: figure, "text/html": figureHtml(figure), "text/plain": `<figure: ${figure.layout.title.text}>` });
}
