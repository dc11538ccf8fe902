/**
 * Where a cell's output goes: stdout/stderr become IOPub `stream` messages, the display API (`skipbook`'s
 * `display` and tslab's `tslab.display`) becomes display_data / update_display_data / clear_output, all with the
 * current execute_request as parent. Output written after a cell finished (a timer firing later) goes to the
 * last cell, as in ipykernel.
 */
import { inspect } from "node:util";
import { installDisplaySink, type MimeBundle } from "../src/display/index";
import type { JupyterMessage } from "../src/jupyter/wire";
import type { Channels } from "./channels";
import { whenCellsImportTslab } from "./engine";

type Write = typeof process.stdout.write;

export class OutputRouter {
  private parent: JupyterMessage | undefined;
  readonly originalStderr: Write = process.stderr.write.bind(process.stderr);
  private readonly originalStdout: Write = process.stdout.write.bind(process.stdout);

  constructor(private readonly channels: Channels) {}

  /** Captures stdout/stderr and installs the display sink; call once the channels are bound. */
  install(): void {
    process.stdout.write = this.streamWriter("stdout", this.originalStdout);
    process.stderr.write = this.streamWriter("stderr", this.originalStderr);
    const publish = (type: string, content: unknown) => this.parent && this.channels.publish(type, content, this.parent);
    installDisplaySink({
      displayData: (data, metadata, displayId) => publish("display_data", { data: jsonSafe(data), metadata, transient: displayId ? { display_id: displayId } : {} }),
      updateDisplayData: (data, metadata, displayId) => publish("update_display_data", { data: jsonSafe(data), metadata, transient: { display_id: displayId } }),
      clearOutput: (wait) => publish("clear_output", { wait }),
    });
    // tslab's display API calls this hook of its jupyter module; serve it through the same sink. That module loads
    // TypeScript, which the main thread otherwise never needs: set the hook when a cell first imports tslab.
    whenCellsImportTslab(() => {
      const tslabJupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
      tslabJupyter.lastWriteDisplayData = (content: { data: MimeBundle; metadata: Record<string, unknown>; transient?: { display_id?: string } }, update: boolean) => {
        const id = content.transient?.display_id;
        publish(update ? "update_display_data" : "display_data", { data: content.data, metadata: content.metadata ?? {}, transient: id ? { display_id: id } : {} });
      };
    });
  }

  /** Outputs from now on belong to `parent`. */
  setParent(parent: JupyterMessage): void {
    this.parent = parent;
  }

  /** The kernel's own log line, on the real stderr (never into a cell's output). */
  log(message: string): void {
    this.originalStderr(`[skipbook kernel] ${message}\n`);
  }

  private streamWriter(name: "stdout" | "stderr", original: Write): Write {
    return ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
      const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
      if (!this.parent) return original(chunk, encodingOrCallback as BufferEncoding, done as () => void);
      const encoding = typeof encodingOrCallback === "string" ? (encodingOrCallback as BufferEncoding) : "utf8";
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(encoding);
      this.channels.publish("stream", { name, text }, this.parent);
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as Write;
  }
}

/**
 * The execute_result bundle of a cell's value: `text/plain` from util.inspect, plus what the value declares
 * itself through `_toMimeBundle()` (the convention of IPython's `_repr_mimebundle_`); nothing is guessed.
 */
export function mimeBundle(value: unknown): MimeBundle {
  const plain = typeof value === "string" ? inspect(value) : inspect(value, { depth: 3, maxArrayLength: 50, breakLength: 100 });
  const own = value !== null && typeof value === "object" && typeof (value as { _toMimeBundle?: unknown })._toMimeBundle === "function" ? (value as { _toMimeBundle(): MimeBundle })._toMimeBundle() : undefined;
  return { ...(own && typeof own === "object" ? jsonSafe(own) : {}), "text/plain": typeof own?.["text/plain"] === "string" ? own["text/plain"] : plain };
}

// MIME data must survive JSON: typed arrays and other exotic values become plain JSON first
function jsonSafe(data: MimeBundle): MimeBundle {
  try {
    return JSON.parse(JSON.stringify(data));
  } catch {
    return { "text/plain": inspect(data) };
  }
}
