/**
 * Kernels on a Jupyter server: the REST API (`/api/kernelspecs`, `/api/kernels`) that Jupyter Server, Kernel Gateway
 * and Enterprise Gateway all serve, and the kernel's channels over `/api/kernels/{id}/channels`. The WebSocket speaks
 * the JSON protocol (no subprotocol offered: Jupyter Server then selects its legacy JSON framing, and the gateways
 * speak nothing else); the v1.kernel.websocket.jupyter.org binary framing would save only JSON parsing.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { createMessage, type JupyterMessage } from "../jupyter/wire";
import type { ExecutionKernel, KernelLoss, KernelSource } from "./kernels";

export interface JupyterServerOptions {
  /** the server's base URL, e.g. http://gpu-node:8888/ (a path prefix such as /user/x/ is kept) */
  url: string;
  /** the server's token (sent as `Authorization: token T`) */
  token?: string;
}

/** A request the server refused or could not answer; the message says what to check. */
export class JupyterServerError extends Error {
  /** the HTTP status, when the server answered */
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "JupyterServerError";
  }
}

const REQUEST_TIMEOUT_MS = 30_000;
/** how long a kernel may take to answer its first kernel_info (a cold TypeScript kernel compiles first) */
const START_TIMEOUT_MS = 120_000;

/** The server's kernelspec called `name`; throws JupyterServerError (unreachable, bad token, unknown kernel) at once. */
export async function serverKernelSource(server: JupyterServerOptions, name: string): Promise<KernelSource> {
  const api = new ServerApi(server);
  const listing = (await api.request("GET", "api/kernelspecs")) as { kernelspecs?: Record<string, { name: string; spec: Record<string, unknown> }> };
  const specs = listing.kernelspecs ?? {};
  const found = specs[name] ?? Object.values(specs).find((k) => k.name.toLowerCase() === name.toLowerCase());
  if (!found) {
    throw new JupyterServerError(`Unknown kernel "${name}" on the Jupyter server at ${api.base}; it offers: ${Object.keys(specs).sort().join(", ") || "(none)"}`);
  }
  return {
    name: found.name,
    language: String(found.spec.language ?? ""),
    identity: { name: found.name, server: api.base, spec: found.spec },
    where: ` on the Jupyter server at ${api.base}`,
    start: ({ notebookDir, env }) => startServerKernel(api, found.name, notebookDir, env),
  };
}

class ServerApi {
  readonly base: string;

  constructor(private readonly server: JupyterServerOptions) {
    let url: URL;
    try {
      url = new URL(server.url);
    } catch {
      throw new JupyterServerError(`--server must be an http(s) URL such as http://127.0.0.1:8888/, got "${server.url}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new JupyterServerError(`--server must be an http(s) URL, got "${server.url}"`);
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    this.base = url.href;
  }

  headers(): Record<string, string> {
    return this.server.token ? { Authorization: `token ${this.server.token}` } : {};
  }

  /** `${base}${path}` as a WebSocket URL */
  socketUrl(path: string): string {
    return new URL(path, this.base).href.replace(/^http/, "ws");
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${new URL(path, this.base).pathname}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), {
        method,
        headers: { ...this.headers(), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new JupyterServerError(`cannot reach the Jupyter server at ${this.base} (${what}: ${why}); is it running, and is --server (or SKIPBOOK_SERVER) its URL?`);
    }
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new JupyterServerError(
        `the Jupyter server at ${this.base} refused ${this.server.token ? "the token" : "a request without a token"} (${what}: HTTP ${response.status}); pass the server's token with --token or SKIPBOOK_TOKEN`,
      );
    }
    if (!response.ok) {
      const reason = safeJson(text)?.message ?? (text.trim().slice(0, 200) || response.statusText);
      throw new JupyterServerError(`the Jupyter server at ${this.base} answered ${what} with HTTP ${response.status}: ${reason}`, response.status);
    }
    return text ? safeJson(text) : undefined;
  }
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function startServerKernel(api: ServerApi, name: string, notebookDir: string | undefined, env: Record<string, string> | undefined): Promise<ExecutionKernel> {
  // `path` is where Jupyter Server starts the kernel (its root when the folder is absent there); `env` is what
  // Enterprise Gateway passes on to the kernel (KERNEL_* variables); Jupyter Server ignores it
  const model = (await api.request("POST", "api/kernels", { name, ...(notebookDir !== undefined && { path: notebookDir }), ...(env && { env }) })) as { id: string };
  const remove = () => deleteKernel(api, model.id);
  try {
    const channels = await KernelChannels.open(api, model.id);
    const info = await Promise.race([
      channels.request("shell", "kernel_info_request", {}),
      channels.lost.then((loss) => `${loss.what} during start-up (${loss.detail})`),
      delay(START_TIMEOUT_MS).then(() => `did not answer kernel_info within ${START_TIMEOUT_MS / 1000} s`),
    ]);
    if (typeof info === "string") throw new JupyterServerError(`kernel "${name}" on the Jupyter server at ${api.base}: ${info}`);
    const watch = watchKernel(api, model.id, (loss) => channels.lose(loss));
    let stopped: Promise<void> | undefined;
    const stop = () => {
      clearInterval(watch);
      return (stopped ??= remove().finally(() => {
        channels.close();
        liveKernels.delete(stop);
      }));
    };
    liveKernels.add(stop);
    return {
      name,
      pid: -1,
      id: model.id,
      info: info.content,
      execute: (code, onIopub) => channels.execute(code, onIopub),
      lost: channels.lost,
      interrupt: () => api.request("POST", `api/kernels/${model.id}/interrupt`).then(() => undefined),
      // the server's DELETE asks the kernel to shut down and kills it when it does not
      kill: stop,
      shutdown: stop,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * Asks the server about the kernel every 2 s: a kernel deleted by someone else, or one that Enterprise Gateway's
 * cluster lost, leaves the WebSocket open and silent, and only the REST API says it is gone.
 */
function watchKernel(api: ServerApi, id: string, lose: (loss: KernelLoss) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    api.request("GET", `api/kernels/${id}`).then(
      (model) => {
        if ((model as { execution_state?: string } | undefined)?.execution_state === "dead") {
          lose({ what: "kernel died", detail: `the Jupyter server at ${api.base} reports it dead`, log: "" });
        }
      },
      (error: JupyterServerError) => {
        if (error.status === 404) lose({ what: "kernel died", detail: `the Jupyter server at ${api.base} no longer has it: it was shut down from elsewhere`, log: "" });
        else if (error.status === undefined) lose({ what: "lost the connection to the Jupyter server", detail: error.message, log: "" });
      },
    );
  }, 2_000);
  timer.unref();
  return timer;
}

/** Kernels started on servers and not shut down yet, for a CLI's SIGINT handler. */
const liveKernels = new Set<() => Promise<void>>();

/** Shuts down every kernel this process started on a Jupyter server, waiting at most `timeoutMs`. */
export async function shutdownServerKernels(timeoutMs = 5_000): Promise<void> {
  await Promise.race([Promise.all([...liveKernels].map((stop) => stop())), delay(timeoutMs)]);
}

/**
 * Shuts a kernel down (the server asks it, then kills it). A kernel the server is restarting after a death cannot be
 * deleted until the restart is done (jupyter_client answers HTTP 500 meanwhile), so a 5xx is retried for a while.
 */
async function deleteKernel(api: ServerApi, id: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await api.request("DELETE", `api/kernels/${id}`);
      return;
    } catch (error) {
      const status = (error as JupyterServerError).status;
      if (status === undefined || status < 500) return; // gone already (404), or the server is: nothing left to do
      await delay(500);
    }
  }
}

/** One kernel's channels over the server's WebSocket, in the JSON protocol. */
class KernelChannels {
  readonly session = randomUUID();
  readonly lost: Promise<KernelLoss>;
  private readonly replies = new Map<string, (message: JupyterMessage) => void>();
  private readonly listeners = new Set<(message: JupyterMessage) => void>();
  private markLost!: (loss: KernelLoss) => void;
  private closing = false;

  private constructor(private readonly socket: WebSocket, private readonly base: string) {
    this.lost = new Promise((resolveLost) => (this.markLost = resolveLost));
    socket.on("message", (data, binary) => this.receive(data as Buffer, binary));
    socket.on("close", (code, reason) => {
      if (!this.closing) this.markLost({ what: "lost the connection to the Jupyter server", detail: `${this.base} closed the kernel's WebSocket, code ${code}${reason.length ? `: ${reason}` : ""}`, log: "" });
    });
  }

  static open(api: ServerApi, kernelId: string): Promise<KernelChannels> {
    const url = api.socketUrl(`api/kernels/${kernelId}/channels?session_id=${randomUUID()}`);
    return new Promise((resolveOpen, reject) => {
      const socket = new WebSocket(url, { headers: api.headers(), maxPayload: 1 << 30 });
      socket.once("unexpected-response", (_request, response) => {
        socket.terminate();
        reject(new JupyterServerError(`the Jupyter server at ${api.base} refused the kernel's WebSocket (HTTP ${response.statusCode}${response.statusCode === 403 || response.statusCode === 401 ? ": check --token or SKIPBOOK_TOKEN" : ""})`));
      });
      socket.once("error", (error) => reject(new JupyterServerError(`cannot open the kernel's WebSocket on the Jupyter server at ${api.base}: ${error.message}`)));
      socket.once("open", () => resolveOpen(new KernelChannels(socket, api.base)));
    });
  }

  /** Sends `msgType` on `channel`; resolves with the reply. */
  request(channel: "shell" | "control", msgType: string, content: unknown): Promise<JupyterMessage> {
    const message = createMessage(msgType, content, { session: this.session });
    const reply = new Promise<JupyterMessage>((resolveReply) => this.replies.set(message.header.msg_id, resolveReply));
    this.send(channel, message);
    return reply;
  }

  /** Runs `code`; resolves once both its execute_reply and its idle status have arrived (as KernelClient.execute). */
  async execute(code: string, onIopub: (message: JupyterMessage) => void): Promise<{ reply: JupyterMessage }> {
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
    const message = createMessage("execute_request", content, { session: this.session });
    const id = message.header.msg_id;
    let markIdle!: () => void;
    const idle = new Promise<void>((resolveIdle) => (markIdle = resolveIdle));
    const listener = (msg: JupyterMessage) => {
      if (msg.parent_header.msg_id !== id) return;
      onIopub(msg);
      if (msg.header.msg_type === "status" && msg.content?.execution_state === "idle") markIdle();
    };
    this.listeners.add(listener);
    try {
      const reply = new Promise<JupyterMessage>((resolveReply) => this.replies.set(id, resolveReply));
      this.send("shell", message);
      const [result] = await Promise.all([reply, idle]);
      return { reply: result };
    } finally {
      this.listeners.delete(listener);
    }
  }

  /** Marks the kernel lost (the first loss is the one reported). */
  lose(loss: KernelLoss): void {
    if (!this.closing) this.markLost(loss);
  }

  close(): void {
    this.closing = true;
    this.socket.close();
    this.replies.clear();
  }

  private send(channel: string, message: JupyterMessage): void {
    const { header, parent_header, metadata, content } = message;
    this.socket.send(JSON.stringify({ header, parent_header, metadata, content, channel, buffers: [] }));
  }

  private receive(data: Buffer, binary: boolean): void {
    const message = binary ? decodeBinaryMessage(data) : (safeJson(data.toString("utf8")) as (JupyterMessage & { channel?: string }) | undefined);
    if (!message?.header) return;
    message.parent_header ??= {};
    message.metadata ??= {};
    message.identities = [];
    message.buffers ??= [];
    if (message.channel === "iopub") {
      const state = message.header.msg_type === "status" ? message.content?.execution_state : undefined;
      // the server's own status, parented to nothing, when its restarter found the kernel dead
      if ((state === "restarting" || state === "dead") && !message.parent_header.msg_id) {
        this.markLost({ what: "kernel died", detail: `the Jupyter server at ${this.base} reports it ${state === "dead" ? "dead" : "dead and restarts it"}`, log: "" });
        return;
      }
      for (const listener of [...this.listeners]) listener(message);
    } else {
      const id = message.parent_header.msg_id;
      const resolveReply = id ? this.replies.get(id) : undefined;
      if (id && resolveReply) {
        this.replies.delete(id);
        resolveReply(message);
      }
    }
  }
}

/**
 * A binary frame of the JSON protocol, for messages with buffers (jupyter_server's serialize_binary_message):
 * a big-endian count n, n offsets, then the JSON message and its buffers.
 */
function decodeBinaryMessage(data: Buffer): (JupyterMessage & { channel?: string }) | undefined {
  if (data.length < 8) return undefined;
  const count = data.readUInt32BE(0);
  const offsets = Array.from({ length: count }, (_, i) => data.readUInt32BE(4 * (i + 1)));
  const parts = offsets.map((start, i) => data.subarray(start, offsets[i + 1] ?? data.length));
  const message = safeJson(parts[0]?.toString("utf8") ?? "");
  if (message) message.buffers = parts.slice(1);
  return message;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}
