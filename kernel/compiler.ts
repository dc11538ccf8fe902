/**
 * The compiler process: tslab's converter (type checking, emit, completion, quick info) in a Node process of its
 * own, started with the kernel, so that TypeScript's work never blocks the kernel's main thread. While a cell
 * compiles there, the main thread loads the packages it will run with (tfjs-node's native library takes about a
 * second); an interrupt meanwhile is heard.
 *
 * It starts one of two ways:
 * - from a V8 startup snapshot of the project (compiler-snapshot.ts), taken after the converter was built and
 *   the ahead-of-time imports (tfjs-node, then skiplib and skipbook) were type-checked: the expensive type
 *   loading is then done once per project state and kept on disk, and a first cell compiles at once;
 * - otherwise from source (compiler-process.cjs): TypeScript parses its lib and @types declarations while the
 *   main thread starts and answers kernel_info, then checks the ahead-of-time imports in stages; a request that
 *   arrives meanwhile waits only for the stage in progress, whose work it reuses, never for a second compile.
 *
 * Calls go over Node's IPC channel and are all asynchronous. Cells are rewritten here too: relative module
 * specifiers from the notebook's folder become root-relative, `skiplib` and `skipbook` the project's
 * `src/skiplib/index` and `src/display/index`. Only string literals change, so lines stay put.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import type { Converter, Diagnostic } from "tslab/dist/converter";

/** Module names the kernel resolves itself, to files relative to the project root. */
export const ALIASES: Record<string, string> = { skiplib: "src/skiplib/index", skipbook: "src/display/index" };

/** What a kernel type-checks (and loads) before its first cell, unless SKIPBOOK_KERNEL_WARM=0. */
export const AHEAD_OF_TIME_MODULES = ["@tensorflow/tfjs-node", "skiplib", "skipbook"];

/** The environment variable that carries CompilerParams to the compiler process (a snapshot takes no script arguments). */
export const PARAMS_ENV = "SKIPBOOK_COMPILER_PARAMS";

export interface CompilerParams {
  /** the compilation root (the project folder holding package.json) */
  root: string;
  /** the folder cells live in (the notebook's), from which their relative imports are meant */
  cellDir: string;
  /** modules to type-check ahead of the first cell */
  warmModules: string[];
}

export interface SideOutput {
  path: string;
  data: string;
}

export type Compiled =
  | { kind: "module"; diagnostics: Diagnostic[] }
  | { kind: "cell"; diagnostics: Diagnostic[]; output?: string; declOutput?: string; hasToplevelAwait?: boolean; lastExpressionVar?: string };

export type Request =
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

export type FromCompiler = { type: "reply"; id: number; result?: unknown; error?: string } | { type: "sideOutputs"; outputs: SideOutput[] };

/** The folder holding the nearest package.json at or above `start` (outside node_modules): the project a cell compiles under. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && !dir.split(sep).includes("node_modules")) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The kernel's end: starts the process at once; requests are answered in the order they were sent. */
export class CompilerProcess {
  private child!: ChildProcess;
  /** requests not yet answered, in the order sent (resent to a compiler started from source after a failed restore) */
  private readonly pending = new Map<number, { envelope: Envelope; resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 0;
  private heard = false;
  private stopped: Error | undefined;
  /** side outputs that arrived before anyone listened (the kernel starts the compiler before it loads the rest) */
  private unclaimed: SideOutput[][] | undefined = [];
  private onSideOutputs: (outputs: SideOutput[]) => void = (outputs) => this.unclaimed?.push(outputs);
  /** the snapshot the running compiler started from; undefined when it started from source */
  snapshot: string | undefined;

  /**
   * @param snapshot a startup snapshot of this project's compiler (compiler-snapshot.ts), or undefined to start from
   *   source; a compiler that fails to start from it (a damaged file, another Node) is started again from source
   */
  constructor(readonly params: CompilerParams, snapshot: string | undefined) {
    this.start(snapshot);
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
    // no --import tsx: compiler-process.cjs loads TypeScript before it registers tsx (see there); a snapshot has it all
    const args = snapshot ? ["--snapshot-blob", snapshot] : [join(__dirname, "compiler-process.cjs")];
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

/** How the compiler process got TypeScript, and what to call once the warm-up is over (writes V8's code cache). */
export interface Startup {
  typescriptMs: number;
  codeCached: boolean;
  whenWarm(): void;
}

/** The compiler process's end when started from source (compiler-process.cjs calls this). */
export function serveFromSource(params: CompilerParams, startup: Startup): void {
  const compiler = new Compiler(params.root, params.cellDir, startup);
  serve(compiler, (send) => compiler.warmStages(params.warmModules, (outputs) => send({ type: "sideOutputs", outputs })), startup);
}

/**
 * Serves requests from the kernel over IPC, in order; runs the warm-up stages when idle. Ignores SIGINT (Jupyter
 * interrupts the kernel's whole process group; the cell is the kernel's business) and ends with the kernel.
 * Returns how many requests have arrived so far, and a way to add a stage later.
 */
export function serve(compiler: Compiler, makeStages: (send: (message: FromCompiler) => void) => (() => void)[], startup: Startup): { requests(): number; addStage(stage: () => void): void } {
  const send = (message: FromCompiler) => process.send?.(message);
  process.on("SIGINT", () => {});
  process.on("disconnect", () => process.exit(0));
  const queue: Envelope[] = [];
  const stages = makeStages(send);
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
              if (outputs.length) send({ type: "sideOutputs", outputs });
            }
            send({ type: "reply", id: next.id, result });
          } catch (error) {
            send({ type: "reply", id: next.id, error: (error as Error).stack ?? String(error) });
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

export class Compiler {
  /** why the ahead-of-time check failed, if it did (a snapshot is not taken of such a compiler) */
  warmError: string | undefined;
  private converter: Converter | undefined;
  private sideOutputs: SideOutput[] = [];
  private readonly cacheModule: typeof import("./compile-cache");
  private readonly ts: typeof TS;
  /** clean project files' checks and emits kept on disk (compile-cache.ts); off with SKIPBOOK_KERNEL_CACHE=0 */
  private readonly cache: import("./compile-cache").DependencyCache | undefined;

  constructor(readonly root: string, public cellDir: string, private readonly startup: Startup) {
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
          const converted = this.ready().convert("", this.rewrite(warmImports(group, `${index}_`)).code);
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
          this.warmError = (error as Error).message;
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

/** A cell that imports `modules` and uses nothing (the ahead-of-time check); `tag` keeps its names apart from another's. */
export function warmImports(modules: string[], tag = ""): string {
  // no leading "__": TypeScript escapes such names ("___x") in its symbol tables and tslab's export list then names
  // variables that do not exist, so the warm-up failed its check and emitted nothing
  return modules.map((name, i) => `import * as skipbookWarm${tag}${i} from ${JSON.stringify(name)};`).join("\n");
}

/** This process's V8 heap in use after a full collection (the compiler's heap is its own, collected on its own). */
function heapAfterGc(): number {
  const v8 = require("node:v8") as typeof import("node:v8");
  const vm = require("node:vm") as typeof import("node:vm");
  v8.setFlagsFromString("--expose-gc"); // gc is installed in contexts created after the flag is set
  (vm.runInNewContext("gc") as () => void)();
  return v8.getHeapStatistics().used_heap_size;
}
