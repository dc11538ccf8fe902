/**
 * A code cell's outputs → chapter markup, one small renderer per output type and, for rich outputs, per MIME type
 * (as nbconvert has one template per output type). Streams and plain text → preformatted blocks; HTML → a
 * component that injects it (so stray markup cannot break the page build); Markdown/LaTeX → Markdown;
 * PNG/JPEG/GIF/SVG → image files; Plotly JSON → an interactive figure. Error outputs are never published (the
 * build reports them), and a display updated in place, or a stream rewritten with carriage returns, keeps only its
 * final state.
 */
import { PLOTLY_MIME } from "../display";
import { stripAnsi, type Output } from "../runner";
import type { Chapter } from "./convert";
import { escapeHtml, IMAGE_EXT, imageData, markdownBlock, preBlock, resolveCarriageReturns, rewriteNotebookLinks, textOf } from "./markup";

type StreamOutput = Extract<Output, { output_type: "stream" }>;
type RichOutput = Extract<Output, { output_type: "display_data" | "execute_result" }>;
type ErrorOutput = Extract<Output, { output_type: "error" }>;

/** Where a rich output is, and what its renderer may use. */
interface MimeContext {
  chapter: Chapter;
  output: RichOutput;
  mime: string;
  /** 0-based, as in the cell's asset file names */
  cellIndex: number;
  /** the asset path without extension: nb-assets/<slug>/c<cell>-<output> */
  assetBase: string;
}

type MimeRenderer = (value: unknown, context: MimeContext) => string | undefined;

const BACKEND_LINE = /^skiplib: backend (\S+) \((CPU|GPU), ([^)]*)\)\s*$/;
const FALLBACK_LINE = /^skiplib: skipped (.*)$/;

const plotlyFigure: MimeRenderer = (value, { chapter, assetBase }) => {
  const figure = typeof value === "string" ? JSON.parse(value) : value;
  const height = Number((figure as { layout?: { height?: unknown } }).layout?.height) || 450;
  const url = chapter.addAsset(`${assetBase}.json`, JSON.stringify(figure));
  chapter.figures += 1;
  return `<PlotlyFigure src="${url}" :height="${height}" />`;
};

// The component sets the HTML at render time; as a Vue template, stray markup or <script> would break the page.
const html: MimeRenderer = (value) => `<NotebookHtml html64="${Buffer.from(textOf(value), "utf8").toString("base64")}" />`;

const markdown: MimeRenderer = (value) => markdownBlock(rewriteNotebookLinks(textOf(value)));

const image: MimeRenderer = (value, { chapter, output, mime, cellIndex, assetBase }) => {
  const url = chapter.addAsset(`${assetBase}.${IMAGE_EXT[mime]}`, imageData(mime, value));
  const alt = escapeHtml(textOf(output.data["text/plain"] ?? `figure from cell ${cellIndex}`).replace(/^<|>$/g, "").trim() || "figure");
  const size = (output.metadata?.[mime] ?? {}) as { width?: number; height?: number };
  const attributes = [size.width ? ` width="${size.width}"` : "", size.height ? ` height="${size.height}"` : ""].join("");
  return `<p class="nb-output nb-image"><img src="${url}" alt="${alt}"${attributes} loading="lazy"></p>`;
};

const json: MimeRenderer = (value) => preBlock(JSON.stringify(value, null, 2), "nb-result");

const plainText: MimeRenderer = (value) => {
  const text = resolveCarriageReturns(stripAnsi(textOf(value)));
  return text.trim() ? preBlock(text, "nb-result") : undefined;
};

/** The renderer of each MIME type a chapter shows, richest first, as Jupyter front ends rank them. */
const MIME_RENDERERS: [mime: string, render: MimeRenderer][] = [
  [PLOTLY_MIME, plotlyFigure],
  ["text/html", html],
  ["text/markdown", markdown],
  ["text/latex", markdown],
  ["image/svg+xml", image],
  ["image/png", image],
  ["image/jpeg", image],
  ["image/gif", image],
  ["application/json", json],
  ["text/plain", plainText],
];

/** Appends the markup of a code cell's outputs to the chapter. */
export function renderOutputs(outputs: Output[], cellIndex: number, chapter: Chapter): void {
  const latest = latestDisplays(outputs);
  const shown = new Set<string>();
  let streams: { name: string; text: string }[] = [];
  const flushStreams = () => {
    for (const stream of streams) renderStream(stream.name, stream.text, chapter);
    streams = [];
  };
  outputs.forEach((output, outputIndex) => {
    if (output.output_type === "stream") {
      // consecutive chunks of one stream are one block, as a front end shows them
      const name = output.name ?? "stdout";
      const last = streams[streams.length - 1];
      if (last?.name === name) last.text += textOf(output.text);
      else streams.push({ name, text: textOf(output.text) });
      return;
    }
    flushStreams();
    if (output.output_type === "error") return renderError(output, cellIndex, chapter);
    if (output.output_type === "display_data" || output.output_type === "execute_result") {
      const id = displayId(output);
      if (id && shown.has(id)) return;
      if (id) shown.add(id);
      return renderRich((id && latest.get(id)) || output, cellIndex, outputIndex, chapter);
    }
    chapter.warnings.push(`cell ${cellIndex + 1}: unknown output type "${(output as { output_type: string }).output_type}" left out`);
  });
  flushStreams();
}

function renderStream(name: string, text: string, chapter: Chapter): void {
  const clean = withoutBackendReport(resolveCarriageReturns(stripAnsi(text)), name, chapter);
  if (clean.trim()) chapter.blocks.push(preBlock(clean, name === "stderr" ? "nb-stderr" : "nb-stdout"));
}

function renderError(output: ErrorOutput, cellIndex: number, chapter: Chapter): void {
  chapter.errors.push(`cell ${cellIndex + 1}: ${output.ename ?? "Error"}: ${output.evalue ?? ""}`);
}

function renderRich(output: RichOutput, cellIndex: number, outputIndex: number, chapter: Chapter): void {
  const data = output.data ?? {};
  const renderer = MIME_RENDERERS.find(([mime]) => mime in data);
  if (!renderer) {
    chapter.warnings.push(`cell ${cellIndex + 1}: output with no renderable MIME type (${Object.keys(data).join(", ") || "empty"}) left out`);
    return;
  }
  const [mime, render] = renderer;
  const block = render(data[mime], { chapter, output, mime, cellIndex, assetBase: `nb-assets/${chapter.slug}/c${cellIndex}-${outputIndex}` });
  if (block) chapter.blocks.push(block);
}

/** A display shown again under the same id (`metadata.display_id`) shows its last state where it first appeared. */
function latestDisplays(outputs: Output[]): Map<string, RichOutput> {
  const latest = new Map<string, RichOutput>();
  for (const output of outputs) {
    if (output.output_type !== "display_data" && output.output_type !== "execute_result") continue;
    const id = displayId(output);
    if (id) latest.set(id, output);
  }
  return latest;
}

function displayId(output: RichOutput): string | undefined {
  const id = (output.metadata as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === "string" ? id : undefined;
}

/**
 * Records skiplib's backend report in the chapter's provenance, and takes its import-time copy (on stderr) out of
 * the chapter: the front page states the backend once. A report the notebook prints on purpose (stdout) stays.
 */
function withoutBackendReport(text: string, name: string, { provenance }: Chapter): string {
  return text
    .split("\n")
    .filter((line) => {
      const backend = BACKEND_LINE.exec(line);
      if (backend) {
        provenance.backendLine ??= line.trim();
        provenance.backend ??= { backend: backend[1], device: backend[2], version: backend[3] };
        return name !== "stderr";
      }
      const fallback = FALLBACK_LINE.exec(line);
      if (fallback) {
        if (!provenance.fallbacks.includes(fallback[1])) provenance.fallbacks.push(fallback[1]);
        return name !== "stderr";
      }
      return true;
    })
    .join("\n");
}
