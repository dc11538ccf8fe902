/**
 * Where a chapter's live panels go: at the end of the section whose heading contains the placement's `after` text
 * (before the next heading of the same or a higher level), so a panel sits under the static figures it recomputes.
 * Chapters are rewritten while the book grows: a heading that is gone puts the panel at the chapter's end, with a
 * warning, instead of failing the build.
 */
import { panelSpec } from "./specs";

export interface LivePanelPlacement {
  /** Chapter path relative to the book's src, e.g. "01-vanishing-gradients.ipynb". */
  chapter: string;
  /** Panel name (src/book/live/specs.ts). */
  panel: string;
  /** Text of the heading whose section the panel ends; none: the chapter's end. */
  after?: string;
}

/** The Vue component a page renders for a panel; its spec travels as base64 JSON, as NotebookHtml's HTML does. */
export function panelTag(panel: string): string {
  const spec64 = Buffer.from(JSON.stringify(panelSpec(panel)), "utf8").toString("base64");
  return `<LivePanel name="${panel}" spec64="${spec64}" />`;
}

/** Markdown cells arrive wrapped in this block (markup.ts's markdownBlock), where Vue compiles nothing. */
const WRAPPER_OPEN = '<div class="nb-markdown" v-pre>';
const WRAPPER_CLOSE = "</div>";

interface Heading {
  line: number;
  level: number;
  text: string;
  /** The v-pre wrapper around the heading: its first line, and whether the heading sits directly in it (no other open div). */
  wrapper?: { start: number; direct: boolean };
}

function headings(lines: string[]): Heading[] {
  const found: Heading[] = [];
  let fence: string | undefined;
  let wrapper: { start: number; depth: number } | undefined;
  lines.forEach((line, index) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (!fence || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence ? undefined : marker;
      return;
    }
    if (fence) return;
    if (!wrapper && line.trim() === WRAPPER_OPEN) {
      wrapper = { start: index, depth: 1 };
      return;
    }
    if (wrapper) {
      wrapper.depth += (line.match(/<div[\s>]/g)?.length ?? 0) - (line.match(/<\/div>/g)?.length ?? 0);
      if (wrapper.depth <= 0) {
        wrapper = undefined;
        return;
      }
    }
    const heading = /^(#{1,6})\s+(.*?)\s*(\{#[^}]*\})?\s*$/.exec(line);
    if (heading) {
      found.push({ line: index, level: heading[1].length, text: heading[2], ...(wrapper ? { wrapper: { start: wrapper.start, direct: wrapper.depth === 1 } } : {}) });
    }
  });
  return found;
}

/**
 * What goes before line `at` so that `tags` render as components: outside a v-pre wrapper as they are; before a
 * heading directly inside one, between a closed and a reopened wrapper; otherwise before the wrapper.
 */
function insertion(lines: string[], next: Heading | undefined, tags: string[]): { at: number; lines: string[] } {
  const block = ["", ...tags.flatMap((tag) => [tag, ""])];
  if (!next?.wrapper) return { at: next ? next.line : Number.POSITIVE_INFINITY, lines: block };
  const opensWrapper = lines.slice(next.wrapper.start + 1, next.line).every((line) => line.trim() === "");
  if (next.wrapper.direct && !opensWrapper) return { at: next.line, lines: ["", WRAPPER_CLOSE, ...block, WRAPPER_OPEN, ""] };
  return { at: next.wrapper.start, lines: block };
}

/** `markdown` with each panel's tag inserted; warnings for panels whose heading was not found. */
export function placeLivePanels(markdown: string, placements: LivePanelPlacement[]): { markdown: string; warnings: string[] } {
  const lines = markdown.split("\n");
  const all = headings(lines);
  const warnings: string[] = [];
  // the heading each panel goes before (undefined: the chapter's end), panels in book.toml's order
  const before = new Map<Heading | undefined, string[]>();
  for (const placement of placements) {
    let next: Heading | undefined;
    if (placement.after) {
      const wanted = placement.after.toLowerCase();
      const index = all.findIndex((h) => h.text.toLowerCase().includes(wanted));
      if (index < 0) {
        warnings.push(`live panel "${placement.panel}": no heading containing "${placement.after}" in ${placement.chapter}; placed at the chapter's end`);
      } else {
        next = all.slice(index + 1).find((h) => h.level <= all[index].level);
      }
    }
    before.set(next, [...(before.get(next) ?? []), panelTag(placement.panel)]);
  }
  const inserts = new Map<number, string[]>();
  for (const [next, tags] of before) {
    const { at, lines: block } = insertion(lines, next, tags);
    const line = Math.min(at, lines.length);
    inserts.set(line, [...(inserts.get(line) ?? []), ...block]);
  }
  const out: string[] = [];
  for (let i = 0; i <= lines.length; i++) {
    out.push(...(inserts.get(i) ?? []));
    if (i < lines.length) out.push(lines[i]);
  }
  return { markdown: out.join("\n"), warnings };
}
