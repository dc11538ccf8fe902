/**
 * The kernel's end of the compiler process: tslab's converter runs in a Node process of its own, so TypeScript's
 * work never blocks the kernel's main thread (an interrupt is heard, and tfjs-node loads meanwhile). The process
 * starts at once, from the project's startup snapshot when there is one, else from source (startup/ decides
 * which); one that fails before it answered anything (a damaged snapshot, another Node) is started again from
 * source and the requests it held are sent again. Requests are answered in the order they were sent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeSync } from "node:fs";
import { PARAMS_ENV, type CompilerParams, type Envelope, type FromCompiler, type Request, type SideOutput } from "./ipc";

export interface CompilerStarts {
  /** a startup snapshot of this project's compiler (`node --snapshot-blob`), tried first */
  snapshot?: string;
  /** the script that starts the compiler from source */
  fromSource: string;
}

export class CompilerProcess {
  private child!: ChildProcess;
  /** requests not yet answered, in the order sent (sent again to a compiler started from source after a failed restore) */
  private readonly pending = new Map<number, { envelope: Envelope; resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 0;
  private heard = false;
  private stopped: Error | undefined;
  /** side outputs that arrived before anyone listened (the kernel starts the compiler before it loads the rest) */
  private unclaimed: SideOutput[][] | undefined = [];
  private onSideOutputs: (outputs: SideOutput[]) => void = (outputs) => this.unclaimed?.push(outputs);
  /** the snapshot the running compiler started from; undefined when it started from source */
  snapshot: string | undefined;

  constructor(readonly params: CompilerParams, private readonly starts: CompilerStarts) {
    this.start(starts.snapshot);
  }

  /** Whether the running compiler started from a startup snapshot. */
  get fromSnapshot(): boolean {
    return this.snapshot !== undefined;
  }

  /** `handler` receives the project files each compile emitted (ahead-of-time ones included), in order. */
  onEmit(handler: (outputs: SideOutput[]) => void): void {
    const waiting = this.unclaimed ?? [];
    this.unclaimed = undefined;
    this.onSideOutputs = handler;
    for (const outputs of waiting) handler(outputs);
  }

  /** Sends a request at once; the promise settles with its result. */
  request<T>(request: Request): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const envelope: Envelope = { id: ++this.nextId, request };
    const result = new Promise<T>((resolve, reject) => this.pending.set(envelope.id, { envelope, resolve: resolve as (value: unknown) => void, reject }));
    this.hold(true);
    this.child.send(envelope);
    return result;
  }

  close(): void {
    this.stopped ??= new Error("the compiler process was closed");
    this.child.kill();
  }

  private start(snapshot: string | undefined): void {
    this.snapshot = snapshot;
    this.heard = false;
    const args = snapshot ? ["--snapshot-blob", snapshot] : [this.starts.fromSource];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, [PARAMS_ENV]: JSON.stringify(this.params) },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced",
    });
    this.child = child;
    // however this process ends (a cell's process.exit included), the compiler ends with it at once: it would
    // notice the closed IPC channel only once it is idle again, seconds into a compile
    const end = () => child.kill();
    process.on("exit", end);
    child.once("exit", () => process.off("exit", end));
    child.on("message", (message: FromCompiler) => this.receive(message));
    child.on("error", (error) => this.exited(child, `could not start: ${error.message}`));
    child.on("exit", (code, signal) => this.exited(child, `has stopped (${signal ?? `exit code ${code}`})`));
    this.hold(this.pending.size > 0);
  }

  private receive(message: FromCompiler): void {
    this.heard = true;
    if (message.type === "sideOutputs") return this.onSideOutputs(message.outputs);
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.hold(false);
    if (message.error !== undefined) waiting.reject(new Error(`the compiler process failed: ${message.error}`));
    else waiting.resolve(message.result);
  }

  private exited(child: ChildProcess, how: string): void {
    if (child !== this.child || this.stopped) return;
    if (this.snapshot && !this.heard) {
      writeSync(2, `[skipbook kernel] the compiler ${how} starting from its snapshot ${this.snapshot}; starting it from source\n`);
      this.start(undefined);
      for (const { envelope } of this.pending.values()) this.child.send(envelope);
      return;
    }
    this.stopped = new Error(`the compiler process ${how}`);
    for (const waiting of this.pending.values()) waiting.reject(this.stopped);
    this.pending.clear();
  }

  /** Keeps this process alive only while an answer is awaited (a script driving an Engine may end meanwhile). */
  private hold(on: boolean): void {
    const channel = this.child.channel as { ref(): void; unref(): void } | null | undefined;
    if (on) {
      this.child.ref();
      channel?.ref();
    } else {
      this.child.unref();
      channel?.unref();
    }
  }
}
