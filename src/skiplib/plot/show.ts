import { display } from "../../display";
import type { Figure } from "./figure";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/**
 * Shows a figure in the notebook: Plotly's MIME type for JupyterLab, Notebook 7 and the book, and a text/plain line
 * naming it for consoles. Outside a kernel it prints that line.
 */
export function show(figure: Figure): void {
  display.bundle({ [PLOTLY_MIME]: figure, "text/plain": `<figure: ${figure.layout.title.text}>` });
}
