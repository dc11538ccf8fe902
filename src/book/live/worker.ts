/**
 * The live panels' Web Worker: TensorFlow.js and skiplib's core run here, off the page's main thread, on the backend
 * the reader's browser offers (WebGPU, WebGL through OffscreenCanvas, WASM, CPU). The page posts runs; the worker
 * runs them one at a time, posts partial results as they come and ends each with its status, the tensors alive
 * before and after (a run must leave none behind) and its timings.
 *
 * Messages in:  { type: "run", id, panel, settings, backend, wasmPath } | { type: "stop", id }
 * Messages out: { type: "backend", id, info, summary, fallbackReasons } | { type: "progress", id, output }
 *               | { type: "end", id, status: "done" | "stopped" | "error", output?, message?, tensors, timings }
 */
import { tf } from "../../skiplib/backend";
import { abandonBackend, backendFallbackReasons, backendSummary, useBrowserBackend, type BrowserBackendName } from "../../skiplib/browser/backend";
import { EXPERIMENTS, type LiveOutput, type RunContext } from "./experiments";
import { readSettings } from "./specs";

export interface RunRequest {
  type: "run";
  id: number;
  panel: string;
  settings: Record<string, unknown>;
  backend: BrowserBackendName | "auto";
  wasmPath: string;
}

interface Scope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: RunRequest | { type: "stop"; id: number } }) => void): void;
}
const scope = globalThis as unknown as Scope;

const stopRequested = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/** Lets queued messages (a Stop) in between steps: a macrotask, not a microtask. */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function run(request: RunRequest): Promise<void> {
  const { id } = request;
  const received = performance.now();
  let output: LiveOutput | undefined;
  let firstResultMs: number | undefined;
  let tensorsBefore = -1;
  try {
    const settings = readSettings(request.panel, request.settings);
    const experiment = EXPERIMENTS[request.panel];
    const ctx: RunContext = {
      report(partial) {
        if (partial.series.some((s) => s.y.length > 0)) firstResultMs ??= performance.now() - received;
        scope.postMessage({ type: "progress", id, output: partial });
      },
      stopped: () => stopRequested.has(id),
      pause,
    };
    let backendMs = 0;
    // "auto": a backend that fails mid-run is abandoned and the run starts again on the next one
    for (;;) {
      const info = await useBrowserBackend({ prefer: request.backend, wasmPath: request.wasmPath });
      scope.postMessage({ type: "backend", id, info, summary: backendSummary(), fallbackReasons: backendFallbackReasons() });
      backendMs = performance.now() - received;
      tensorsBefore = tf.memory().numTensors;
      try {
        output = await experiment(settings, ctx);
        break;
      } catch (error) {
        if (request.backend !== "auto" || info.backend === "cpu" || stopRequested.has(id)) throw error;
        abandonBackend(`failed in a run: ${((error as Error)?.message ?? String(error)).split("\n")[0]}`);
        firstResultMs = undefined;
      }
    }
    const status = stopRequested.has(id) ? "stopped" : "done";
    end(id, status, { output, tensorsBefore, timings: { backendMs, firstResultMs, totalMs: performance.now() - received } });
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    end(id, "error", { output, message, tensorsBefore, timings: { firstResultMs, totalMs: performance.now() - received } });
  } finally {
    stopRequested.delete(id);
  }
}

function end(id: number, status: string, details: { output?: LiveOutput; message?: string; tensorsBefore: number; timings: Record<string, number | undefined> }): void {
  const after = details.tensorsBefore >= 0 ? tf.memory().numTensors : -1;
  scope.postMessage({ type: "end", id, status, output: details.output, message: details.message, tensors: { before: details.tensorsBefore, after }, timings: details.timings });
}

scope.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type === "stop") stopRequested.add(message.id);
  else if (message.type === "run") queue = queue.then(() => run(message));
});
