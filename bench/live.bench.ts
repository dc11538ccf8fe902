/**
 * The book's live panels in headless Chromium (Debian's, GPU emulated by SwiftShader, so WebGL runs on the CPU):
 * per panel, the time from Run to the first result drawn, at the chapter's settings, beside the same experiment's
 * first result in Node on the native backend (the peer; run in the same bench, after the browser); and the JS and
 * WASM bytes a page downloads before Run and what Run adds (the worker with TensorFlow.js and skiplib).
 */
import { performance } from "node:perf_hooks";
import { cpus, loadavg } from "node:os";
import type { Response } from "playwright-core";
import { EXPERIMENTS } from "../src/book/live/experiments";
import { readSettings, PANEL_NAMES } from "../src/book/live/specs";
import { buildLiveBook, launchLiveChromium, runPanel, watchContext } from "../test/book/live-book";
import type { BenchContext, BenchRow } from "./types";

/** Bytes downloaded, by what they are: the live panels' worker bundle (JS, WASM), Plotly, the rest of the page's JS. */
interface Bytes {
  page: number;
  plotly: number;
  liveJs: number;
  liveWasm: number;
}

function kind(url: string): keyof Bytes | undefined {
  const path = new URL(url).pathname;
  if (path.includes("/live/")) return path.endsWith(".wasm") ? "liveWasm" : path.endsWith(".js") ? "liveJs" : undefined;
  if (path.endsWith("plotly.min.js")) return "plotly";
  return path.endsWith(".js") || path.endsWith(".mjs") ? "page" : undefined;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Time from starting `panel`'s experiment in Node to its first result to plot, in ms (it is stopped there). */
async function nodeFirstResult(panel: string): Promise<number> {
  const started = performance.now();
  let first: number | undefined;
  await EXPERIMENTS[panel](readSettings(panel, {}), {
    report: (output) => {
      if (output.series.some((s) => s.y.length > 0)) first ??= performance.now() - started;
    },
    stopped: () => first !== undefined,
    pause: () => new Promise((resolve) => setImmediate(resolve)),
  });
  return first ?? Number.NaN;
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const book = await buildLiveBook("bench-live-book");
  const browser = await launchLiveChromium();
  const rows: BenchRow[] = [];
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, load ${loadavg()[0].toFixed(1)} at start`;
  try {
    const browserFirst: Record<string, number> = {};
    const backends = new Set<string>();
    for (const panel of PANEL_NAMES) {
      const path = book.panelPages[panel];
      if (!path) continue;
      // a fresh context per panel: nothing cached, every byte counted
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const watched = await watchContext(context, new URL(book.baseUrl).origin);
      const bytes: Record<"before" | "after", Bytes> = { before: { page: 0, plotly: 0, liveJs: 0, liveWasm: 0 }, after: { page: 0, plotly: 0, liveJs: 0, liveWasm: 0 } };
      let phase: "before" | "after" = "before";
      const count = async (response: Response) => {
        const which = kind(response.url());
        if (!which) return;
        const phaseNow = phase;
        const body = await response.body().catch(() => Buffer.alloc(0));
        bytes[phaseNow][which] += body.length;
      };
      context.on("response", (response) => void count(response));
      const page = await context.newPage();
      await page.goto(new URL(path.slice(1), book.baseUrl).href, { waitUntil: "networkidle" });
      phase = "after";
      // chapter settings; stop at the first result drawn
      const result = await runPanel(page, panel, {}, {
        timeoutMs: 600_000,
        whileRunning: async (root) => {
          await root.locator(".js-plotly-plot").waitFor({ timeout: 600_000 });
          await root.locator("[data-live-stop]").evaluate((button: HTMLButtonElement) => button.click()); // a no-op if the run ended
        },
      });
      await page.waitForLoadState("networkidle");
      await context.close();
      if (watched.outside.length) throw new Error(`${panel}: requests left the site: ${watched.outside.join(", ")}`);
      if (result.status === "error") throw new Error(`${panel}: ${result.message}`);
      backends.add(`${result.backend?.backend} (${result.backend?.adapter ?? "?"})`);
      browserFirst[panel] = result.timings.clickToFirstResultMs ?? Number.NaN;
      const { before, after } = bytes;
      ctx.log(`${panel}: first result ${(browserFirst[panel] / 1000).toFixed(1)} s on ${result.backend?.backend}; before Run ${JSON.stringify(before)}, Run added ${JSON.stringify(after)} (bytes)`);
      const note = `headless Chromium, ${result.backend?.backend ?? "?"} on SwiftShader; ${machine}`;
      rows.push(
        {
          group: "live",
          name: `${panel}: JS before Run`,
          ours: (before.page + before.liveJs + before.liveWasm) / 1024,
          unit: "KiB",
          lowerIsBetter: true,
          note: `the page's JS (VitePress, theme, the page) and ${kib(before.liveJs + before.liveWasm)} of the live bundle; Plotly ${kib(before.plotly)} besides, loaded only for a page's static figures`,
        },
        {
          group: "live",
          name: `${panel}: JS+WASM Run adds`,
          ours: (after.liveJs + after.liveWasm) / 1024,
          unit: "KiB",
          lowerIsBetter: true,
          note: `the worker (TensorFlow.js with WebGL and CPU, skiplib's core, the experiments): JS ${kib(after.liveJs)}, WASM ${kib(after.liveWasm)}; meanwhile Plotly ${kib(after.plotly)} (if the page had not loaded it) and VitePress's prefetch of linked pages ${kib(after.page)}`,
        },
        { group: "live", name: `${panel}: time to first result`, ours: browserFirst[panel] / 1000, unit: "s", lowerIsBetter: true, note },
      );
    }
    // the peer: the same experiments in Node on the native backend, after the browser is done with the CPU
    await browser.close();
    for (const panel of Object.keys(browserFirst)) {
      const node = await nodeFirstResult(panel);
      const row = rows.find((r) => r.name === `${panel}: time to first result`)!;
      row.peer = node / 1000;
      row.peerName = "Node, native TensorFlow";
      ctx.log(`${panel}: Node first result ${(node / 1000).toFixed(1)} s`);
    }
    ctx.log(`backends: ${[...backends].join("; ")}; load ${loadavg()[0].toFixed(1)} at the end`);
    return rows;
  } finally {
    await browser.close().catch(() => undefined);
    await book.close();
  }
}
