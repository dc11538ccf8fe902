/**
 * What a reader's browser sees on a built book, gathered in one pass with one Chromium (Debian's, via playwright-core):
 * per page the HTTP status, console errors, failed requests, rendered text, maths, code highlighting, Plotly figures in
 * light and dark mode, links and the download link; plus local search. Tests assert on the result.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export interface FigureState {
  state: string | null;
  svg: boolean;
  traces: number;
  drawn: number;
  fontColor: string | undefined;
}

export interface PageVisit {
  url: string;
  status: number;
  consoleErrors: string[];
  failedRequests: string[];
  textLength: number;
  rawMath: string[];
  mathRendered: number;
  codeBlocks: number;
  unhighlightedCode: number;
  figuresLight: FigureState[];
  figuresDark: FigureState[];
  darkClass: boolean;
  links: string[];
  downloads: string[];
}

function collectFigures(page: Page): Promise<FigureState[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>(".plotly-figure")).map((figure) => {
      const gd = figure.querySelector(".js-plotly-plot") as (HTMLElement & { _fullData?: unknown[]; _fullLayout?: { font?: { color?: string } } }) | null;
      const drawn = gd ? gd.querySelectorAll("svg.main-svg .trace, svg.main-svg .hm, svg.main-svg .contour, .gl-container canvas").length : 0;
      return {
        state: figure.getAttribute("data-state"),
        svg: !!gd?.querySelector("svg.main-svg"),
        traces: gd?._fullData?.length ?? 0,
        drawn,
        fontColor: gd?._fullLayout?.font?.color,
      };
    }),
  );
}

async function waitForFigures(page: Page, timeout = 20_000): Promise<void> {
  await page
    .waitForFunction(
      () => Array.from(document.querySelectorAll(".plotly-figure")).every((f) => f.getAttribute("data-state") !== "loading"),
      undefined,
      { timeout },
    )
    .catch(() => undefined); // the figure check reports which ones never finished
}

/** Visits each page in light mode, then switches the same page to dark; screenshots into `artifacts`. */
export async function visitPages(browser: Browser, baseUrl: string, paths: string[], artifacts: string): Promise<PageVisit[]> {
  mkdirSync(artifacts, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  const page = await context.newPage();
  let consoleErrors: string[] = [];
  let failedRequests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) => failedRequests.push(`${request.url()} (${request.failure()?.errorText})`));
  page.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.url()} (HTTP ${response.status()})`);
  });

  const visits: PageVisit[] = [];
  for (const path of paths) {
    consoleErrors = [];
    failedRequests = [];
    await page.emulateMedia({ colorScheme: "light" });
    const url = new URL(path.replace(/^\//, ""), baseUrl).href;
    const response = await page.goto(url, { waitUntil: "networkidle" });
    await waitForFigures(page);
    const content = await page.evaluate(() => {
      const main = document.querySelector(".VPContent") as HTMLElement | null;
      // Text outside code: raw `$$` there means maths was not typeset.
      const clone = main?.cloneNode(true) as HTMLElement | undefined;
      clone?.querySelectorAll("pre, code, mjx-container").forEach((e) => e.remove());
      const text = clone?.textContent ?? "";
      const raw = [...text.matchAll(/.{0,30}\$\$?[^$\s][^$]{0,30}\$?\$.{0,10}/g)].map((m) => m[0]);
      const code = Array.from(document.querySelectorAll('.vp-doc div[class*="language-"] pre'));
      return {
        textLength: (main?.innerText ?? "").trim().length,
        rawMath: raw,
        mathRendered: document.querySelectorAll("mjx-container svg").length,
        codeBlocks: code.length,
        unhighlightedCode: code.filter((pre) => !pre.querySelector('span[style*="--shiki-light"]')).length,
        links: Array.from(document.querySelectorAll<HTMLAnchorElement>("a[href]")).map((a) => a.href),
        downloads: Array.from(document.querySelectorAll<HTMLAnchorElement>("a.nb-download")).map((a) => a.href),
      };
    });
    const figuresLight = await collectFigures(page);
    const slug = path.replace(/^\//, "").replace(/\.html$/, "").replace(/\//g, "_") || "index";
    await page.screenshot({ path: join(artifacts, `${slug}.png`), fullPage: true });

    // The reader flips the system theme: the page and its figures follow without a reload.
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => document.documentElement.classList.contains("dark"), undefined, { timeout: 5000 }).catch(() => undefined);
    if (figuresLight.length > 0) {
      await page
        .waitForFunction(
          (before) =>
            Array.from(document.querySelectorAll(".js-plotly-plot")).every(
              (gd, i) => (gd as unknown as { _fullLayout?: { font?: { color?: string } } })._fullLayout?.font?.color !== before[i],
            ),
          figuresLight.map((f) => f.fontColor),
          { timeout: 5000 },
        )
        .catch(() => undefined);
    }
    const darkClass = await page.evaluate(() => document.documentElement.classList.contains("dark"));
    const figuresDark = await collectFigures(page);
    if (figuresLight.length > 0) {
      await page.locator(".plotly-figure").first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(artifacts, `${slug}-dark.png`) });
    }

    visits.push({
      url,
      status: response?.status() ?? 0,
      consoleErrors: [...consoleErrors],
      failedRequests: [...failedRequests],
      ...content,
      figuresLight,
      figuresDark,
      darkClass,
    });
  }
  await context.close();
  return visits;
}

/** Types `query` into the local search box and opens the first hit; returns the URL it lands on. */
export async function searchFirstHit(browser: Browser, baseUrl: string, query: string): Promise<{ url: string; hits: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(baseUrl, { waitUntil: "networkidle" });
    await page.click(".VPNavBarSearch button");
    const input = page.locator("#localsearch-input");
    await input.fill(query);
    await page.waitForSelector(".VPLocalSearchBox .results .result", { timeout: 10_000 });
    const hits = await page.locator(".VPLocalSearchBox .results .result").count();
    await Promise.all([page.waitForURL((u) => u.href !== baseUrl, { timeout: 10_000 }), page.locator(".VPLocalSearchBox .results .result").first().click()]);
    return { url: page.url(), hits };
  } finally {
    await page.close();
  }
}

export interface BuiltBook {
  /** Served site root, ending in "/". */
  baseUrl: string;
  /** Site paths of the pages the book must have ("/index.html", "/03-resnet.html", ...). */
  pages: string[];
  /** Figures each page must draw, by site path. */
  figures: Record<string, number>;
  /** Search query → site path its first hit must open. */
  searches: Record<string, string>;
  close(): Promise<void>;
}

/** The browser suite: run on the fixture book always, and on the project's book when it has been built. */
export function bookBrowserSuite(name: string, setUp: () => Promise<BuiltBook | undefined>, artifacts: string): void {
  describe(name, () => {
    let book: BuiltBook | undefined;
    let browser: Browser | undefined;
    let visits: PageVisit[] = [];
    const ready = (t: { skip(message?: string): void }): BuiltBook | undefined => {
      if (!book) t.skip("book not built");
      return book;
    };

    before(async () => {
      book = await setUp();
      if (!book) return;
      browser = await launchChromium();
      visits = await visitPages(browser, book.baseUrl, book.pages, artifacts);
    });
    after(async () => {
      await browser?.close();
      await book?.close();
    });

    it("serves every SUMMARY page with HTTP 200, no console errors and no failed requests", (t) => {
      if (!ready(t)) return;
      assert.equal(visits.length, book!.pages.length);
      for (const visit of visits) {
        assert.equal(visit.status, 200, visit.url);
        assert.deepEqual(visit.consoleErrors, [], `console errors on ${visit.url}`);
        assert.deepEqual(visit.failedRequests, [], `failed requests on ${visit.url}`);
      }
    });

    it("renders every page with content (none blank) and keeps a screenshot of each", (t) => {
      if (!ready(t)) return;
      for (const visit of visits) assert.ok(visit.textLength > 200, `${visit.url} renders only ${visit.textLength} characters`);
    });

    it("draws every Plotly figure, with at least one trace, in light and in dark mode", (t) => {
      if (!ready(t)) return;
      for (const visit of visits) {
        const path = new URL(visit.url).pathname.slice(new URL(book!.baseUrl).pathname.length - 1);
        const expected = book!.figures[path] ?? 0;
        assert.equal(visit.figuresLight.length, expected, `${visit.url}: figures on the page`);
        for (const [mode, figures] of [["light", visit.figuresLight], ["dark", visit.figuresDark]] as const) {
          figures.forEach((figure, i) => {
            assert.equal(figure.state, "drawn", `${visit.url} figure ${i} (${mode})`);
            assert.ok(figure.svg, `${visit.url} figure ${i} (${mode}) has Plotly's SVG`);
            assert.ok(figure.traces >= 1 && figure.drawn >= 1, `${visit.url} figure ${i} (${mode}) draws a trace`);
          });
        }
        if (expected > 0) {
          assert.ok(visit.darkClass, `${visit.url} switched to dark mode`);
          visit.figuresDark.forEach((figure, i) =>
            assert.notEqual(figure.fontColor, visit.figuresLight[i].fontColor, `${visit.url} figure ${i} follows the theme`),
          );
        }
      }
    });

    it("typesets the maths (no raw $$ left) and highlights every code block", (t) => {
      if (!ready(t)) return;
      for (const visit of visits) {
        assert.deepEqual(visit.rawMath, [], `${visit.url} shows raw TeX`);
        assert.equal(visit.unhighlightedCode, 0, `${visit.url}: ${visit.unhighlightedCode} of ${visit.codeBlocks} code blocks not highlighted`);
      }
      const chapters = visits.filter((v) => !v.url.endsWith("/index.html"));
      assert.ok(chapters.every((v) => v.codeBlocks > 0), "every chapter shows its code");
    });

    it("resolves every internal link, anchors included", async (t) => {
      if (!ready(t)) return;
      const origin = new URL(book!.baseUrl).origin;
      const targets = new Set(visits.flatMap((v) => v.links).filter((href) => href.startsWith(origin)));
      const pages = new Map<string, string>();
      for (const href of targets) {
        const url = new URL(href);
        const hash = decodeURIComponent(url.hash.slice(1));
        url.hash = "";
        if (!pages.has(url.href)) {
          const response = await fetch(url.href);
          assert.equal(response.status, 200, `link ${href}`);
          pages.set(url.href, await response.text());
        }
        if (hash) assert.ok(pages.get(url.href)!.includes(`id="${hash}"`), `anchor #${hash} exists on ${url.href}`);
      }
      assert.ok(targets.size >= book!.pages.length, "the sidebar links every page");
    });

    it("offers each chapter's executed notebook for download, as a valid notebook", async (t) => {
      if (!ready(t)) return;
      const chapters = visits.filter((v) => !v.url.endsWith("/index.html"));
      for (const visit of chapters) {
        assert.equal(visit.downloads.length, 1, `${visit.url} has one download link`);
        const response = await fetch(visit.downloads[0]);
        assert.equal(response.status, 200);
        const notebook = (await response.json()) as { nbformat: number; cells: Array<{ cell_type: string; outputs?: unknown[] }>; metadata: { kernelspec?: { name?: string } } };
        assert.equal(notebook.nbformat, 4);
        assert.ok(notebook.cells.length > 0);
        assert.ok(notebook.cells.some((c) => c.cell_type === "code" && (c.outputs?.length ?? 0) > 0), "the executed copy, with outputs");
        assert.equal(notebook.metadata.kernelspec?.name, "skipbook");
      }
    });

    it("finds search terms with local search, first hit in the right chapter", async (t) => {
      if (!ready(t)) return;
      assert.ok(Object.keys(book!.searches).length > 0, "book.toml lists searches to check");
      for (const [query, expected] of Object.entries(book!.searches)) {
        const { url, hits } = await searchFirstHit(browser!, book!.baseUrl, query);
        assert.ok(hits >= 1, `"${query}" finds something`);
        assert.equal(new URL(url).pathname, new URL(expected.replace(/^\//, ""), book!.baseUrl).pathname, `first hit for "${query}"`);
      }
    });
  });
}
