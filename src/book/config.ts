/**
 * book.toml: the book's configuration, read with a real TOML parser and checked key by key.
 *
 * Keys follow mdBook (https://rust-lang.github.io/mdBook/format/configuration/) where they mean the same:
 * `[book] title, authors, language, src`, `[build] build-dir`, `[output.html] git-repository-url, mathjax-support,
 * site-url`. Paths are resolved against the folder holding book.toml.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "smol-toml";
import type { LivePanelPlacement } from "./live/placement";
import { PANEL_NAMES } from "./live/specs";

export interface BookConfig {
  /** Folder holding book.toml; every relative path below is resolved against it. */
  root: string;
  title: string;
  description: string;
  authors: string[];
  language: string;
  /** Absolute folder holding SUMMARY.md and the chapters (mdBook's `[book] src`). */
  src: string;
  /** Absolute folder the HTML book is written to (mdBook's `[build] build-dir`). */
  buildDir: string;
  gitRepositoryUrl?: string;
  mathjaxSupport: boolean;
  /** URL path the site is served under, always starting and ending with "/". */
  base: string;
  /** Shell commands shown on each chapter page; `{notebook}` becomes the chapter's file name. */
  openCommands: string[];
  /** Search checks for the browser test: query → chapter path (relative to src) its first hit must open. */
  searchExpect: Record<string, string>;
  /** Live panels ("Try it" experiments run in the reader's browser), from `[[output.html.live]]`. */
  livePanels: LivePanelPlacement[];
}

export class BookConfigError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "BookConfigError";
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Reads and validates book.toml; errors name the file, the key and what is valid. */
export function loadBookConfig(file: string): BookConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new BookConfigError(path, "not found (the book's configuration lives in book.toml at the project root)");
  let raw: Table;
  try {
    raw = parse(readFileSync(path, "utf8")) as Table;
  } catch (error) {
    throw new BookConfigError(path, `is not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
  return parseBookConfig(raw, path);
}

/** Validates an already-parsed book.toml table (exported for tests). */
export function parseBookConfig(raw: Table, path: string): BookConfig {
  const root = dirname(path);
  const fail = (message: string): never => {
    throw new BookConfigError(path, message);
  };
  const table = (parent: Table, key: string, name: string): Table => {
    const value = parent[key];
    if (value === undefined) return {};
    if (!isTable(value)) fail(`[${name}] must be a table, got ${JSON.stringify(value)}`);
    return value as Table;
  };
  const string = (parent: Table, key: string, name: string, fallback?: string): string => {
    const value = parent[key];
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      return fail(`${name} is required (a string)`);
    }
    if (typeof value !== "string" || value.trim() === "") return fail(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  };
  const strings = (parent: Table, key: string, name: string, fallback: string[]): string[] => {
    const value = parent[key];
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      return fail(`${name} must be an array of strings, got ${JSON.stringify(value)}`);
    }
    return value as string[];
  };

  const book = table(raw, "book", "book");
  const build = table(raw, "build", "build");
  const output = table(raw, "output", "output");
  const html = table(output, "html", "output.html");
  const notebook = table(html, "notebook", "output.html.notebook");
  const search = table(html, "search", "output.html.search");
  const expect = table(search, "expect", "output.html.search.expect");

  const title = string(book, "title", "book.title");
  const language = string(book, "language", "book.language", "en");
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) fail(`book.language must be a language tag like "en" or "en-GB", got "${language}"`);

  const src = resolve(root, string(book, "src", "book.src", "src"));
  if (!existsSync(src)) fail(`book.src "${book.src ?? "src"}" does not exist (it is the folder holding SUMMARY.md)`);
  const buildDirRaw = string(build, "build-dir", "build.build-dir", "book");
  const buildDir = isAbsolute(buildDirRaw) ? buildDirRaw : resolve(root, buildDirRaw);
  if (buildDir === root || root.startsWith(`${buildDir}/`) || src === buildDir || src.startsWith(`${buildDir}/`)) {
    fail(`build.build-dir "${buildDirRaw}" must not contain the project or the sources: it is emptied on every build`);
  }

  const gitRepositoryUrl = html["git-repository-url"] === undefined ? undefined : string(html, "git-repository-url", "output.html.git-repository-url");
  if (gitRepositoryUrl !== undefined && !/^https?:\/\//.test(gitRepositoryUrl)) {
    fail(`output.html.git-repository-url must be an http(s) URL, got "${gitRepositoryUrl}"`);
  }
  const mathjax = html["mathjax-support"] ?? true;
  if (typeof mathjax !== "boolean") fail(`output.html.mathjax-support must be true or false, got ${JSON.stringify(mathjax)}`);

  let base = string(html, "site-url", "output.html.site-url", "/");
  if (!base.startsWith("/")) fail(`output.html.site-url must be a path starting with "/", got "${base}"`);
  if (!base.endsWith("/")) base = `${base}/`;

  const searchExpect: Record<string, string> = {};
  for (const [query, chapter] of Object.entries(expect)) {
    if (typeof chapter !== "string") fail(`output.html.search.expect."${query}" must be a chapter path, got ${JSON.stringify(chapter)}`);
    searchExpect[query] = chapter as string;
  }

  const livePanels = parseLivePanels(html.live, fail);

  return {
    root,
    title,
    description: string(book, "description", "book.description", ""),
    authors: strings(book, "authors", "book.authors", []),
    language,
    src,
    buildDir,
    gitRepositoryUrl,
    mathjaxSupport: mathjax as boolean,
    base,
    openCommands: strings(notebook, "open-commands", "output.html.notebook.open-commands", []),
    searchExpect,
    livePanels,
  };
}

/** `[[output.html.live]]` entries: chapter (path under src), panel (a known name), optional after (heading text). */
function parseLivePanels(value: unknown, fail: (message: string) => never): LivePanelPlacement[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(`output.html.live must be an array of tables ([[output.html.live]]), got ${JSON.stringify(value)}`);
  return value.map((entry, i) => {
    const name = `output.html.live[${i}]`;
    if (!isTable(entry)) return fail(`${name} must be a table with chapter, panel and optionally after, got ${JSON.stringify(entry)}`);
    const unknown = Object.keys(entry).filter((key) => !["chapter", "panel", "after"].includes(key));
    if (unknown.length) fail(`${name} has unknown key(s) ${unknown.join(", ")}; keys: chapter, panel, after`);
    const { chapter, panel, after } = entry;
    if (typeof chapter !== "string" || !/\.(ipynb|md)$/.test(chapter)) fail(`${name}.chapter must be a chapter path such as "01-vanishing-gradients.ipynb", got ${JSON.stringify(chapter)}`);
    if (typeof panel !== "string" || !PANEL_NAMES.includes(panel)) fail(`${name}.panel must be one of ${PANEL_NAMES.join(", ")}, got ${JSON.stringify(panel)}`);
    if (after !== undefined && (typeof after !== "string" || after.trim() === "")) fail(`${name}.after must be a heading's text, got ${JSON.stringify(after)}`);
    return { chapter: chapter as string, panel: panel as string, ...(after !== undefined ? { after: after as string } : {}) };
  });
}
