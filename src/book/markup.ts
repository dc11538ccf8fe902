/** Small helpers that make or clean a chapter's markup (convert.ts, outputs.ts). */

/** File extensions of the image MIME types a chapter shows as files. */
export const IMAGE_EXT: Record<string, string> = { "image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" };

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
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

/** Rewrites links to other notebooks (`03-resnet.ipynb#x`) to their chapter pages; leaves URLs alone. */
export function rewriteNotebookLinks(markdown: string): string {
  return markdown.replace(/(\]\()(?![a-z][a-z0-9+.-]*:|\/\/)([^)\s]+?)\.ipynb((?:#[^)\s]*)?(?:\s+"[^"]*")?\))/gi, "$1$2.md$3");
}

/** A MIME bundle's value as text: nbformat's multiline strings joined, anything else as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.join("");
  return JSON.stringify(value, null, 2);
}

/** An image's file contents: SVG as its text, the others decoded from base64. */
export function imageData(mime: string, value: unknown): Buffer | string {
  const raw = textOf(value);
  return mime === "image/svg+xml" ? raw : Buffer.from(raw.replace(/\s+/g, ""), "base64");
}

/** A fence longer than any run of backticks inside `code`. */
export function fence(code: string, info: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${info}\n${code.replace(/\n+$/, "")}\n${ticks}`;
}

/** Markdown rendered as written but shielded from Vue's `{{ }}` interpolation. */
export function markdownBlock(markdown: string): string {
  return `<div class="nb-markdown" v-pre>\n\n${markdown.trim()}\n\n</div>`;
}

/** Preformatted output text, escaped; `kind` is its CSS class (nb-stdout, nb-stderr, nb-result). */
export function preBlock(text: string, kind: string): string {
  // A <pre> HTML block runs to its closing tag even across blank lines, so the text stays intact.
  return `<pre class="nb-output ${kind}" v-pre>${escapeHtml(text.replace(/\n+$/, ""))}</pre>`;
}

/** Whether `index` in `markdown` lies inside a fenced code block. */
export function insideFence(markdown: string, index: number): boolean {
  const fences = markdown.slice(0, index).match(/^\s*(```|~~~)/gm);
  return (fences?.length ?? 0) % 2 === 1;
}

/** The heading's text without Markdown emphasis or code marks, for the sidebar and <title>. */
export function plainTitle(title: string): string {
  return title.replace(/[`*_]/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").trim();
}
