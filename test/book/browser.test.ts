// The built fixture book in a real browser (Debian's Chromium): pages, figures, maths, code, links, downloads, search.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBook } from "../../src/book/build";
import { serveBook } from "../../src/book/serve";
import { bookBrowserSuite } from "./browser-checks";

const ROOT = join(__dirname, "..", "..");
const FIXTURE = join(ROOT, "test", "fixtures", "book");

bookBrowserSuite(
  "the fixture book in Chromium",
  async () => {
    const chapters = ["01-residual.ipynb", "02-identity.ipynb"];
    const executed = new Map(chapters.map((c) => [c, JSON.parse(readFileSync(join(FIXTURE, "src", c), "utf8"))]));
    const result = await buildBook({
      root: ROOT,
      configFile: join(FIXTURE, "book.toml"),
      executed,
      outDir: join(ROOT, "build", "test-book"),
      stagingDir: join(ROOT, ".cache", "test-book-site"),
      log: () => undefined,
    });
    const server = await serveBook(result.outDir, { port: 0 });
    return {
      baseUrl: server.url,
      pages: result.pages.map((p) => p.url),
      figures: Object.fromEntries(result.pages.map((p) => [p.url, p.figures])),
      searches: Object.fromEntries(Object.entries(result.config.searchExpect).map(([q, c]) => [q, `/${c.replace(/\.(ipynb|md)$/, ".html")}`])),
      close: server.close,
    };
  },
  join(ROOT, "test-artifacts", "book", "fixture"),
);
