/**
 * The kernel's sockets (Jupyter messaging 5.3): shell and stdin (ROUTER) and IOPub (PUB) on the main thread;
 * control and heartbeat on a second thread (control-thread.cjs) so they answer while a cell runs. All are bound to
 * the connection file's IP only. Messages that fail the HMAC check are dropped and logged, never answered.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Publisher, Router } from "zeromq";
import { endpoint, type ConnectionInfo } from "../src/jupyter/connection";
import { createMessage, decodeMessage, encodeMessage, Signer, WireError, type JupyterMessage } from "../src/jupyter/wire";

export type RequestChannel = "shell" | "control";
export type Handler = (channel: RequestChannel, message: JupyterMessage) => void;

export class Channels {
  readonly signer: Signer;
  private readonly shell = new Router({ linger: 0 });
  private readonly stdin = new Router({ linger: 0 });
  private readonly iopub = new Publisher({ linger: 0 });
  private worker: Worker | undefined;
  private closed = false;
  // zeromq v6 allows one send at a time per socket; replies and outputs queue here in order
  private readonly sendQueues = new Map<Router | Publisher, Promise<void>>();

  constructor(readonly info: ConnectionInfo, readonly session: string, private readonly log: (message: string) => void) {
    this.signer = new Signer(info.key, info.signature_scheme || "hmac-sha256");
  }

  /** Binds every socket; rejects with a message naming the port when one is taken. */
  async bind(interruptGraceMs: number): Promise<void> {
    const bindOne = async (socket: Router | Publisher, channel: "shell" | "stdin" | "iopub") => {
      const address = endpoint(this.info, channel);
      try {
        await socket.bind(address);
      } catch (error) {
        throw new Error(`cannot bind the ${channel} channel to ${address}: ${(error as Error).message}`);
      }
    };
    await bindOne(this.shell, "shell");
    await bindOne(this.iopub, "iopub");
    await bindOne(this.stdin, "stdin");
    this.worker = new Worker(join(__dirname, "control-thread.cjs"), {
      workerData: {
        controlEndpoint: endpoint(this.info, "control"),
        hbEndpoint: endpoint(this.info, "hb"),
        key: this.info.key,
        scheme: this.info.signature_scheme || "hmac-sha256",
        session: this.session,
        // Node's own resolution: the kernel's modules load through tsx's scoped hooks (launch.cjs), whose
        // require.resolve adds a ?namespace= query a worker's plain require cannot load
        zeromqPath: createRequire(join(__dirname, "control-thread.cjs")).resolve("zeromq"),
        interruptGraceMs,
        parentPid: process.env.JPY_PARENT_PID,
      },
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    const worker = this.worker;
    await new Promise<void>((resolveBound, reject) => {
      const onMessage = (message: { type: string; message?: string }) => {
        if (message.type === "bound") resolveBound();
        else if (message.type === "error") reject(new Error(`cannot bind the control or heartbeat channel (${endpoint(this.info, "control")}, ${endpoint(this.info, "hb")}): ${message.message}`));
        else return;
        worker.off("message", onMessage);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    worker.unref();
  }

  /** Starts reading shell and control; `handle` gets every verified request. */
  listen(handle: Handler): void {
    void this.read(this.shell, "shell", handle);
    this.worker?.on("message", (message: { type: string; frames?: Uint8Array[] }) => {
      if (message.type !== "control" || !message.frames) return;
      const decoded = this.decode(message.frames.map((frame) => Buffer.from(frame)), "control");
      if (decoded) handle("control", decoded);
    });
  }

  /** Tells the control thread whether a cell runs (it ends a kernel whose cell ignores an interrupt). */
  setBusy(busy: boolean): void {
    this.worker?.postMessage({ type: "busy", busy });
  }

  reply(channel: RequestChannel, parent: JupyterMessage, msgType: string, content: unknown, metadata: Record<string, unknown> = {}): void {
    const message = createMessage(msgType, content, { session: this.session, parent, metadata });
    const frames = encodeMessage(message, this.signer);
    if (channel === "control") this.worker?.postMessage({ type: "send", frames });
    else this.send(this.shell, frames);
  }

  /** Publishes on IOPub with `parent` as the parent header (none for kernel-level messages such as `starting`). */
  publish(msgType: string, content: unknown, parent?: JupyterMessage): void {
    const message = createMessage(msgType, content, { session: this.session, parent, identities: [] });
    // IOPub topics: "kernel.<id>.<type>" in ipykernel; clients subscribe to everything, the type is enough
    message.identities = [Buffer.from(`kernel.${this.session}.${msgType}`)];
    this.send(this.iopub, encodeMessage(message, this.signer));
  }

  /** Closes every socket after the replies and outputs already queued have gone out (shutdown_request). */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.race([Promise.all([...this.sendQueues.values()]), new Promise((done) => setTimeout(done, 2000))]).catch(() => undefined);
    if (this.closed) return;
    this.closed = true;
    const done = this.closeWorker(2000);
    for (let waited = 0; Atomics.load(done, 0) === 0 && waited < 3000; waited += 10) await new Promise((next) => setTimeout(next, 10));
    for (const socket of [this.shell, this.stdin, this.iopub]) socket.close();
  }

  /**
   * Closes every socket at once, blocking until the control thread has closed its own: for the process's "exit"
   * event (a cell calling `process.exit(3)`), after which Node tears the thread down. Open zeromq sockets in a
   * torn-down worker abort the process (SIGABRT) instead of letting it exit with the cell's code.
   */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    const done = this.closeWorker(0);
    Atomics.wait(done, 0, 0, 1000);
    for (const socket of [this.shell, this.stdin, this.iopub]) socket.close();
  }

  private closeWorker(flushMs: number): Int32Array {
    const done = new Int32Array(new SharedArrayBuffer(4));
    if (this.worker) this.worker.postMessage({ type: "close", done, flushMs });
    else done[0] = 1;
    return done;
  }

  private send(socket: Router | Publisher, frames: Buffer[]): void {
    if (this.closed) return;
    const previous = this.sendQueues.get(socket) ?? Promise.resolve();
    const next = previous.then(() => socket.send(frames)).catch((error: Error) => this.log(`send failed: ${error.message}`));
    this.sendQueues.set(socket, next);
  }

  private async read(socket: Router, channel: RequestChannel, handle: Handler): Promise<void> {
    try {
      for await (const frames of socket) {
        const message = this.decode(frames, channel);
        if (message) handle(channel, message);
      }
    } catch (error) {
      if (!this.closed) this.log(`${channel} channel stopped: ${(error as Error).message}`);
    }
  }

  private decode(frames: Buffer[], channel: RequestChannel): JupyterMessage | undefined {
    try {
      return decodeMessage(frames, this.signer);
    } catch (error) {
      if (error instanceof WireError) this.log(`${channel}: dropped a message: ${error.message}`);
      else throw error;
      return undefined;
    }
  }
}
