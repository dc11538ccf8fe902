/**
 * The kernel: Jupyter messaging 5.3 requests answered one at a time in arrival order (control before queued
 * shell work), each wrapped in IOPub busy/idle. After a cell fails with stop_on_error, the execute_requests
 * already queued are answered with status "aborted" (as ipykernel does), never dropped.
 */
import { randomUUID } from "node:crypto";
import type { ConnectionInfo } from "../src/jupyter/connection";
import type { JupyterMessage } from "../src/jupyter/wire";
import { Channels, type RequestChannel } from "./channels";
import type { CompilerProcess } from "./compiler/client";
import { Engine, type ExecuteOutcome } from "./engine";
import { History } from "./history";
import { mimeBundle, OutputRouter } from "./output";

const KERNEL_VERSION = "0.1.0";

export interface KernelOptions {
  connection: ConnectionInfo;
  /** the compiler process for the project and the notebook's folder, started first (main.ts) */
  compiler: CompilerProcess;
  interruptGraceMs?: number;
}

interface Queued {
  channel: RequestChannel;
  message: JupyterMessage;
}

export class Kernel {
  private readonly channels: Channels;
  private readonly output: OutputRouter;
  private readonly engine: Engine;
  private readonly history = new History();
  private readonly queue: Queued[] = [];
  private readonly toAbort = new Set<string>();
  private executionCount = 0;
  private draining = false;
  private warmTimer: NodeJS.Timeout | undefined;
  private onShutdown: (restart: boolean) => void = () => {};
  readonly ready: Promise<void>;

  constructor(private readonly options: KernelOptions) {
    const session = randomUUID();
    const log = (message: string) => this.output.log(message);
    this.channels = new Channels(options.connection, session, log);
    this.output = new OutputRouter(this.channels);
    this.engine = new Engine(options.compiler);
    this.ready = this.start();
  }

  /** Called after a shutdown_request has been answered (the process should exit). */
  whenShutdown(callback: (restart: boolean) => void): void {
    this.onShutdown = callback;
  }

  /** Closes the sockets synchronously, for the process's "exit" event (a cell may call `process.exit(code)`). */
  closeNow(): void {
    this.channels.closeNow();
  }

  private async start(): Promise<void> {
    await this.channels.bind(this.options.interruptGraceMs ?? 5000);
    this.output.install();
    this.channels.listen((channel, message) => this.enqueue(channel, message));
    process.on("SIGINT", () => this.engine.interrupt());
    this.channels.publish("status", { execution_state: "starting" });
    // load the packages while nobody waits, unless a cell comes first (it loads them while it compiles). Clients
    // repeat kernel_info until their IOPub socket has heard the kernel, a second apart (jupyter_client, ours):
    // the load (about a second, blocking) waits until they have been quiet for longer than that
    this.warmTimer = setTimeout(() => this.warm(), 1200);
  }

  /** Loads the ahead-of-time packages on the main thread (TypeScript's part runs in the compiler process from the start). */
  private warm(): void {
    this.warmTimer = undefined;
    if (this.engine.aheadOfTime.length === 0) return;
    const ms = this.engine.loadPackages();
    if (ms !== undefined) this.output.log(`ahead-of-time packages (${this.engine.aheadOfTime.join(", ")}) loaded in ${ms} ms`);
  }

  private enqueue(channel: RequestChannel, message: JupyterMessage): void {
    // control requests jump the shell queue, as the control channel exists for
    if (channel === "control") this.queue.unshift({ channel, message });
    else this.queue.push({ channel, message });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        await this.dispatch(next.channel, next.message);
        // the first shell request of a session starts nothing slow in the background any more
        if (this.warmTimer && next.message.header.msg_type === "execute_request") clearTimeout(this.warmTimer);
      }
    } finally {
      this.draining = false;
    }
  }

  private async dispatch(channel: RequestChannel, message: JupyterMessage): Promise<void> {
    const type = message.header.msg_type;
    this.channels.publish("status", { execution_state: "busy" }, message);
    try {
      switch (type) {
        case "kernel_info_request":
          this.channels.reply(channel, message, "kernel_info_reply", this.kernelInfo());
          if (this.warmTimer) this.warmTimer.refresh();
          break;
        case "execute_request":
          await this.execute(channel, message);
          break;
        case "complete_request":
          this.channels.reply(channel, message, "complete_reply", await this.complete(message.content));
          break;
        case "inspect_request":
          this.channels.reply(channel, message, "inspect_reply", await this.inspect(message.content));
          break;
        case "is_complete_request":
          this.channels.reply(channel, message, "is_complete_reply", await this.engine.isComplete(String(message.content.code ?? "")));
          break;
        case "history_request":
          this.channels.reply(channel, message, "history_reply", { status: "ok", history: this.history.query(message.content) });
          break;
        case "comm_info_request":
          this.channels.reply(channel, message, "comm_info_reply", { status: "ok", comms: {} });
          break;
        case "comm_open":
          // no comm targets are registered: close it, as ipykernel does for an unknown target
          this.channels.publish("comm_close", { comm_id: message.content.comm_id, data: {} }, message);
          break;
        case "comm_msg":
        case "comm_close":
          break;
        case "shutdown_request":
          await this.shutdown(channel, message);
          return;
        case "interrupt_request":
          // normally answered by the control thread; a shell interrupt_request still gets a reply
          this.engine.interrupt();
          this.channels.reply(channel, message, "interrupt_reply", { status: "ok" });
          break;
        default:
          this.output.log(`unsupported message type ${type} on ${channel}; ignored`);
      }
    } catch (error) {
      this.output.log(`handling ${type} failed: ${(error as Error).stack ?? error}`);
      const reply = type.endsWith("_request") ? type.replace(/_request$/, "_reply") : undefined;
      if (reply) this.channels.reply(channel, message, reply, { status: "error", ename: (error as Error).name ?? "Error", evalue: (error as Error).message ?? String(error), traceback: [] });
    } finally {
      this.channels.publish("status", { execution_state: "idle" }, message);
    }
  }

  private kernelInfo(): Record<string, unknown> {
    return {
      status: "ok",
      protocol_version: "5.3",
      implementation: "skipbook",
      implementation_version: KERNEL_VERSION,
      language_info: {
        name: "typescript",
        version: Engine.typescriptVersion,
        mimetype: "text/typescript",
        file_extension: ".ts",
        pygments_lexer: "typescript",
        codemirror_mode: { name: "javascript", typescript: true },
      },
      banner: `skipbook TypeScript kernel ${KERNEL_VERSION} (TypeScript ${Engine.typescriptVersion}, Node.js ${process.version}); tslab's engine`,
      help_links: [
        { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
        { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
        { text: "tslab", url: "https://github.com/yunabe/tslab" },
      ],
      debugger: false,
    };
  }

  private async execute(channel: RequestChannel, message: JupyterMessage): Promise<void> {
    const content = message.content as { code?: string; silent?: boolean; store_history?: boolean; user_expressions?: Record<string, string>; stop_on_error?: boolean };
    const code = String(content.code ?? "");
    if (this.toAbort.delete(message.header.msg_id)) {
      this.channels.reply(channel, message, "execute_reply", { status: "aborted", execution_count: this.executionCount }, { status: "aborted" });
      return;
    }
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    if (storeHistory) this.executionCount += 1;
    const count = this.executionCount;
    if (!silent) this.channels.publish("execute_input", { code, execution_count: count }, message);
    this.output.setParent(message);
    if (storeHistory) this.history.add(count, code);

    let outcome: ExecuteOutcome;
    this.channels.setBusy(true);
    try {
      outcome = code.trim() ? await this.engine.execute(code, `cell${count}.ts`) : { status: "ok", hasValue: false };
    } finally {
      this.channels.setBusy(false);
    }

    if (outcome.status === "error") {
      const { ename, evalue, traceback } = outcome;
      this.channels.publish("error", { ename, evalue, traceback }, message);
      this.channels.reply(channel, message, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback }, { status: "error" });
      if (content.stop_on_error !== false) await this.abortQueued();
      return;
    }
    if (outcome.hasValue && !silent) {
      const data = mimeBundle(outcome.value);
      if (storeHistory) this.history.setOutput(count, String(data["text/plain"]));
      this.channels.publish("execute_result", { execution_count: count, data, metadata: {} }, message);
    }
    const userExpressions = await this.userExpressions(content.user_expressions ?? {});
    this.channels.reply(channel, message, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: userExpressions }, { status: "ok" });
  }

  /** Marks the execute_requests that arrived before the failed cell's reply went out; they are answered "aborted". */
  private async abortQueued(): Promise<void> {
    // let ZeroMQ hand over what is already waiting on the socket (the cell may have blocked the event loop)
    for (let tick = 0; tick < 3; tick++) await new Promise((done) => setTimeout(done, 2));
    for (const { message } of this.queue) if (message.header.msg_type === "execute_request") this.toAbort.add(message.header.msg_id);
  }

  private async userExpressions(expressions: Record<string, string>): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    for (const [name, expression] of Object.entries(expressions)) {
      const outcome = await this.engine.execute(`(${expression})`, `user_expression_${name}.ts`);
      results[name] =
        outcome.status === "ok"
          ? { status: "ok", data: outcome.hasValue ? mimeBundle(outcome.value) : { "text/plain": "undefined" }, metadata: {} }
          : { status: "error", ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
    }
    return results;
  }

  private async complete(content: { code?: string; cursor_pos?: number }): Promise<Record<string, unknown>> {
    const code = String(content.code ?? "");
    const cursor = content.cursor_pos ?? code.length;
    const { matches, start, end } = await this.engine.complete(code, cursor);
    return { status: "ok", matches, cursor_start: start, cursor_end: end, metadata: {} };
  }

  private async inspect(content: { code?: string; cursor_pos?: number }): Promise<Record<string, unknown>> {
    const code = String(content.code ?? "");
    const text = await this.engine.inspect(code, content.cursor_pos ?? code.length);
    return text ? { status: "ok", found: true, data: { "text/plain": text }, metadata: {} } : { status: "ok", found: false, data: {}, metadata: {} };
  }

  private async shutdown(channel: RequestChannel, message: JupyterMessage): Promise<void> {
    const restart = message.content?.restart === true;
    this.channels.reply(channel, message, "shutdown_reply", { status: "ok", restart });
    this.channels.publish("status", { execution_state: "idle" }, message);
    if (this.warmTimer) clearTimeout(this.warmTimer);
    await this.channels.close();
    this.engine.close();
    this.onShutdown(restart);
  }
}
