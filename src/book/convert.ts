/**
 * An executed notebook → one chapter's Markdown (VitePress flavour) plus the asset files it references.
 *
 * Markdown cells pass through as written (links to other notebooks point at their chapters, attached images become
 * asset files); the first `# heading` is the chapter's title, with `afterTitle` placed right after it. Code cells
 * become ```ts blocks followed by their outputs (outputs.ts). Cells tagged remove-cell, remove-input or
 * remove-output lose what the tag says; raw cells are for other converters.
 */
import { joinSource, type Cell, type Notebook } from "../runner";
import { fence, IMAGE_EXT, imageData, insideFence, markdownBlock, plainTitle, rewriteNotebookLinks } from "./markup";
import { renderOutputs } from "./outputs";

export { escapeHtml, resolveCarriageReturns, rewriteNotebookLinks } from "./markup";

/** The notebook conversion reads: the runner's nbformat 4.5 notebook. */
export type NotebookLike = Notebook;

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
  /** Error outputs left out of the page: `cell N: Ename: evalue` (N counts every cell from 1, as the runner does). */
  errors: string[];
  warnings: string[];
  provenance: Provenance;
}

/** The chapter being written: the renderers append to it. */
export class Chapter {
  readonly blocks: string[] = [];
  readonly assets: ChapterAsset[] = [];
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  readonly provenance: Provenance = { fallbacks: [] };
  figures = 0;
  title: string | undefined;

  constructor(readonly slug: string) {}

  /** Adds an asset file; returns its URL. */
  addAsset(path: string, data: Buffer | string): string {
    this.assets.push({ path, data });
    return `/${path}`;
  }
}

/** Converts one executed notebook to chapter Markdown and its assets. */
export function convertNotebook(notebook: Notebook, options: ConvertOptions): ConvertedChapter {
  if (!notebook || !Array.isArray(notebook.cells)) throw new Error(`notebook for "${options.slug}" has no cells array: is it an nbformat 4 notebook?`);
  const chapter = new Chapter(options.slug);
  const meta = (notebook.metadata ?? {}) as { skipbook?: { backend?: Provenance["backend"]; executed_at?: string } };
  if (meta.skipbook?.backend) chapter.provenance.backend = meta.skipbook.backend;
  if (meta.skipbook?.executed_at) chapter.provenance.executedAt = meta.skipbook.executed_at;

  let afterTitlePlaced = false;
  notebook.cells.forEach((cell, cellIndex) => {
    if (tags(cell).includes("remove-cell")) return;
    if (cell.cell_type === "markdown") afterTitlePlaced = renderMarkdownCell(cell, cellIndex, chapter, options.afterTitle) || afterTitlePlaced;
    else if (cell.cell_type === "code") {
      const source = joinSource(cell.source);
      if (source.trim() && !tags(cell).includes("remove-input")) chapter.blocks.push(fence(source, "ts"));
      if (!tags(cell).includes("remove-output")) renderOutputs(cell.outputs ?? [], cellIndex, chapter);
    }
  });

  const { blocks, errors, warnings, provenance } = chapter;
  let title = chapter.title;
  if (!title) {
    title = options.fallbackTitle;
    blocks.unshift(`# ${title}`, ...(options.afterTitle ? [options.afterTitle] : []));
  } else if (!afterTitlePlaced && options.afterTitle) {
    blocks.unshift(options.afterTitle);
  }
  if (errors.length > 0) warnings.push(`${errors.length} error output(s) left out of the chapter: ${errors.join("; ")}`);
  provenance.executedAt ??= lastExecutionTime(notebook);
  return { markdown: `${blocks.join("\n\n")}\n`, title: plainTitle(title), assets: chapter.assets, figures: chapter.figures, errors, warnings, provenance };
}

/**
 * Appends a Markdown cell, its attached images as assets; the first `# heading` becomes the chapter's title, with
 * `afterTitle` right after it. Returns whether it placed `afterTitle`.
 */
function renderMarkdownCell(cell: Extract<Cell, { cell_type: "markdown" }>, cellIndex: number, chapter: Chapter, afterTitle: string | undefined): boolean {
  let markdown = rewriteNotebookLinks(joinSource(cell.source));
  for (const [name, bundle] of Object.entries(attachments(cell))) {
    const mime = Object.keys(bundle).find((m) => IMAGE_EXT[m]);
    if (!mime) continue;
    const url = chapter.addAsset(`nb-assets/${chapter.slug}/c${cellIndex}-${name.replace(/[^\w.-]/g, "_")}`, imageData(mime, bundle[mime]));
    markdown = markdown.split(`attachment:${name}`).join(url);
  }
  const heading = chapter.title === undefined ? /^(?:#\s+(.+?)\s*#*\s*)$/m.exec(markdown) : null;
  if (heading && !insideFence(markdown, heading.index)) {
    chapter.title = heading[1];
    const end = heading.index + heading[0].length;
    chapter.blocks.push(markdownBlock(markdown.slice(0, end)));
    if (afterTitle) chapter.blocks.push(afterTitle);
    if (markdown.slice(end).trim()) chapter.blocks.push(markdownBlock(markdown.slice(end)));
    return true;
  }
  if (markdown.trim()) chapter.blocks.push(markdownBlock(markdown));
  return false;
}

function tags(cell: Cell): string[] {
  const value = cell.metadata?.tags;
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
}

/** A Markdown cell's attachments: name → MIME bundle (nbformat leaves their shape open). */
function attachments(cell: Extract<Cell, { cell_type: "markdown" }>): Record<string, Record<string, unknown>> {
  const value = cell.attachments;
  return value && typeof value === "object" ? (value as Record<string, Record<string, unknown>>) : {};
}

/** The latest execution timestamp Jupyter clients record per cell (`metadata.execution`), if any. */
function lastExecutionTime(notebook: Notebook): string | undefined {
  let latest: string | undefined;
  for (const cell of notebook.cells) {
    const execution = cell.metadata?.execution;
    const time = execution?.["shell.execute_reply"] ?? execution?.["iopub.status.idle"];
    if (typeof time === "string" && (!latest || Date.parse(time) > Date.parse(latest))) latest = time;
  }
  return latest;
}
