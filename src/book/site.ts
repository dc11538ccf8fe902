/**
 * Writes the VitePress project for the book into a staging folder: one page per SUMMARY entry, the front page,
 * the executed notebooks for download, figure/image assets, the theme (src/book/theme) and a config whose sidebar
 * follows SUMMARY.md. `vitepress build` (build.ts) turns it into the HTML book.
 */
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { BookConfig } from "./config";
import { convertNotebook, type NotebookLike, type Provenance, rewriteNotebookLinks } from "./convert";
import type { SummaryEntry } from "./summary";
import { placeLivePanels } from "./live/placement";

/** One SUMMARY entry with its content: an executed notebook, a Markdown page, or nothing (a draft). */
export interface ChapterInput {
  entry: SummaryEntry;
  notebook?: NotebookLike;
  markdown?: string;
}

export interface PageReport {
  /** Site path of the page, e.g. "/03-resnet.html". */
  url: string;
  title: string;
  /** Chapter file relative to the book's src ("03-resnet.ipynb"); undefined for the front page. */
  source?: string;
  figures: number;
  /** Live panels on the page ("Try it" experiments), in book.toml's order. */
  livePanels: string[];
  /** Site path of the downloadable executed notebook. */
  download?: string;
  provenance?: Provenance;
}

export interface SiteReport {
  pages: PageReport[];
  warnings: string[];
  /** Whether any page has a live panel: the build then bundles their worker into public/live/. */
  hasLivePanels: boolean;
}

const THEME_DIR = join(__dirname, "theme");

/** A block with a skip arc around it; browsers ask for an icon, and a 404 would be a console error. */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="9" y="14" width="14" height="12" rx="3" fill="#3451b2"/><path d="M4 20 C4 4 28 4 28 20" fill="none" stroke="#3451b2" stroke-width="3"/></svg>`;

function pageSlug(path: string): string {
  return path.replace(/\.(ipynb|md)$/, "");
}

/** README.md / index.md as a prefix chapter is the front page, as in mdBook. */
function isFrontPage(entry: SummaryEntry): boolean {
  return entry.kind === "prefix" && !!entry.path && /^(README|index)\.md$/i.test(entry.path);
}

function writeFile(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

function backendLabel(p: Provenance | undefined): string {
  const b = p?.backend;
  if (!b) return "unknown (no backend report in the executed notebook)";
  const name =
    b.backend === "tensorflow" ? "native TensorFlow" : b.backend === "wasm" ? "WebAssembly (tfjs-backend-wasm)" : b.backend === "cpu" ? "pure JavaScript (tfjs cpu)" : b.backend;
  return `${name} on ${b.device} (${b.version})`;
}

function formatTime(iso: string | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return "not recorded";
  return new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

function launchBox(config: BookConfig, notebookName: string, downloadUrl: string): string {
  const commands = config.openCommands.map((c) => c.split("{notebook}").join(notebookName));
  const repo = config.gitRepositoryUrl ? ` from a clone of [the repository](${config.gitRepositoryUrl})` : " from your copy of the project";
  return [
    `<div class="nb-launch">`,
    "",
    `[Download ${notebookName}](${downloadUrl}){.nb-download download="${notebookName}" target="_self"} — the executed notebook, outputs included. ` +
      `To run it yourself, open it in JupyterLab${repo}:`,
    "",
    ...(commands.length ? ["```sh", ...commands, "```", ""] : []),
    `</div>`,
  ].join("\n");
}

/** A title that starts with its own number: "0. Skip connections", "2.1 Highway nets", "3) Dense". */
const NUMBERED_TITLE = /^\d+(\.\d+)*[.)]?\s/;

/** The line in the front page's Markdown where the clone command goes, when book.toml names the repository. */
export const CLONE_MARKER = "<!-- git-clone -->";

/** Replaces the clone marker with `git clone URL && cd NAME` when the book names a repository, else drops it. */
function withCloneLine(markdown: string, repositoryUrl: string | undefined): string {
  const name = repositoryUrl?.replace(/\/+$/, "").replace(/\.git$/, "").split("/").pop();
  const block = repositoryUrl && name ? ["```sh", `git clone ${repositoryUrl} && cd ${name}`, "```"].join("\n") : "";
  return markdown
    .split("\n")
    .flatMap((line) => (line.trim() === CLONE_MARKER ? (block ? [block] : []) : [line]))
    .join("\n");
}

function frontPage(config: BookConfig, intro: string | undefined, pages: PageReport[], firstChapterUrl: string | undefined): string {
  const chapters = pages.filter((p) => p.source);
  const backends = [...new Set(chapters.map((p) => backendLabel(p.provenance)))];
  const times = chapters.map((p) => p.provenance?.executedAt).filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  times.sort((a, b) => Date.parse(a) - Date.parse(b));
  const fallbacks = [...new Set(chapters.flatMap((p) => p.provenance?.fallbacks ?? []))];
  const listMarker = chapters.some((c) => NUMBERED_TITLE.test(c.title)) ? "-" : "1.";
  const hero = {
    layout: "home",
    title: config.title,
    hero: {
      name: config.title,
      tagline: config.description || undefined,
      actions: [
        ...(firstChapterUrl ? [{ theme: "brand", text: "Start reading", link: firstChapterUrl }] : []),
        ...(config.gitRepositoryUrl ? [{ theme: "alt", text: /^https?:\/\/github\.com\//.test(config.gitRepositoryUrl) ? "Source on GitHub" : "Source", link: config.gitRepositoryUrl }] : []),
      ],
    },
  };
  const lines = [
    "---",
    // JSON is valid YAML, and needs no escaping rules of its own.
    JSON.stringify(hero),
    "---",
    "",
    `<div class="vp-doc nb-front">`,
    "",
    intro ? rewriteNotebookLinks(withCloneLine(intro.replace(/^#\s+.*\n/, ""), config.gitRepositoryUrl)).trim() : "",
    "",
    "## Chapters",
    "",
    // chapters whose titles carry their own numbers ("0. Skip connections") are listed without a second one
    ...chapters.map((p) => `${listMarker} [${p.title}](${p.url.replace(/\.html$/, ".md").replace(/^\//, "./")})`),
    "",
    "## How these pages were produced",
    "",
    `Every output in this book was computed by executing the notebooks with the book's own TypeScript kernel; nothing was pasted in. ` +
      `Backend: **${backends.join("; ") || "no chapters executed yet"}**` +
      (times.length ? `, executed ${times.length > 1 && times[0] !== times[times.length - 1] ? `between ${formatTime(times[0])} and ${formatTime(times[times.length - 1])}` : `at ${formatTime(times[times.length - 1])}`}.` : "."),
    ...(fallbacks.length ? ["", `Faster backends that could not be used on that machine: ${fallbacks.map((f) => `\`${f}\``).join(", ")}.`] : []),
    "",
    "| Chapter | Backend | Executed |",
    "| --- | --- | --- |",
    ...chapters.map((p) => `| [${p.title}](${p.url.replace(/\.html$/, ".md").replace(/^\//, "./")}) | ${backendLabel(p.provenance)} | ${formatTime(p.provenance?.executedAt)} |`),
    "",
    `</div>`,
    "",
  ];
  return lines.join("\n");
}

function sidebar(chapters: ChapterInput[], pages: Map<string, PageReport>): unknown[] {
  const groups: { text?: string; items: unknown[] }[] = [];
  let current: { text?: string; items: unknown[] } | undefined;
  // Nested SUMMARY entries become nested sidebar items under their parent.
  const stack: { depth: number; item: { items?: unknown[] } }[] = [];
  for (const { entry } of chapters) {
    if (isFrontPage(entry)) continue;
    if (!current || current.text !== entry.part) {
      current = { text: entry.part, items: [] };
      groups.push(current);
      stack.length = 0;
    }
    const page = entry.path ? pages.get(entry.path) : undefined;
    const item: { text: string; link?: string; items?: unknown[] } = { text: entry.title };
    if (page) item.link = page.url.replace(/\.html$/, "");
    while (stack.length && stack[stack.length - 1].depth >= entry.depth) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) (parent.item.items ??= []).push(item);
    else current.items.push(item);
    stack.push({ depth: entry.depth, item });
  }
  return groups.map((g) => (g.text ? { text: g.text, items: g.items } : { items: g.items }));
}

/** Writes the VitePress project for `chapters` into `stagingDir` (emptied first) and says what it wrote. */
export function writeSite(config: BookConfig, chapters: ChapterInput[], stagingDir: string, options: { draft?: boolean } = {}): SiteReport {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(join(stagingDir, "public"), { recursive: true });
  const warnings: string[] = [];
  const pages = new Map<string, PageReport>();
  const reports: PageReport[] = [];
  let intro: string | undefined;
  /** The page's Markdown with the chapter's live panels placed (book.toml's [[output.html.live]]). */
  const withLivePanels = (path: string, markdown: string): { markdown: string; livePanels: string[] } => {
    const placements = config.livePanels.filter((p) => p.chapter === path);
    if (placements.length === 0) return { markdown, livePanels: [] };
    const placed = placeLivePanels(markdown, placements);
    for (const warning of placed.warnings) warnings.push(`${path}: ${warning}`);
    return { markdown: placed.markdown, livePanels: placements.map((p) => p.panel) };
  };

  for (const { entry, notebook, markdown } of chapters) {
    if (!entry.path) continue;
    if (isFrontPage(entry)) {
      intro = markdown;
      continue;
    }
    const slug = pageSlug(entry.path);
    const url = `/${slug}.html`;
    if (notebook) {
      const notebookName = basename(entry.path);
      const download = `/notebooks/${entry.path}`;
      const converted = convertNotebook(notebook, { slug, fallbackTitle: entry.title, afterTitle: launchBox(config, notebookName, download) });
      for (const warning of converted.warnings) warnings.push(`${entry.path}: ${warning}`);
      for (const asset of converted.assets) writeFile(join(stagingDir, "public", asset.path), asset.data);
      writeFile(join(stagingDir, "public", "notebooks", entry.path), `${JSON.stringify(notebook, null, 1)}\n`);
      const page = withLivePanels(entry.path, converted.markdown);
      writeFile(join(stagingDir, `${slug}.md`), page.markdown);
      const report: PageReport = { url, title: converted.title, source: entry.path, figures: converted.figures, livePanels: page.livePanels, download, provenance: converted.provenance };
      pages.set(entry.path, report);
      reports.push(report);
    } else if (markdown !== undefined) {
      const page = withLivePanels(entry.path, rewriteNotebookLinks(markdown));
      writeFile(join(stagingDir, `${slug}.md`), page.markdown);
      const heading = /^#\s+(.+)$/m.exec(markdown);
      const report: PageReport = { url, title: heading ? heading[1].trim() : entry.title, source: entry.path, figures: 0, livePanels: page.livePanels };
      pages.set(entry.path, report);
      reports.push(report);
    }
  }

  const firstChapter = reports.find((p) => p.source);
  const front: PageReport = { url: "/index.html", title: config.title, figures: 0, livePanels: [] };
  for (const placement of config.livePanels) {
    if (!pages.has(placement.chapter)) warnings.push(`live panel "${placement.panel}": chapter ${placement.chapter} is not in this build; the panel is left out`);
  }
  writeFile(join(stagingDir, "index.md"), frontPage(config, intro, reports, firstChapter?.url.replace(/\.html$/, "")));

  writeFile(join(stagingDir, "public", "favicon.svg"), FAVICON);
  copyFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), ensureDir(join(stagingDir, "public", "vendor"), "plotly.min.js"));
  cpSync(THEME_DIR, join(stagingDir, ".vitepress", "theme"), { recursive: true });
  writeFile(join(stagingDir, ".vitepress", "config.mjs"), vitepressConfig(config, chapters, pages, stagingDir, options.draft ?? false));
  return { pages: [front, ...reports], warnings, hasLivePanels: reports.some((r) => r.livePanels.length > 0) };
}

function ensureDir(dir: string, file: string): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, file);
}

function vitepressConfig(config: BookConfig, chapters: ChapterInput[], pages: Map<string, PageReport>, stagingDir: string, draft: boolean): string {
  const site = {
    title: config.title,
    description: config.description,
    lang: config.language,
    base: config.base,
    outDir: relative(stagingDir, config.buildDir) || ".",
    cacheDir: ".vitepress/cache",
    cleanUrls: false,
    // A link to a page that does not exist fails the build, except in a draft, where chapters may still be missing.
    ignoreDeadLinks: draft,
    head: [["link", { rel: "icon", type: "image/svg+xml", href: `${config.base}favicon.svg` }]],
    lastUpdated: false,
    markdown: { math: config.mathjaxSupport, lineNumbers: false },
    themeConfig: {
      sidebar: sidebar(chapters, pages),
      search: {
        provider: "local",
        // Each heading is a search document; `titles` holds the headings above it. Weighing those more than
        // the section's own title makes a term in a chapter's title rank that chapter's sections first: "residual"
        // leads to "Residual networks", not to one section of another chapter that mentions the residual fix.
        options: { miniSearch: { searchOptions: { boost: { title: 4, text: 2, titles: 6 } } } },
      },
      outline: { level: [2, 3], label: "On this page" },
      docFooter: { prev: "Previous chapter", next: "Next chapter" },
      socialLinks: config.gitRepositoryUrl ? [{ icon: "github", link: config.gitRepositoryUrl }] : [],
      footer: { message: config.authors.length ? `By ${config.authors.join(", ")}.` : undefined },
    },
    vite: {
      // Plotly ships as a static file in public/vendor; nothing large goes through the bundler.
      build: { chunkSizeWarningLimit: 1500 },
      logLevel: "warn",
    },
  };
  return [
    "// Generated by src/book/site.ts from book.toml and SUMMARY.md; edits here are overwritten.",
    `export default ${JSON.stringify(site, null, 2)};`,
    "",
  ].join("\n");
}
