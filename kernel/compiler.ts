/**
 * The compiler thread: tslab's converter (type checking, emit, completion, quick info) on a worker thread of its
 * own, started with the kernel. TypeScript then parses its lib and @types declarations while the main thread
 * starts and answers kernel_info, and checks the ahead-of-time imports (tfjs-node first, then skiplib and
 * skipbook) in stages; a request that arrives meanwhile waits only for the stage in progress, whose work it
 * reuses, never for a second compile. While a cell compiles here, the main thread loads the packages it will
 * run with (tfjs-node's native library takes about a second).
 *
 * The main thread calls synchronously (post, then block on a shared counter and read the port with
 * receiveMessageOnPort), as it did when the converter lived on it; completion and quick info stay simple.
 * Cells are rewritten here too: relative module specifiers from the notebook's folder become root-relative,
 * `skiplib` and `skipbook` the project's `src/skiplib/index` and `src/display/index`. Only string literals
 * change, so lines stay put.
 */
import { existsSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve, sep } from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type * as TS from "@tslab/typescript-for-tslab";
import type { Converter, Diagnostic } from "tslab/dist/converter";

/** Module names the kernel resolves itself, to files relative to the project root. */
export const ALIASES: Record<string, string> = { skiplib: "src/skiplib/index", skipbook: "src/display/index" };

export interface SideOutput {
  path: string;
  data: string;
}

export type Compiled =
  | { kind: "module"; diagnostics: Diagnostic[] }
  | { kind: "cell"; diagnostics: Diagnostic[]; output?: string; declOutput?: string; hasToplevelAwait?: boolean; lastExpressionVar?: string };

type Request =
  | { op: "compile"; code: string; prevDecl: string }
  | { op: "complete"; code: string; cursor: number; prevDecl: string }
  | { op: "inspect"; code: string; cursor: number; prevDecl: string }
  | { op: "isComplete"; code: string }
  | { op: "cacheStats" }
  | { op: "heapAfterGc" };

interface Envelope {
  id: number;
  request: Request;
}

type FromThread = { type: "reply"; id: number; result?: unknown; error?: string } | { type: "sideOutputs"; outputs: SideOutput[] };

interface ThreadData {
  root: string;
  cellDir: string;
  warmModules: string[];
  port: MessagePort;
  /** [0]: messages posted to the main thread; [1]: 1 once the thread has exited */
  signal: Int32Array;
}

/** The main thread's end: starts the thread at once, then calls it synchronously. */
export class CompilerThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private nextId = 0;

  /** @param onSideOutputs receives the project files each compile emitted (ahead-of-time ones included), in order */
  constructor(root: string, cellDir: string, warmModules: string[], private readonly onSideOutputs: (outputs: SideOutput[]) => void) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const workerData: ThreadData = { root, cellDir, warmModules, port: port2, signal: this.signal };
    // no --import tsx here: compiler-thread.cjs loads TypeScript before it registers tsx (see there)
    this.worker = new Worker(join(__dirname, "compiler-thread.cjs"), { workerData, transferList: [port2], execArgv: [], stdout: false, stderr: false });
    this.worker.unref();
  }

  /** Sends a request; `wait` returns its result. In between, the main thread is free (to load packages). */
  post(request: Request): number {
    const id = ++this.nextId;
    this.port.postMessage({ id, request } satisfies Envelope);
    return id;
  }

  /** Blocks until the result of request `id` arrives (completion, quick info: short, and answered in place). */
  wait<T>(id: number): T {
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const reply = this.receive<T>(id);
      if (reply) return reply.result;
      Atomics.wait(this.signal, 0, seen, 1000);
    }
  }

  /** Waits for request `id` with the event loop free (a cell's compile: an interrupt meanwhile must be heard). */
  async waitAsync<T>(id: number): Promise<T> {
    // a pending Atomics.waitAsync holds no handle of the event loop: without this, a process with nothing else
    // to do (a script or test driving an Engine) would exit in the middle of the wait
    this.worker.ref();
    try {
      for (;;) {
        const seen = Atomics.load(this.signal, 0);
        const reply = this.receive<T>(id);
        if (reply) return reply.result;
        const waiting = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: Promise<string> | string } }).waitAsync(this.signal, 0, seen, 1000);
        if (waiting.async) await waiting.value;
      }
    } finally {
      this.worker.unref();
    }
  }

  /** Takes every message waiting on the port; returns the reply to `id` if it was among them. */
  private receive<T>(id: number): { result: T } | undefined {
    let found: { result: T } | undefined;
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) {
      const data = message.message as FromThread;
      if (data.type === "sideOutputs") this.onSideOutputs(data.outputs);
      else if (data.id === id) {
        if (data.error !== undefined) throw new Error(`the compiler thread failed: ${data.error}`);
        found = { result: data.result as T };
      }
    }
    if (!found && Atomics.load(this.signal, 1) === 1) throw new Error("the compiler thread has stopped");
    return found;
  }

  call<T>(request: Request): T {
    return this.wait<T>(this.post(request));
  }

  close(): void {
    void this.worker.terminate();
  }
}

/** How compiler-thread.cjs loaded TypeScript, and what to call once the warm-up is over (writes V8's code cache). */
interface Startup {
  typescriptMs: number;
  codeCached: boolean;
  whenWarm(): void;
}

/** The thread's end (compiler-thread.cjs calls this): serves requests in order, warm-up stages when idle. */
export function serveCompiler(data: ThreadData, startup: Startup): void {
  const compiler = new Compiler(data.root, data.cellDir, startup);
  const post = (message: FromThread) => {
    data.port.postMessage(message);
    Atomics.add(data.signal, 0, 1);
    Atomics.notify(data.signal, 0);
  };
  process.on("exit", () => {
    Atomics.store(data.signal, 1, 1);
    Atomics.notify(data.signal, 0);
  });
  const queue: Envelope[] = [];
  const stages = compiler.warmStages(data.warmModules, (outputs) => post({ type: "sideOutputs", outputs }));
  let running = false;
  const pump = async () => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          try {
            const result = compiler.handle(next.request);
            if (next.request.op === "compile") {
              const outputs = compiler.takeSideOutputs();
              if (outputs.length) post({ type: "sideOutputs", outputs });
            }
            post({ type: "reply", id: next.id, result });
          } catch (error) {
            post({ type: "reply", id: next.id, error: (error as Error).stack ?? String(error) });
          }
        } else {
          const stage = stages.shift();
          if (!stage) {
            // once: the code cache then holds the functions start-up and the warm-up compiled
            startup.whenWarm();
            startup.whenWarm = () => {};
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
  data.port.on("message", (envelope: Envelope) => {
    queue.push(envelope);
    void pump();
  });
  void pump();
}

class Compiler {
  private converter: Converter | undefined;
  private sideOutputs: SideOutput[] = [];
  private readonly cacheModule: typeof import("./compile-cache");
  private readonly ts: typeof TS;
  /** clean project files' checks and emits kept on disk (compile-cache.ts); off with SKIPBOOK_KERNEL_CACHE=0 */
  private readonly cache: import("./compile-cache").DependencyCache | undefined;

  constructor(readonly root: string, readonly cellDir: string, private readonly startup: Startup) {
    // required here, not imported: the main thread imports this file for CompilerThread and must not load TypeScript
    this.cacheModule = require("./compile-cache") as typeof import("./compile-cache");
    this.ts = this.cacheModule.ts;
    this.cache = process.env.SKIPBOOK_KERNEL_CACHE === "0" ? undefined : new this.cacheModule.DependencyCache(join(root, ".cache", "kernel"), root);
  }

  /** Creates the converter (the slow part of start-up: TypeScript loads lib and @types declarations). */
  ready(): Converter {
    if (this.converter) return this.converter;
    const { ts } = this;
    // Directory watchers only serve to notice new files after a failed import; tslab's single-timer host throws
    // when one fires while a rebuild is pending (files changing in the project), so we go without them.
    (ts.sys as { watchDirectory?: unknown }).watchDirectory = undefined;
    this.cacheModule.useDependencyCache(this.cache);
    const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    // tslab takes the root dir from TypeScript's current directory; a worker cannot chdir, and this thread only
    // ever compiles from the project root
    ts.sys.getCurrentDirectory = () => this.root;
    this.converter = createConverter({ isJS: false, isBrowser: false });
    return this.converter;
  }

  handle(request: Request): unknown {
    switch (request.op) {
      case "compile":
        return this.compile(request.code, request.prevDecl);
      case "complete": {
        const { code, toSource, fromSource } = this.rewrite(request.code);
        const info = this.ready().complete(request.prevDecl, code, toSource(request.cursor));
        return { matches: info.candidates, start: fromSource(info.start), end: fromSource(info.end) };
      }
      case "inspect": {
        const { code, toSource } = this.rewrite(request.code);
        const info = this.ready().inspect(request.prevDecl, code, toSource(request.cursor));
        const { printQuickInfo } = require("tslab/dist/inspect") as typeof import("tslab/dist/inspect");
        return info ? printQuickInfo(info) : undefined;
      }
      case "isComplete":
        return this.isComplete(request.code);
      case "cacheStats":
        return this.cache?.stats;
      case "heapAfterGc":
        return heapAfterGc();
    }
  }

  /** What the compiles emitted since the last call (each project file is emitted once per session). */
  takeSideOutputs(): SideOutput[] {
    const outputs = this.sideOutputs;
    this.sideOutputs = [];
    return outputs;
  }

  /**
   * The ahead-of-time work, in the order a first cell needs it: the converter, then each group of imports
   * type-checked (packages first: skiplib's check includes them). A failed check emits nothing and the first
   * cell would pay for it all again, so it says so.
   */
  warmStages(modules: string[], send: (outputs: SideOutput[]) => void): (() => void)[] {
    const started = Date.now();
    let readyMs = 0;
    const present = modules.filter((name) => this.resolvable(name));
    const groups = [present.filter((name) => !ALIASES[name]), present.filter((name) => ALIASES[name])].filter((group) => group.length);
    const log = (message: string) => writeSync(2, `[skipbook kernel] ${message}\n`);
    const stages: (() => void)[] = [
      () => {
        this.ready();
        readyMs = Date.now() - started;
      },
    ];
    if (modules.length === 0) return stages;
    groups.forEach((group, index) =>
      stages.push(() => {
        try {
          // no leading "__": TypeScript escapes such names ("___x") in its symbol tables and tslab's export list
          // then names variables that do not exist, so the warm-up failed its check and emitted nothing
          const source = group.map((name, i) => `import * as skipbookWarm${index}_${i} from ${JSON.stringify(name)};`).join("\n");
          const converted = this.ready().convert("", this.rewrite(source).code);
          this.cache?.save();
          if (converted.diagnostics.length > 0) throw new Error(`warm-up imports did not type-check: ${converted.diagnostics.map((d) => d.messageText).join("; ")}`);
          // the converter emits each dependency once; the main thread keeps what it emitted for later cells
          if (converted.sideOutputs?.length) send(converted.sideOutputs);
          if (index === groups.length - 1) {
            const loaded = `TypeScript loaded in ${this.startup.typescriptMs} ms (${this.startup.codeCached ? "V8 code cache" : "compiled"})`;
            log(`${loaded}, ready in ${readyMs} ms, ahead-of-time imports (${modules.join(", ")}) checked in ${Date.now() - started - readyMs} ms`);
          }
        } catch (error) {
          groups.length = 0; // the later groups would fail the same way
          log(`warm-up failed (cells will still compile): ${(error as Error).message}`);
        }
      }),
    );
    return stages;
  }

  private compile(code: string, prevDecl: string): Compiled {
    const converter = this.ready();
    const { getCodeMetadata } = require("tslab/dist/metadata") as typeof import("tslab/dist/metadata");
    const meta = getCodeMetadata(code);
    const { code: source } = this.rewrite(code);
    if (meta.module) {
      const diagnostics = (converter as unknown as { addModule(name: string, src: string, meta: unknown): Diagnostic[] }).addModule(meta.module, source, meta);
      return { kind: "module", diagnostics };
    }
    const converted = converter.convert(prevDecl, source);
    this.cache?.save();
    this.sideOutputs.push(...(converted.sideOutputs ?? []));
    const { diagnostics, output, declOutput, hasToplevelAwait, lastExpressionVar } = converted;
    return { kind: "cell", diagnostics, output, declOutput, hasToplevelAwait, lastExpressionVar };
  }

  /** Jupyter's is_complete: "complete", "incomplete" (with indent) or "invalid" (a syntax error more lines cannot fix). */
  private isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
    const { isCompleteCode } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    const result = isCompleteCode(code);
    if (!result.completed) return { status: "incomplete", indent: result.indent ?? "" };
    const { ts } = this;
    const file = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const errors = (file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
    return { status: errors.length ? "invalid" : "complete" };
  }

  private resolvable(name: string): boolean {
    if (ALIASES[name]) return existsSync(join(this.root, `${ALIASES[name]}.ts`));
    try {
      createRequire(join(this.root, "__cell__.js")).resolve(name);
      return true;
    } catch {
      return false;
    }
  }

  /** Rewrites module specifiers for compilation from the root; maps cursor offsets both ways. */
  rewrite(code: string): { code: string; toSource(offset: number): number; fromSource(offset: number): number } {
    const { ts } = this;
    const edits: { start: number; end: number; text: string }[] = [];
    const file = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const visit = (node: TS.Node): void => {
      let specifier: TS.Node | undefined;
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) specifier = node.moduleSpecifier;
      else if (ts.isExternalModuleReference(node)) specifier = node.expression;
      else if (ts.isCallExpression(node) && node.arguments.length === 1 && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
        specifier = node.arguments[0];
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) specifier = node.argument.literal;
      if (specifier && ts.isStringLiteral(specifier)) {
        const mapped = this.mapSpecifier(specifier.text);
        if (mapped !== specifier.text) edits.push({ start: specifier.getStart(file) + 1, end: specifier.getEnd() - 1, text: mapped });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    let out = code;
    for (const edit of [...edits].reverse()) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    const toSource = (offset: number) => {
      let shift = 0;
      for (const edit of edits) if (edit.end <= offset) shift += edit.text.length - (edit.end - edit.start);
      return offset + shift;
    };
    const fromSource = (offset: number) => {
      let shift = 0;
      for (const edit of edits) {
        const newStart = edit.start + shift;
        const newEnd = newStart + edit.text.length;
        if (offset < newStart) break;
        if (offset < newEnd) return edit.start + Math.min(offset - newStart, edit.end - edit.start);
        shift += edit.text.length - (edit.end - edit.start);
      }
      return offset - shift;
    };
    return { code: out, toSource, fromSource };
  }

  private mapSpecifier(specifier: string): string {
    const alias = ALIASES[specifier];
    if (alias && existsSync(join(this.root, `${alias}.ts`))) return `./${alias}`;
    if (!specifier.startsWith("./") && !specifier.startsWith("../") && specifier !== "." && specifier !== "..") return specifier;
    if (this.cellDir === this.root) return specifier;
    const fromRoot = relative(this.root, resolve(this.cellDir, specifier)).split(sep).join("/");
    return fromRoot.startsWith("..") ? fromRoot : `./${fromRoot}`;
  }
}

/** This thread's V8 heap in use after a full collection (each thread has a heap of its own, collected on its own). */
function heapAfterGc(): number {
  const v8 = require("node:v8") as typeof import("node:v8");
  const vm = require("node:vm") as typeof import("node:vm");
  v8.setFlagsFromString("--expose-gc"); // gc is installed in contexts created after the flag is set
  (vm.runInNewContext("gc") as () => void)();
  return v8.getHeapStatistics().used_heap_size;
}
