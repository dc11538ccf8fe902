/**
 * A Jupyter client on ZeroMQ: Dealer sockets for shell, control and stdin, a Subscriber for IOPub and a Request
 * socket for the heartbeat. Replies are matched to requests by parent msg_id; every wait has a timeout.
 */
import { randomUUID } from "node:crypto";
import { Dealer, Request, Subscriber } from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection";
import { createMessage, decodeMessage, encodeMessage, Signer, type JupyterMessage } from "./wire";

export type RequestChannel = "shell" | "control";
export type IopubListener = (message: JupyterMessage) => void;

export interface ExecuteOptions {
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
  /** reject if the reply and the final idle status have not both arrived in time (default: wait forever) */
  timeoutMs?: number;
}

interface Pending {
  resolve(message: JupyterMessage): void;
  reject(error: Error): void;
}

export class KernelClient {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly shell = new Dealer({ linger: 0 });
  private readonly control = new Dealer({ linger: 0 });
  private readonly stdin = new Dealer({ linger: 0 });
  private readonly iopub = new Subscriber({ linger: 0 });
  private heartbeatSocket: Request | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<IopubListener>();
  private closed = false;

  private constructor(private readonly info: ConnectionInfo) {
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  /** Connects to a running kernel's five channels (it need not be listening yet: ZeroMQ reconnects). */
  static async connect(info: ConnectionInfo): Promise<KernelClient> {
    const client = new KernelClient(info);
    client.shell.connect(endpoint(info, "shell"));
    client.control.connect(endpoint(info, "control"));
    client.stdin.connect(endpoint(info, "stdin"));
    client.iopub.connect(endpoint(info, "iopub"));
    client.iopub.subscribe();
    void client.readReplies(client.shell);
    void client.readReplies(client.control);
    void client.readIopub();
    return client;
  }

  /** Whether close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `listener` with every IOPub message; returns a function that stops it. */
  onIopub(listener: IopubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends `msgType` on shell or control; resolves with the reply to it. */
  async request(channel: RequestChannel, msgType: string, content: unknown, timeoutMs?: number): Promise<JupyterMessage> {
    const message = createMessage(msgType, content, { session: this.session });
    const reply = this.awaitReply(message.header.msg_id, timeoutMs, msgType);
    reply.catch(() => undefined); // if the send fails, its error is the one the caller sees
    await (channel === "shell" ? this.shell : this.control).send(encodeMessage(message, this.signer));
    return reply;
  }

  /** kernel_info_request on shell. */
  kernelInfo(timeoutMs = 10_000): Promise<JupyterMessage> {
    return this.request("shell", "kernel_info_request", {}, timeoutMs);
  }

  /**
   * Runs `code`; resolves once both its execute_reply and its IOPub `idle` status have arrived, so every output
   * of the request has been seen. `onIopub` receives the request's IOPub messages as they come.
   */
  async execute(code: string, options: ExecuteOptions = {}, onIopub?: IopubListener): Promise<{ reply: JupyterMessage; iopub: JupyterMessage[] }> {
    const { timeoutMs, ...flags } = options;
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...flags };
    const message = createMessage("execute_request", content, { session: this.session });
    const id = message.header.msg_id;
    const iopub: JupyterMessage[] = [];
    let markIdle!: () => void;
    const idle = new Promise<void>((resolveIdle) => (markIdle = resolveIdle));
    const stop = this.onIopub((msg) => {
      if (msg.parent_header.msg_id !== id) return;
      iopub.push(msg);
      onIopub?.(msg);
      if (msg.header.msg_type === "status" && msg.content?.execution_state === "idle") markIdle();
    });
    try {
      const reply = this.awaitReply(id, timeoutMs, "execute_request");
      reply.catch(() => undefined); // if the send fails, its error is the one the caller sees
      await this.shell.send(encodeMessage(message, this.signer));
      const [result] = await Promise.all([reply, withTimeout(idle, timeoutMs, "the idle status of execute_request")]);
      return { reply: result, iopub };
    } finally {
      stop();
    }
  }

  /** interrupt_request on control (for kernels whose interrupt_mode is "message"). */
  interrupt(timeoutMs = 5_000): Promise<JupyterMessage> {
    return this.request("control", "interrupt_request", {}, timeoutMs);
  }

  /** shutdown_request on control. */
  shutdown(restart = false, timeoutMs = 5_000): Promise<JupyterMessage> {
    return this.request("control", "shutdown_request", { restart }, timeoutMs);
  }

  /** Whether the kernel echoes a heartbeat within `timeoutMs`. */
  async heartbeat(timeoutMs = 1_000): Promise<boolean> {
    if (this.closed) return false;
    const socket = (this.heartbeatSocket ??= this.newHeartbeatSocket());
    try {
      await socket.send("ping");
      await withTimeout(socket.receive(), timeoutMs, "heartbeat");
      return true;
    } catch {
      // a REQ socket that missed its reply is stuck; start over with a fresh one
      socket.close();
      this.heartbeatSocket = undefined;
      return false;
    }
  }

  /** Closes every socket; pending requests are rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.stdin, this.iopub, this.heartbeatSocket]) socket?.close();
    for (const pending of this.pending.values()) pending.reject(new Error("the kernel client was closed"));
    this.pending.clear();
    this.listeners.clear();
  }

  private newHeartbeatSocket(): Request {
    const socket = new Request({ linger: 0 });
    socket.connect(endpoint(this.info, "hb"));
    return socket;
  }

  private awaitReply(id: string, timeoutMs: number | undefined, what: string): Promise<JupyterMessage> {
    if (this.closed) return Promise.reject(new Error("the kernel client is closed"));
    const reply = new Promise<JupyterMessage>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    return withTimeout(reply, timeoutMs, `the reply to ${what}`).finally(() => this.pending.delete(id));
  }

  private async readReplies(socket: Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        const message = this.decode(frames);
        const id = message?.parent_header.msg_id;
        if (id) this.pending.get(id)?.resolve(message);
      }
    } catch {
      // socket closed
    }
  }

  private async readIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        const message = this.decode(frames);
        if (message) for (const listener of [...this.listeners]) listener(message);
      }
    } catch {
      // socket closed
    }
  }

  // a message we cannot decode (bad signature, garbage) is dropped, as Jupyter clients do
  private decode(frames: Buffer[]): JupyterMessage | undefined {
    try {
      return decodeMessage(frames, this.signer);
    } catch {
      return undefined;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, what: string): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return promise;
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
