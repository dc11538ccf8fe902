// The project's own book in the browser, built from the runner's cached executed notebooks. Skipped (with the
// reason) until every chapter in notebooks/SUMMARY.md has a successful executed copy: `npm run book` makes them.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBook, cachedExecutedNotebook } from "../../src/book/build";
import { loadBookConfig } from "../../src/book/config";
import { serveBook } from "../../src/book/serve";
import { loadSummary } from "../../src/book/summary";
import { bookBrowserSuite } from "./browser-checks";

const ROOT = join(__dirname, "..", "..");

function notReady(): string | undefined {
  const config = loadBookConfig(join(ROOT, "book.toml"));
  const missing = loadSummary(join(config.src, "SUMMARY.md"))
    .entries.filter((e) => e.path?.endsWith(".ipynb"))
    .filter((e) => {
      const file = join(config.src, e.path!);
      return !existsSync(file) || cachedExecutedNotebook(ROOT, file) === undefined;
    })
    .map((e) => e.path);
  return missing.length ? `no executed copy yet of ${missing.join(", ")} (run npm run book)` : undefined;
}

const reason = notReady();
// CI runs `npm start` before `npm test`, so there the book must exist: a skip would hide a broken build.
if (reason && process.env.CI) throw new Error(`published book: ${reason}; CI must build the book first`);
if (reason) process.stderr.write(`published book: skipped: ${reason}\n`);

bookBrowserSuite(
  `the project's book in Chromium${reason ? ` (skipped: ${reason})` : ""}`,
  async () => {
    if (reason) return undefined;
    const outDir = join(ROOT, "build", "test-published-book");
    const result = await buildBook({ root: ROOT, execute: false, outDir, stagingDir: join(ROOT, ".cache", "test-published-book-site"), log: () => undefined });
    const server = await serveBook(outDir, { port: 0, base: result.config.base });
    // Figures per page as rendered (server-side) into the built HTML.
    const figures = Object.fromEntries(
      result.pages.map((p) => [p.url, readFileSync(join(outDir, p.url), "utf8").split('class="nb-output plotly-figure"').length - 1]),
    );
    return {
      baseUrl: server.url,
      pages: result.pages.map((p) => p.url),
      figures,
      searches: Object.fromEntries(Object.entries(result.config.searchExpect).map(([q, c]) => [q, `/${c.replace(/\.(ipynb|md)$/, ".html")}`])),
      close: server.close,
    };
  },
  join(ROOT, "test-artifacts", "book", "published"),
);
