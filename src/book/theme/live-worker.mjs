// The one Web Worker a page's live panels share (src/book/live/worker.ts, bundled into the site's live/ folder).
// It is created on the first Run, so a reader who never presses Run downloads none of TensorFlow.js.
import { withBase } from "vitepress";

let shared = null;

function liveWorker() {
  if (shared) return shared;
  const worker = new Worker(withBase("/live/worker.js"), { type: "module" });
  const handlers = new Map();
  shared = { worker, handlers, nextId: 1 };
  worker.onmessage = (event) => handlers.get(event.data.id)?.(event.data);
  // A worker that fails to load or crashes ends every run it held, with the reason, and a later Run starts afresh.
  worker.onerror = (event) => {
    event.preventDefault?.();
    const message = `the live worker failed: ${event.message || "it could not be loaded from the site"}`;
    for (const [id, handler] of handlers) handler({ type: "end", id, status: "error", message });
    worker.terminate();
    shared = null;
  };
  return shared;
}

/** Starts a run; `onMessage` gets its backend, progress and end messages. Returns the run's id. */
export function startRun(request, onMessage) {
  const { worker, handlers, nextId } = liveWorker();
  shared.nextId = nextId + 1;
  handlers.set(nextId, (message) => {
    if (message.type === "end") handlers.delete(nextId);
    onMessage(message);
  });
  worker.postMessage({ type: "run", id: nextId, ...request, wasmPath: new URL(withBase("/live/"), location.href).href });
  return nextId;
}

/** Asks run `id` to stop at its next step; its end message says "stopped". */
export function stopRun(id) {
  shared?.worker.postMessage({ type: "stop", id });
}
