/**
 * The compiler process's loop: requests from the kernel (client.ts) are served one at a time, in arrival order,
 * by the tslab driver; when none is waiting, the next start-up stage runs (startup/ahead-of-time.ts), so a
 * request waits at most for the stage in progress, whose work it then reuses. The process ignores SIGINT
 * (Jupyter interrupts the kernel's whole process group; the cell is the kernel's business) and ends with the
 * kernel.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Envelope, FromCompiler } from "./ipc";
import type { TslabDriver } from "./tslab";

export interface Server {
  /** how many requests have arrived so far */
  requests(): number;
  /** runs `stage` when no request is waiting */
  addStage(stage: () => void): void;
}

/** Sends a message to the kernel. */
export function send(message: FromCompiler): void {
  process.send?.(message);
}

/** Serves `driver`; `stages` run when idle, and `whenStagesDone` once after the last. */
export function serve(driver: TslabDriver, stages: (() => void)[] = [], whenStagesDone: () => void = () => {}): Server {
  process.on("SIGINT", () => {});
  process.on("disconnect", () => process.exit(0));
  const queue: Envelope[] = [];
  let running = false;
  let stagesDone = false;
  const pump = async () => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        const next = queue.shift();
        if (next) answer(driver, next);
        else {
          const stage = stages.shift();
          if (!stage) {
            if (!stagesDone) whenStagesDone();
            stagesDone = true;
            break;
          }
          stage();
        }
        // two turns of the event loop: requests that arrived during the last step are queued before the next
        await new Promise((done) => setImmediate(done));
        await new Promise((done) => setImmediate(done));
      }
    } finally {
      running = false;
    }
  };
  let requests = 0;
  process.on("message", (envelope: Envelope) => {
    requests += 1;
    queue.push(envelope);
    void pump();
  });
  void pump();
  return {
    requests: () => requests,
    addStage(stage) {
      stages.push(stage);
      void pump();
    },
  };
}

/** Replies to one request; a compile's side outputs go first, so the kernel has them when the cell runs. */
function answer(driver: TslabDriver, { id, request }: Envelope): void {
  try {
    const result = request.op === "heapAfterGc" ? heapAfterGc() : driver.handle(request);
    if (request.op === "compile") {
      const outputs = driver.takeSideOutputs();
      if (outputs.length) send({ type: "sideOutputs", outputs });
    }
    send({ type: "reply", id, result });
  } catch (error) {
    send({ type: "reply", id, error: (error as Error).stack ?? String(error) });
  }
}

/** This process's V8 heap in use after a full collection (the compiler's heap is its own, collected on its own). */
function heapAfterGc(): number {
  setFlagsFromString("--expose-gc"); // gc is installed in contexts created after the flag is set
  (runInNewContext("gc") as () => void)();
  return getHeapStatistics().used_heap_size;
}
