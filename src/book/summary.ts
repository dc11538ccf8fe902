/**
 * SUMMARY.md in mdBook's format (https://rust-lang.github.io/mdBook/format/summary.html): the chapter order.
 *
 * Supported: an optional `# Summary` title, prefix chapters (`[Title](file)` before the list), numbered chapters
 * (`- [Title](file)`, nested by indentation), part titles (`# Part`), separators (`---`), draft chapters
 * (`- [Title]()`, listed without a page) and suffix chapters after the list.
 */
import { readFileSync } from "node:fs";

export interface SummaryEntry {
  title: string;
  /** Path relative to the book's src folder; undefined for a draft chapter. */
  path?: string;
  kind: "prefix" | "numbered" | "suffix";
  /** "1.2" for numbered chapters. */
  number?: string;
  /** 0 for top-level entries. */
  depth: number;
  /** The `# Part` title above this entry, if any. */
  part?: string;
  /** 1-based line in SUMMARY.md, for error messages. */
  line: number;
}

export interface Summary {
  entries: SummaryEntry[];
}

export class SummaryError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "SummaryError";
  }
}

const LINK = /^\[([^\]]+)\]\(([^)]*)\)$/;
const LIST_ITEM = /^(\s*)[-*]\s+(.*)$/;

/** Parses SUMMARY.md text; `file` only labels errors. */
export function parseSummary(text: string, file = "SUMMARY.md"): Summary {
  const entries: SummaryEntry[] = [];
  const counters: number[] = [];
  const indents: number[] = [];
  let part: string | undefined;
  let seenTitle = false;
  let seenList = false;
  const lines = text.split(/\r?\n/);
  let inComment = false;

  lines.forEach((rawLine, index) => {
    const lineNo = index + 1;
    let line = rawLine;
    // HTML comments are ignored, as in mdBook.
    if (inComment) {
      const end = line.indexOf("-->");
      if (end < 0) return;
      line = line.slice(end + 3);
      inComment = false;
    }
    line = line.replace(/<!--.*?-->/g, "");
    const open = line.indexOf("<!--");
    if (open >= 0) {
      line = line.slice(0, open);
      inComment = true;
    }
    if (line.trim() === "") return;

    const heading = /^#{1,6}\s+(.*)$/.exec(line.trim());
    if (heading) {
      if (!seenTitle && !seenList && entries.length === 0) {
        seenTitle = true; // the summary's own title, e.g. "# Summary"
        return;
      }
      part = heading[1].trim();
      return;
    }
    if (/^(-{3,}|\*{3,}|_{3,})$/.test(line.trim())) return; // separator: no page

    const item = LIST_ITEM.exec(line);
    if (item) {
      const indent = item[1].replace(/\t/g, "    ").length;
      const link = LINK.exec(item[2].trim());
      if (!link) throw new SummaryError(file, lineNo, `a list item must be a link "- [Title](file.ipynb)", got "${item[2].trim()}"`);
      while (indents.length > 0 && indent < indents[indents.length - 1]) {
        indents.pop();
        counters.pop();
      }
      if (indents.length === 0 || indent > indents[indents.length - 1]) {
        if (indents.length > 0 && counters.length === 0) throw new SummaryError(file, lineNo, "nested item without a parent");
        indents.push(indent);
        counters.push(0);
      }
      counters[counters.length - 1] += 1;
      seenList = true;
      entries.push(entryFrom(link, "numbered", file, lineNo, { number: counters.join("."), depth: counters.length - 1, part }));
      return;
    }

    const link = LINK.exec(line.trim());
    if (link) {
      entries.push(entryFrom(link, seenList ? "suffix" : "prefix", file, lineNo, { depth: 0, part }));
      return;
    }
    throw new SummaryError(file, lineNo, `expected a "# title", a "- [Title](file)" chapter or a "[Title](file)" prefix/suffix chapter, got "${line.trim()}"`);
  });

  if (entries.length === 0) throw new SummaryError(file, 1, "lists no chapters");
  const seen = new Map<string, number>();
  for (const entry of entries) {
    if (!entry.path) continue;
    const before = seen.get(entry.path);
    if (before !== undefined) throw new SummaryError(file, entry.line, `"${entry.path}" is already listed on line ${before}`);
    seen.set(entry.path, entry.line);
  }
  return { entries };
}

function entryFrom(
  link: RegExpExecArray,
  kind: SummaryEntry["kind"],
  file: string,
  line: number,
  extra: { number?: string; depth: number; part?: string },
): SummaryEntry {
  const title = link[1].trim();
  const target = decodeURI(link[2].trim());
  if (target !== "" && !/\.(ipynb|md)$/.test(target)) {
    throw new SummaryError(file, line, `chapter "${title}" must point at a .ipynb or .md file, got "${target}"`);
  }
  if (target.startsWith("/") || target.split("/").includes("..")) {
    throw new SummaryError(file, line, `chapter "${title}" must be a path inside the book's src folder, got "${target}"`);
  }
  if (kind !== "numbered" && target === "") throw new SummaryError(file, line, `prefix and suffix chapters cannot be drafts ("${title}")`);
  return { title, path: target === "" ? undefined : target, kind, line, ...extra };
}

/** Reads and parses SUMMARY.md from disk. */
export function loadSummary(file: string): Summary {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new SummaryError(file, 1, "not found (SUMMARY.md in the book's src folder lists the chapters)");
  }
  return parseSummary(text, file);
}
