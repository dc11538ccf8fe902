/**
 * An executed notebook → one chapter's Markdown (VitePress flavour) plus the asset files it references.
 *
 * Markdown cells pass through as written (links to other notebooks point at their chapters); code cells become
 * ```ts blocks; outputs become: streams and plain text → preformatted blocks; HTML → a component that injects it
 * (so stray markup cannot break the page build); Markdown/LaTeX → Markdown; PNG/JPEG/SVG → image files;
 * Plotly JSON → an interactive figure. Error outputs are never published (the build reports them), and a progress
 * display updated in place, or a stream rewritten with carriage returns, keeps only its final state.
 */

/** The parts of nbformat 4 that conversion reads (structurally compatible with src/runner/nbformat.ts). */
export interface NotebookLike {
  nbformat?: number;
  metadata?: Record<string, unknown>;
  cells: CellLike[];
}

export interface CellLike {
  cell_type: "code" | "markdown" | "raw" | string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: OutputLike[];
  attachments?: Record<string, Record<string, string | string[]>>;
}

export interface OutputLike {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data" | string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  transient?: { display_id?: string };
  ename?: string;
  evalue?: string;
}

export interface ChapterAsset {
  /** Path under the site's public folder, e.g. "nb-assets/03-resnet/c4-0.png". */
  path: string;
  data: Buffer | string;
}

/** What the executed notebook says about where and when it ran. */
export interface Provenance {
  /** e.g. "skiplib: backend tensorflow (CPU, TF 2.21.0)" */
  backendLine?: string;
  backend?: { backend: string; device: string; version: string };
  /** Backends skipped before the one used ("wasm: ..."), from skiplib's start-up report. */
  fallbacks: string[];
  /** ISO time the notebook finished executing, when recorded. */
  executedAt?: string;
}

export interface ConvertOptions {
  /** The chapter's path without extension, relative to the book's src ("03-resnet"); names its assets. */
  slug: string;
  /** Used as the page title when the notebook has no `# heading`. */
  fallbackTitle: string;
  /** Markdown placed right after the chapter's title (the download / run box). */
  afterTitle?: string;
}

export interface ConvertedChapter {
  markdown: string;
  title: string;
  assets: ChapterAsset[];
  /** Number of interactive Plotly figures on the page. */
  figures: number;
  /** Error outputs left out of the page: `cell N: Ename: evalue`. */
  errors: string[];
  warnings: string[];
  provenance: Provenance;
}

const PLOTLY = "application/vnd.plotly.v1+json";
/** Richest first, as Jupyter front ends rank them. */
const MIME_ORDER = [PLOTLY, "text/html", "text/markdown", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "image/gif", "application/json", "text/plain"];
const IMAGE_EXT: Record<string, string> = { "image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" };
const BACKEND_LINE = /^skiplib: backend (\S+) \((CPU|GPU), ([^)]*)\)\s*$/;
const FALLBACK_LINE = /^skiplib: skipped (.*)$/;

export function joinSource(source: string | string[] | undefined): string {
  if (source === undefined) return "";
  return Array.isArray(source) ? source.join("") : source;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Removes ANSI colour/cursor escapes (terminal progress bars and coloured logs). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\x1b\][^\x07]*\x07/g, "");
}

/** What a terminal shows after carriage returns and backspaces: each line keeps the text after its last `\r`. */
export function resolveCarriageReturns(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((line) => {
      const afterReturn = line.slice(line.lastIndexOf("\r") + 1);
      let out = "";
      for (const ch of afterReturn) out = ch === "\b" ? out.slice(0, -1) : out + ch;
      return out;
    })
    .join("\n");
}

function tags(cell: CellLike): string[] {
  const value = (cell.metadata as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
}

/** A fence longer than any run of backticks inside `code`. */
function fence(code: string, info: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${info}\n${code.replace(/\n+$/, "")}\n${ticks}`;
}

/** Markdown rendered as written but shielded from Vue's `{{ }}` interpolation. */
function markdownBlock(markdown: string): string {
  return `<div class="nb-markdown" v-pre>\n\n${markdown.trim()}\n\n</div>`;
}

function preBlock(text: string, kind: string): string {
  // A <pre> HTML block runs to its closing tag even across blank lines, so the text stays intact.
  return `<pre class="nb-output ${kind}" v-pre>${escapeHtml(text.replace(/\n+$/, ""))}</pre>`;
}

/** Rewrites links to other notebooks (`03-resnet.ipynb#x`) to their chapter pages; leaves URLs alone. */
export function rewriteNotebookLinks(markdown: string): string {
  return markdown.replace(/(\]\()(?![a-z][a-z0-9+.-]*:|\/\/)([^)\s]+?)\.ipynb((?:#[^)\s]*)?(?:\s+"[^"]*")?\))/gi, "$1$2.md$3");
}

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.join("");
  return JSON.stringify(value, null, 2);
}

function displayId(output: OutputLike): string | undefined {
  const id = output.transient?.display_id ?? (output.metadata as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === "string" ? id : undefined;
}

/** Converts one executed notebook to chapter Markdown and its assets. */
export function convertNotebook(notebook: NotebookLike, options: ConvertOptions): ConvertedChapter {
  if (!notebook || !Array.isArray(notebook.cells)) throw new Error(`notebook for "${options.slug}" has no cells array: is it an nbformat 4 notebook?`);
  const assets: ChapterAsset[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const provenance: Provenance = { fallbacks: [] };
  const blocks: string[] = [];
  let figures = 0;
  let title: string | undefined;
  let afterTitlePlaced = false;

  const meta = (notebook.metadata ?? {}) as { skipbook?: { backend?: Provenance["backend"]; executed_at?: string } };
  if (meta.skipbook?.backend) provenance.backend = meta.skipbook.backend;
  if (meta.skipbook?.executed_at) provenance.executedAt = meta.skipbook.executed_at;

  const addAsset = (path: string, data: Buffer | string): string => {
    assets.push({ path, data });
    return `/${path}`;
  };

  notebook.cells.forEach((cell, cellIndex) => {
    const cellTags = tags(cell);
    if (cellTags.includes("remove-cell")) return;
    const source = joinSource(cell.source);

    if (cell.cell_type === "markdown") {
      let markdown = rewriteNotebookLinks(source);
      for (const [name, bundle] of Object.entries(cell.attachments ?? {})) {
        const mime = Object.keys(bundle).find((m) => IMAGE_EXT[m]);
        if (!mime) continue;
        const raw = textOf(bundle[mime]);
        const data = mime === "image/svg+xml" ? raw : Buffer.from(raw.replace(/\s+/g, ""), "base64");
        const url = addAsset(`nb-assets/${options.slug}/c${cellIndex}-${name.replace(/[^\w.-]/g, "_")}`, data);
        markdown = markdown.split(`attachment:${name}`).join(url);
      }
      if (title === undefined) {
        const heading = /^(?:#\s+(.+?)\s*#*\s*)$/m.exec(markdown);
        if (heading && !insideFence(markdown, heading.index)) {
          title = heading[1];
          const end = heading.index + heading[0].length;
          const before = markdown.slice(0, end);
          const after = markdown.slice(end);
          blocks.push(markdownBlock(before));
          if (options.afterTitle) blocks.push(options.afterTitle);
          afterTitlePlaced = true;
          if (after.trim()) blocks.push(markdownBlock(after));
          return;
        }
      }
      if (markdown.trim()) blocks.push(markdownBlock(markdown));
      return;
    }
    if (cell.cell_type !== "code") return; // raw cells are for other converters

    if (source.trim() && !cellTags.includes("remove-input")) blocks.push(fence(source, "ts"));
    if (cellTags.includes("remove-output")) return;

    // A display updated in place shows its last state where it first appeared.
    const outputs = cell.outputs ?? [];
    const lastById = new Map<string, OutputLike>();
    for (const output of outputs) {
      const id = displayId(output);
      if (id && output.data) lastById.set(id, output);
    }
    const shownIds = new Set<string>();
    const streams: { name: string; text: string }[] = [];
    const flushStreams = () => {
      for (const stream of streams.splice(0)) {
        const text = cleanStream(resolveCarriageReturns(stripAnsi(stream.text)), stream.name, provenance);
        if (text.trim()) blocks.push(preBlock(text, stream.name === "stderr" ? "nb-stderr" : "nb-stdout"));
      }
    };

    outputs.forEach((original, outputIndex) => {
      if (original.output_type === "stream") {
        const name = original.name ?? "stdout";
        const last = streams[streams.length - 1];
        if (last && last.name === name) last.text += textOf(original.text);
        else streams.push({ name, text: textOf(original.text) });
        return;
      }
      flushStreams();
      if (original.output_type === "error") {
        errors.push(`cell ${cellIndex}: ${original.ename ?? "Error"}: ${original.evalue ?? ""}`);
        return;
      }
      if (original.output_type === "update_display_data") return; // already folded in via its display id
      if (original.output_type !== "display_data" && original.output_type !== "execute_result") {
        warnings.push(`cell ${cellIndex}: unknown output type "${original.output_type}" left out`);
        return;
      }
      const id = displayId(original);
      if (id && shownIds.has(id)) return;
      if (id) shownIds.add(id);
      const output = (id && lastById.get(id)) || original;
      const data = output.data ?? {};
      const mime = MIME_ORDER.find((m) => m in data);
      if (!mime) {
        warnings.push(`cell ${cellIndex}: output with no renderable MIME type (${Object.keys(data).join(", ") || "empty"}) left out`);
        return;
      }
      const value = data[mime];
      const assetBase = `nb-assets/${options.slug}/c${cellIndex}-${outputIndex}`;
      const imageMeta = (output.metadata?.[mime] ?? {}) as { width?: number; height?: number };
      if (mime === PLOTLY) {
        const figure = typeof value === "string" ? JSON.parse(value) : value;
        const height = Number((figure as { layout?: { height?: unknown } }).layout?.height) || 450;
        const url = addAsset(`${assetBase}.json`, JSON.stringify(figure));
        figures += 1;
        blocks.push(`<PlotlyFigure src="${url}" :height="${height}" />`);
      } else if (mime === "text/html") {
        const html = textOf(value);
        // The component sets the HTML at render time; as a Vue template, stray markup or <script> would break the page.
        blocks.push(`<NotebookHtml html64="${Buffer.from(html, "utf8").toString("base64")}" />`);
      } else if (mime === "text/markdown" || mime === "text/latex") {
        blocks.push(markdownBlock(rewriteNotebookLinks(textOf(value))));
      } else if (IMAGE_EXT[mime]) {
        const raw = textOf(value);
        const bytes = mime === "image/svg+xml" ? raw : Buffer.from(raw.replace(/\s+/g, ""), "base64");
        const url = addAsset(`${assetBase}.${IMAGE_EXT[mime]}`, bytes);
        const alt = escapeHtml(textOf(data["text/plain"] ?? `figure from cell ${cellIndex}`).replace(/^<|>$/g, "").trim() || "figure");
        const size = [imageMeta.width ? ` width="${imageMeta.width}"` : "", imageMeta.height ? ` height="${imageMeta.height}"` : ""].join("");
        blocks.push(`<p class="nb-output nb-image"><img src="${url}" alt="${alt}"${size} loading="lazy"></p>`);
      } else if (mime === "application/json") {
        blocks.push(preBlock(JSON.stringify(value, null, 2), "nb-result"));
      } else {
        const text = resolveCarriageReturns(stripAnsi(textOf(value)));
        if (text.trim()) blocks.push(preBlock(text, "nb-result"));
      }
    });
    flushStreams();
  });

  if (!title) {
    title = options.fallbackTitle;
    blocks.unshift(`# ${title}`, ...(options.afterTitle ? [options.afterTitle] : []));
  } else if (!afterTitlePlaced && options.afterTitle) {
    blocks.unshift(options.afterTitle);
  }
  if (errors.length > 0) warnings.push(`${errors.length} error output(s) left out of the chapter: ${errors.join("; ")}`);
  provenance.executedAt ??= lastExecutionTime(notebook);
  return { markdown: `${blocks.join("\n\n")}\n`, title: plainTitle(title), assets, figures, errors, warnings, provenance };
}

/**
 * Records skiplib's backend report, and takes its import-time copy (on stderr) out of the chapter: the front page
 * states the backend once. A report the notebook prints on purpose (stdout) stays.
 */
function cleanStream(text: string, name: string, provenance: Provenance): string {
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

function insideFence(markdown: string, index: number): boolean {
  const fences = markdown.slice(0, index).match(/^\s*(```|~~~)/gm);
  return (fences?.length ?? 0) % 2 === 1;
}

/** The heading's text without Markdown emphasis or code marks, for the sidebar and <title>. */
function plainTitle(title: string): string {
  return title.replace(/[`*_]/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").trim();
}

/** The latest execution timestamp Jupyter clients record per cell (`metadata.execution`), if any. */
function lastExecutionTime(notebook: NotebookLike): string | undefined {
  let latest: string | undefined;
  for (const cell of notebook.cells) {
    const execution = (cell.metadata as { execution?: Record<string, unknown> } | undefined)?.execution;
    const time = execution?.["shell.execute_reply"] ?? execution?.["iopub.status.idle"];
    if (typeof time === "string" && (!latest || Date.parse(time) > Date.parse(latest))) latest = time;
  }
  return latest;
}
