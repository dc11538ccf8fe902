/**
 * The display API cells use: `import { display } from "skipbook"`.
 *
 * The kernel installs a sink on `globalThis[DISPLAY_SINK]`; outside a kernel (tests, scripts) displays
 * degrade to their `text/plain` form on stdout. The library never needs to know which of the two it runs in.
 */

/** A Jupyter MIME bundle: MIME type → data (string, or JSON for `application/*+json`). */
export type MimeBundle = Record<string, unknown>;

/** Plotly's MIME type: a figure's JSON, drawn by JupyterLab's Plotly renderer and by the book's PlotlyFigure. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface DisplayOptions {
  /** Display id: a later `update` with the same id replaces this output in place. */
  id?: string;
  metadata?: Record<string, unknown>;
}

/** What a kernel provides: one function per Jupyter iopub message the display API can send. */
export interface DisplaySink {
  displayData(data: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void;
  updateDisplayData(data: MimeBundle, metadata: Record<string, unknown>, displayId: string): void;
  clearOutput(wait: boolean): void;
}

export const DISPLAY_SINK = Symbol.for("skipbook.display.sink");

function activeSink(): DisplaySink | undefined {
  return (globalThis as Record<symbol, DisplaySink | undefined>)[DISPLAY_SINK];
}

/** Used by the kernel at start-up; tests may install a recording sink. */
export function installDisplaySink(sink: DisplaySink | undefined): void {
  (globalThis as Record<symbol, DisplaySink | undefined>)[DISPLAY_SINK] = sink;
}

/** True inside a kernel that renders rich output (a notebook), false in a terminal. */
export function isRichDisplay(): boolean {
  return activeSink() !== undefined;
}

function plainText(data: MimeBundle): string {
  const text = data["text/plain"];
  if (typeof text === "string") return text;
  const types = Object.keys(data).join(", ");
  return `<display: ${types}>`;
}

function emit(data: MimeBundle, options: DisplayOptions = {}): void {
  const sink = activeSink();
  if (sink) sink.displayData(data, options.metadata ?? {}, options.id);
  else process.stdout.write(`${plainText(data)}\n`);
}

function toBase64(png: Uint8Array | string): string {
  return typeof png === "string" ? png : Buffer.from(png).toString("base64");
}

export const display = {
  /** Sends several MIME types in one message; the front end picks the richest it can render. */
  bundle(data: MimeBundle, options?: DisplayOptions): void {
    emit(data, options);
  },
  html(html: string, options?: DisplayOptions): void {
    emit({ "text/html": html, "text/plain": html }, options);
  },
  markdown(markdown: string, options?: DisplayOptions): void {
    emit({ "text/markdown": markdown, "text/plain": markdown }, options);
  },
  svg(svg: string, options?: DisplayOptions): void {
    emit({ "image/svg+xml": svg, "text/plain": "<SVG image>" }, options);
  },
  png(png: Uint8Array | string, options?: DisplayOptions): void {
    emit({ "image/png": toBase64(png), "text/plain": "<PNG image>" }, options);
  },
  jpeg(jpeg: Uint8Array | string, options?: DisplayOptions): void {
    emit({ "image/jpeg": toBase64(jpeg), "text/plain": "<JPEG image>" }, options);
  },
  json(value: unknown, options?: DisplayOptions): void {
    emit({ "application/json": value, "text/plain": JSON.stringify(value, null, 2) }, options);
  },
  text(text: string, options?: DisplayOptions): void {
    emit({ "text/plain": text }, options);
  },
  /** Replaces the output shown under display id `id` (Jupyter's update_display_data). */
  update(id: string, data: MimeBundle, metadata: Record<string, unknown> = {}): void {
    const sink = activeSink();
    if (sink) sink.updateDisplayData(data, metadata, id);
    else process.stdout.write(`${plainText(data)}\n`);
  },
  /** Clears the cell's output; with `wait`, only when the next output arrives (no flicker). */
  clear(wait = false): void {
    activeSink()?.clearOutput(wait);
  },
};
