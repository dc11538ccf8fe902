/**
 * The book's live panels in Debian's Chromium, the GPU emulated by SwiftShader: each panel runs to done in light and
 * in dark mode with no console error, no request leaving the site and its tensors disposed; its numbers agree with
 * the same skiplib computation run here in Node (the notebooks' native backend) for the same settings; Stop stops.
 * Settings are smaller than the chapters' (SwiftShader is a CPU), except gradient-norms, which runs chapter 1's
 * 50-layer sigmoid nets for seed 1 exactly.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { EXPERIMENTS } from "../../src/book/live/experiments";
import { readSettings, PANEL_NAMES } from "../../src/book/live/specs";
import { buildLiveBook, launchLiveChromium, runPanel, watchContext, type LiveBook, type PanelResult } from "./live-book";

/** Per panel: the settings each mode runs (dark mode: smaller still, it checks the page, not the numbers). */
const RUNS: Record<string, { light: Record<string, number | string>; dark: Record<string, number | string> }> = {
  "gradient-norms": { light: {}, dark: { depth: 5, activation: "tanh", skip: "residual", seed: 2 } },
  "two-spirals": { light: { depth: 4, epochs: 3 }, dark: { depth: 2, epochs: 1 } },
  "loss-curve": { light: { depth: 4, epochs: 2, resolution: 5 }, dark: { depth: 2, epochs: 1, resolution: 5 } },
  "transformer-gradients": { light: { depth: 2, sequences: 32 }, dark: { depth: 1, sequences: 16 } },
};

/**
 * Relative tolerance between the browser's float32 GPU arithmetic and TensorFlow's CPU kernels: 1e-3 for a single
 * backward pass (measured ≤ 2e-5 on SwiftShader WebGL); training amplifies rounding differences (Adam divides by
 * √v, so a near-zero gradient's rounding can flip its step), so 3e-2 after a few epochs (measured ≤ 1.3e-3 for the
 * two-spirals losses, ≤ 8.5e-3 for the loss curve of nets trained 2 epochs).
 */
const TOLERANCE: Record<string, number> = { "gradient-norms": 1e-3, "transformer-gradients": 1e-3, "two-spirals": 3e-2, "loss-curve": 3e-2 };

/** The traces drawn in the panel's plot, once it has `expected` (the plot is drawn just after the run ends). */
async function plottedTraces(page: Page, panel: string, expected: number): Promise<number> {
  const selector = `[data-live="${panel}"] .js-plotly-plot .scatterlayer .trace`;
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s as string).length >= (n as number), [selector, expected] as const, { timeout: 20_000 }).catch(() => undefined);
  return page.locator(selector).count();
}

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

let book: LiveBook;
before(async () => {
  book = await buildLiveBook("test-live-book");
});
after(async () => {
  await book?.close();
});

describe("the book's live panels in Chromium (SwiftShader)", { timeout: 1_800_000 }, () => {
  let browser: Browser;
  const results: Record<"light" | "dark", Record<string, PanelResult>> = { light: {}, dark: {} };
  const seen: Record<"light" | "dark", { consoleErrors: string[]; failedRequests: string[]; outside: string[]; darkClass: boolean[] }> = {
    light: { consoleErrors: [], failedRequests: [], outside: [], darkClass: [] },
    dark: { consoleErrors: [], failedRequests: [], outside: [], darkClass: [] },
  };
  const traces: Record<"light" | "dark", Record<string, number>> = { light: {}, dark: {} };

  before(async () => {
    browser = await launchLiveChromium();
    const origin = new URL(book.baseUrl).origin;
    for (const mode of ["light", "dark"] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: mode });
      const watched = await watchContext(context, origin);
      const page = await context.newPage();
      for (const panel of PANEL_NAMES) {
        const path = book.panelPages[panel];
        if (!path) continue;
        await page.goto(new URL(path.slice(1), book.baseUrl).href, { waitUntil: "networkidle" });
        results[mode][panel] = await runPanel(page, panel, RUNS[panel][mode]);
        seen[mode].darkClass.push(await page.evaluate(() => document.documentElement.classList.contains("dark")));
        traces[mode][panel] = await plottedTraces(page, panel, results[mode][panel].series.length);
      }
      await context.close();
      Object.assign(seen[mode], watched);
    }
  });

  after(async () => {
    await browser?.close();
  });

  it("places every panel book.toml names on its chapter's page", () => {
    const expected = [...new Set(book.chapters.keys())].flatMap((c) => book.build.config.livePanels.filter((p) => p.chapter === c).map((p) => p.panel));
    assert.deepEqual(Object.keys(book.panelPages).sort(), expected.sort());
    for (const panel of ["gradient-norms", "two-spirals", "loss-curve"]) assert.ok(book.panelPages[panel], `${panel} has a page`);
  });

  for (const mode of ["light", "dark"] as const) {
    it(`runs every panel to done in ${mode} mode on a GPU backend, disposing its tensors`, () => {
      for (const panel of Object.keys(book.panelPages)) {
        const result = results[mode][panel];
        assert.ok(result, `${panel} ran`);
        assert.equal(result.status, "done", `${panel}: ${result.message ?? ""}`);
        assert.ok(result.backend && ["webgpu", "webgl"].includes(result.backend.backend), `${panel} ran on ${JSON.stringify(result.backend)}`);
        assert.ok(result.series.length > 0 && result.series.every((s) => s.y.length > 0 && s.y.every(Number.isFinite)), `${panel} returned finite series`);
        assert.equal(result.tensors.after, result.tensors.before, `${panel} left ${result.tensors.after - result.tensors.before} tensors behind`);
        assert.equal(traces[mode][panel], result.series.length, `${panel} plots one trace per series`);
      }
      assert.ok(seen[mode].darkClass.every((dark) => dark === (mode === "dark")), `the page is in ${mode} mode`);
    });

    it(`logs no console error and sends no request off the site in ${mode} mode`, () => {
      assert.deepEqual(seen[mode].consoleErrors, []);
      assert.deepEqual(seen[mode].failedRequests, []);
      assert.deepEqual(seen[mode].outside, []);
    });
  }

  it("computes what skiplib computes in Node for the same settings", async (t) => {
    for (const panel of Object.keys(book.panelPages)) {
      const browserRun = results.light[panel];
      assert.equal(browserRun?.status, "done", panel);
      const node = await EXPERIMENTS[panel](readSettings(panel, RUNS[panel].light), { report: () => undefined, stopped: () => false, pause: () => new Promise((r) => setImmediate(r)) });
      assert.deepEqual(browserRun.series.map((s) => s.name), node.series.map((s) => s.name), panel);
      node.series.forEach((expected, i) => {
        const actual = browserRun.series[i];
        assert.deepEqual(actual.x, expected.x, `${panel} ${expected.name}: x`);
        const worst = Math.max(...expected.y.map((y, j) => relativeError(actual.y[j], y)));
        assert.ok(worst <= TOLERANCE[panel], `${panel} ${expected.name}: largest relative difference ${worst.toExponential(2)} > ${TOLERANCE[panel]}\n browser ${actual.y}\n node    ${expected.y}`);
        t.diagnostic(`${panel} ${expected.name} on ${browserRun.backend?.backend}: largest relative difference from Node ${worst.toExponential(2)} (tolerance ${TOLERANCE[panel]})`);
      });
    }
  });

  it("stops a run when the reader presses Stop", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(new URL(book.panelPages["two-spirals"].slice(1), book.baseUrl).href, { waitUntil: "networkidle" });
      const epochs = 300;
      const result = await runPanel(page, "two-spirals", { depth: 2, epochs }, {
        whileRunning: async (root) => {
          await root.locator(".live-panel__status", { hasText: /epoch \d+ of 300/ }).waitFor({ timeout: 120_000 });
          await root.locator("[data-live-stop]").evaluate((button: HTMLButtonElement) => button.click());
        },
      });
      assert.equal(result.status, "stopped");
      const trained = result.series[0].y.length;
      assert.ok(trained >= 1 && trained < epochs, `stopped after ${trained} of ${epochs} epochs`);
      assert.equal(result.tensors.after, result.tensors.before, "a stopped run disposes its tensors");
      assert.equal(await page.locator('[data-live="two-spirals"] [data-live-run]').isEnabled(), true, "Run is available again");
    } finally {
      await context.close();
    }
  });
});

describe("the live panels where Chromium offers a WebGPU adapter (SwiftShader's)", { timeout: 900_000 }, () => {
  it("uses WebGPU when it computes, else falls back to WebGL saying why, and agrees with Node", async (t) => {
    const browser = await launchLiveChromium({ webgpu: true });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const watched = await watchContext(context, new URL(book.baseUrl).origin);
      const page = await context.newPage();
      await page.goto(new URL(book.panelPages["gradient-norms"].slice(1), book.baseUrl).href, { waitUntil: "networkidle" });
      const adapter = await page.evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        return gpu ? (await gpu.requestAdapter()) !== null : false;
      });
      if (!adapter) return t.skip("this Chromium offers no WebGPU adapter");
      const settings = { depth: 20, activation: "sigmoid", skip: "plain and residual", seed: 3 };
      const result = await runPanel(page, "gradient-norms", settings);
      await context.close();
      assert.equal(result.status, "done", result.message);
      const backend = result.backend!;
      if (backend.backend !== "webgpu") {
        assert.equal(backend.backend, "webgl");
        assert.match(backend.fallbackReasons[0] ?? "", /^webgpu: /, "a fallback from WebGPU says why");
        t.diagnostic(`WebGPU adapter offered but not usable, ran on WebGL: ${backend.fallbackReasons[0]}`);
      } else {
        t.diagnostic(`ran on WebGPU (${backend.adapter})`);
      }
      assert.equal(result.tensors.after, result.tensors.before);
      assert.deepEqual([watched.consoleErrors, watched.failedRequests, watched.outside], [[], [], []]);
      const node = await EXPERIMENTS["gradient-norms"](readSettings("gradient-norms", settings), { report: () => undefined, stopped: () => false, pause: async () => undefined });
      node.series.forEach((expected, i) => {
        const worst = Math.max(...expected.y.map((y, j) => relativeError(result.series[i].y[j], y)));
        assert.ok(worst <= TOLERANCE["gradient-norms"], `${expected.name}: largest relative difference ${worst.toExponential(2)}`);
      });
    } finally {
      await browser.close();
    }
  });

  it("shows the reader an error, not a hang, when the chosen backend cannot run here", async () => {
    const browser = await launchLiveChromium();
    try {
      const page = await browser.newPage();
      await page.goto(new URL(book.panelPages["gradient-norms"].slice(1), book.baseUrl).href, { waitUntil: "networkidle" });
      // no --enable-unsafe-webgpu: this Chromium has no WebGPU adapter
      const result = await runPanel(page, "gradient-norms", { depth: 2 }, { backend: "webgpu" });
      assert.equal(result.status, "error");
      assert.match(result.message ?? "", /webgpu: /);
      assert.match((await page.locator('[data-live="gradient-norms"] .live-panel__error').textContent()) ?? "", /webgpu/);
    } finally {
      await browser.close();
    }
  });
});
