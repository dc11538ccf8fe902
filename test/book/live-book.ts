/**
 * A book of the chapters that carry live panels, placed as the project's book.toml places them, for the live-panel
 * tests and bench: each chapter is its executed copy from the runner's cache when there is a successful one (so the
 * notebook's numbers are on the page to compare with), else its source notebook (same headings, no outputs). Also
 * the Chromium these pages need: SwiftShader for WebGL, and WebGPU on request.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { buildBook, cachedExecutedNotebook, type BuildResult } from "../../src/book/build";
import type { NotebookLike } from "../../src/book/convert";
import { loadBookConfig } from "../../src/book/config";
import { serveBook } from "../../src/book/serve";
import { CHROMIUM } from "./browser-checks";

export const ROOT = join(__dirname, "..", "..");

/** Debian's Chromium with the GPU emulated by SwiftShader (WebGL); `webgpu` also offers SwiftShader's WebGPU adapter. */
export function launchLiveChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = ["--headless", "--no-sandbox", "--disable-background-networking", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"];
  if (options.webgpu) args.push("--enable-unsafe-webgpu");
  return chromium.launch({ executablePath: CHROMIUM, args });
}

export interface LiveBook {
  baseUrl: string;
  build: BuildResult;
  /** Panel name → site path of its page. */
  panelPages: Record<string, string>;
  /** Chapter path → the notebook the page was built from, and whether it is an executed copy. */
  chapters: Map<string, { notebook: NotebookLike; executed: boolean }>;
  close(): Promise<void>;
}

/** Builds and serves the live chapters' book under build/<name>. */
export async function buildLiveBook(name: string): Promise<LiveBook> {
  const config = loadBookConfig(join(ROOT, "book.toml"));
  // a chapter still being written (not in the tree yet) is left out, and so is its panel
  const chapterPaths = [...new Set(config.livePanels.map((p) => p.chapter))].filter((c) => existsSync(join(config.src, c)));
  const chapters = new Map<string, { notebook: NotebookLike; executed: boolean }>();
  for (const chapter of chapterPaths) {
    const source = join(config.src, chapter);
    const cached = cachedExecutedNotebook(ROOT, source);
    chapters.set(chapter, { notebook: JSON.parse(readFileSync(cached ?? source, "utf8")) as NotebookLike, executed: cached !== undefined });
  }
  const dir = join(ROOT, ".cache", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "SUMMARY.md"), ["# Summary", "", ...chapterPaths.map((c) => `- [${c}](${c})`), ""].join("\n"));
  const raw = parse(readFileSync(join(ROOT, "book.toml"), "utf8")) as Record<string, Record<string, unknown>>;
  const html = (raw.output as Record<string, Record<string, unknown>>).html;
  const toml = {
    book: { ...raw.book, src: "src" },
    build: { "build-dir": join(ROOT, "build", name) },
    output: { html: { "mathjax-support": true, live: html.live } },
  };
  writeFileSync(join(dir, "book.toml"), stringify(toml));
  const build = await buildBook({
    root: dir,
    executed: new Map([...chapters].map(([path, c]) => [path, c.notebook])),
    stagingDir: join(dir, "site"),
    log: () => undefined,
  });
  const server = await serveBook(build.outDir, { port: 0 });
  const panelPages: Record<string, string> = {};
  for (const page of build.pages) for (const panel of page.livePanels) panelPages[panel] = page.url;
  return { baseUrl: server.url, build, panelPages, chapters, close: server.close };
}

/** A panel's run as the page reports it in data-live-result. */
export interface PanelResult {
  panel: string;
  status: "done" | "stopped" | "error";
  settings: Record<string, number | string>;
  backend: { backend: string; device: string; adapter?: string; float32?: boolean; summary: string; fallbackReasons: string[] } | null;
  series: { name: string; x: number[]; y: number[] }[];
  numbers: Record<string, number | number[]>;
  message?: string;
  tensors: { before: number; after: number };
  timings: { backendMs?: number; firstResultMs?: number; totalMs?: number; clickToFirstResultMs: number | null; clickToEndMs: number };
}

const ENDED = ["done", "error", "stopped"];

/** Sets the panel's controls, presses Run and waits for the run to end; `whileRunning` acts on the running panel (Stop). */
export async function runPanel(
  page: Page,
  panel: string,
  settings: Record<string, number | string>,
  options: { backend?: string; timeoutMs?: number; whileRunning?: (root: Locator) => Promise<void> } = {},
): Promise<PanelResult> {
  const root = page.locator(`[data-live="${panel}"]`);
  // clicks and scrolls through the DOM: under heavy load Playwright's wait for a "stable" element can time out
  await root.evaluate((element) => element.scrollIntoView());
  for (const [name, value] of Object.entries(settings)) {
    const control = root.locator(`[name="${name}"]`);
    if (typeof value === "number") await control.fill(String(value));
    else await control.selectOption(value);
  }
  if (options.backend) await root.locator("[data-live-backend-choice]").selectOption(options.backend);
  await root.locator("[data-live-run]").evaluate((button: HTMLButtonElement) => button.click());
  await page.waitForFunction((p) => document.querySelector(`[data-live="${p}"]`)?.getAttribute("data-live-status") === "running", panel, { timeout: 5000 });
  if (options.whileRunning) await options.whileRunning(root);
  await page.waitForFunction(
    ([p, ended]) => (ended as string[]).includes(document.querySelector(`[data-live="${p}"]`)?.getAttribute("data-live-status") ?? ""),
    [panel, ENDED] as const,
    { timeout: options.timeoutMs ?? 300_000 },
  );
  return JSON.parse((await root.getAttribute("data-live-result")) ?? "null") as PanelResult;
}

/** Records console errors, uncaught errors, failed requests and any request to another origin (which is refused). */
export async function watchContext(context: BrowserContext, origin: string): Promise<{ consoleErrors: string[]; failedRequests: string[]; outside: string[] }> {
  const seen = { consoleErrors: [] as string[], failedRequests: [] as string[], outside: [] as string[] };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    seen.outside.push(url);
    return route.abort("blockedbyclient");
  });
  context.on("page", (page) => {
    page.on("console", (message) => {
      if (message.type() === "error") seen.consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => seen.consoleErrors.push(`${page.url()}: uncaught ${error.message}`));
    page.on("requestfailed", (request) => seen.failedRequests.push(`${request.url()} (${request.failure()?.errorText})`));
    page.on("response", (response) => {
      if (response.status() >= 400) seen.failedRequests.push(`${response.url()} (HTTP ${response.status()})`);
    });
  });
  return seen;
}
