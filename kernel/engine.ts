/**
 * The TypeScript engine's main-thread half: sends each cell to the compiler process (compiler/: tslab's
 * converter, compiling from the project root) and runs what it emitted, with an executor adapted from tslab's.
 * Project files a cell imports (skiplib's, say) arrive compiled as side outputs and are loaded from memory, one
 * module instance per file; packages load through Node's require from the project root. How a cell's import
 * specifiers are rewritten for that: compiler/specifiers.ts.
 */
import Module, { createRequire } from "node:module";
import { dirname, extname, join, resolve } from "node:path";
import * as vm from "node:vm";
import type { Diagnostic } from "tslab/dist/converter";
import { preferOneDnn } from "../src/skiplib/native-kernels/onednn";
import type { CompilerProcess } from "./compiler/client";
import type { Compiled } from "./compiler/ipc";
import { readAliases } from "./compiler/specifiers";
import type { CacheStats } from "./startup/compile-cache";

export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | { status: "error"; ename: string; evalue: string; traceback: string[] };

/** The message of the error a cell ends with when interrupted (SIGINT in sync code, or the interrupt race). */
export const INTERRUPTED = "the cell was interrupted";

/** Tracebacks leave out frames in the kernel's own files. */
const KERNEL_DIR = __dirname;

export class Engine {
  readonly root: string;
  private prevDecl = "";
  private packagesLoaded = false;
  /** interrupts so far: one that arrives while a cell compiles means the cell does not run */
  private interrupts = 0;
  private readonly locals = createLocals();
  private readonly sideOutputs = new Map<string, string>();
  private readonly sideModules = new Map<string, Module>();
  private readonly cellRequire: NodeRequire;
  private rejectInterrupt: (error: Error) => void = () => {};
  private interruptPromise!: Promise<never>;

  /** @param compiler the compiler process for the project and notebook folder (startup/index.ts, startCompiler) */
  constructor(private readonly compiler: CompilerProcess) {
    this.root = compiler.params.root;
    this.resetInterrupt();
    const require = wrapRequire(createRequire(join(this.root, "__cell__.js")), this.root, this.sideOutputs, this.sideModules);
    this.cellRequire = require;
    // tslab's emitted code reads `exports` and `require` from this global, as in tslab's own executor
    vm.runInThisContext("(x) => { globalThis.__tslab__ = x; }")({ exports: this.locals, require });
    this.compiler.onEmit((outputs) => {
      // the converter emits each dependency once; keep what it emitted or a later cell would miss those modules
      for (const out of outputs) this.setSideOutput(out.path, out.data);
    });
  }

  /** Whether the compiler process started from a startup snapshot. */
  get fromSnapshot(): boolean {
    return this.compiler.fromSnapshot;
  }

  /** The modules the compiler checks ahead of the first cell, whose packages `loadPackages` loads. */
  get aheadOfTime(): string[] {
    return this.compiler.params.aheadOfTime;
  }

  /** TypeScript's version, for kernel_info (read from its package: the main thread never loads TypeScript). */
  static get typescriptVersion(): string {
    return (require("@tslab/typescript-for-tslab/package.json") as { version: string }).version;
  }

  /**
   * Loads the ahead-of-time packages (tfjs-node's native library takes about a second) into the instances cells
   * get, once; returns the milliseconds spent (undefined when already loaded). The project's own modules
   * (skiplib) are not run ahead: they may print or pick a backend.
   */
  loadPackages(): number | undefined {
    if (this.packagesLoaded) return undefined;
    this.packagesLoaded = true;
    const started = Date.now();
    // Node's source-map support (tsx turns it on for the kernel's own files) would parse the maps of tfjs's
    // bundles as they load: 150-200 ms of a first cell; stack frames inside tfjs then name its dist files instead
    const sourceMaps = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled ?? false;
    process.setSourceMapsEnabled(false);
    const aliases = readAliases(this.root, () => {}); // the compiler reports a bad tsconfig.json
    // TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, as its library loads: loading tfjs-node here, before any cell
    // imports skiplib, must apply skiplib's choice, or CPUs where TensorFlow's default is off run its slower kernels
    if (this.aheadOfTime.includes("@tensorflow/tfjs-node")) preferOneDnn();
    try {
      for (const name of this.aheadOfTime) {
        if (aliases[name]) continue;
        try {
          this.cellRequire(name);
        } catch {
          // the cell that imports it will report the error
        }
      }
    } finally {
      process.setSourceMapsEnabled(sourceMaps);
    }
    return Date.now() - started;
  }

  async execute(code: string, cellName: string): Promise<ExecuteOutcome> {
    const interruptsBefore = this.interrupts;
    const request = this.compiler.request<Compiled>({ op: "compile", code, prevDecl: this.prevDecl });
    this.loadPackages(); // while the cell compiles in the compiler process
    const compiled = await request;
    if (this.interrupts !== interruptsBefore) return interruptedOutcome();
    if (compiled.kind === "module") return compiled.diagnostics.length ? compileError(compiled.diagnostics) : { status: "ok", hasValue: false };
    if (compiled.diagnostics.length > 0) return compileError(compiled.diagnostics);
    if (!compiled.output) {
      this.prevDecl = compiled.declOutput ?? "";
      return { status: "ok", hasValue: false };
    }
    try {
      // a function wrapper lets cells redeclare let/const, and is faster than top-level script code (tslab #11)
      const prefix = compiled.hasToplevelAwait ? "(async function(exports, require) { " : "(function(exports, require) { ";
      const wrapped = `${prefix}${compiled.output}\n})(__tslab__.exports, __tslab__.require)`;
      const result = vm.runInThisContext(wrapped, { breakOnSigint: true, filename: cellName, displayErrors: false });
      if (compiled.hasToplevelAwait) await Promise.race([result, this.interruptPromise]);
    } catch (error) {
      return runtimeError(error);
    }
    this.prevDecl = compiled.declOutput ?? "";
    const name = compiled.lastExpressionVar;
    if (name && name in this.locals) {
      const value = this.locals[name];
      delete this.locals[name];
      if (value !== undefined) return { status: "ok", hasValue: true, value };
    }
    return { status: "ok", hasValue: false };
  }

  /** Ends an awaiting cell at once (synchronous code is stopped by SIGINT through `breakOnSigint`). */
  interrupt(): void {
    this.interrupts += 1;
    this.rejectInterrupt(new InterruptError());
    this.resetInterrupt();
  }

  complete(code: string, cursor: number): Promise<{ matches: string[]; start: number; end: number }> {
    return this.compiler.request({ op: "complete", code, cursor, prevDecl: this.prevDecl });
  }

  /** Quick info (type and docs) for the symbol at `cursor`, or undefined. */
  inspect(code: string, cursor: number): Promise<string | undefined> {
    return this.compiler.request({ op: "inspect", code, cursor, prevDecl: this.prevDecl });
  }

  /** Jupyter's is_complete: "complete", "incomplete" (with indent) or "invalid" (a syntax error more lines cannot fix). */
  isComplete(code: string): Promise<{ status: "complete" | "incomplete" | "invalid"; indent?: string }> {
    return this.compiler.request({ op: "isComplete", code });
  }

  /** The compile cache's counters (startup/compile-cache.ts), undefined when TypeScript is not tuned. */
  cacheStats(): Promise<CacheStats | undefined> {
    return this.compiler.request({ op: "cacheStats" });
  }

  /** The compiler process's heap in use after a full collection, in bytes (memory tests: the main thread's own is gc()-able from a cell). */
  compilerHeapAfterGc(): Promise<number> {
    return this.compiler.request({ op: "heapAfterGc" });
  }

  close(): void {
    this.compiler.close();
  }

  private resetInterrupt(): void {
    this.interruptPromise = new Promise<never>((_, reject) => (this.rejectInterrupt = reject));
    this.interruptPromise.catch(() => {}); // nobody may be racing it
  }

  private setSideOutput(path: string, data: string): void {
    this.sideModules.delete(path);
    this.sideOutputs.set(path, data);
  }
}

/** Thrown into an awaiting cell by an interrupt. */
export class InterruptError extends Error {
  constructor() {
    super(INTERRUPTED);
    this.name = "InterruptError";
  }
}

/** tslab's `exports` proxy: named imports arrive as defineProperty and must stay reassignable across cells. */
function createLocals(): Record<string, unknown> {
  const locals: Record<string, unknown> = {};
  return new Proxy(locals, {
    defineProperty(_target, property, attributes) {
      if (property === "__esModule") return true;
      locals[property as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
}

let onTslabImport: (() => void) | undefined;

/** `callback` runs once, before the first cell's `import ... from "tslab"` is answered. */
export function whenCellsImportTslab(callback: () => void): void {
  onTslabImport = callback;
}

/** `require` for cells: `tslab` is tslab's public module; compiled project files come from the converter's outputs. */
function wrapRequire(base: NodeRequire, dir: string, sideOutputs: Map<string, string>, sideModules: Map<string, Module>): NodeRequire {
  const fromSideOutputs = (id: string): unknown => {
    if (!id.startsWith(".") && !id.startsWith("/")) return undefined;
    let filename = resolve(dir, id);
    if (extname(filename) === "") filename += ".js";
    if (!sideOutputs.has(filename) && sideOutputs.has(join(filename.replace(/\.js$/, ""), "index.js"))) filename = join(filename.replace(/\.js$/, ""), "index.js");
    const cached = sideModules.get(filename);
    if (cached) return cached.exports;
    const source = sideOutputs.get(filename);
    if (source === undefined) return undefined;
    const mod = new Module(filename, module) as Module & { _compile(code: string, filename: string): void };
    mod.filename = filename;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(filename));
    (mod as unknown as { require: NodeRequire }).require = wrapRequire(createRequire(filename), dirname(filename), sideOutputs, sideModules);
    sideModules.set(filename, mod); // before compiling, so import cycles see the partial module as Node does
    try {
      mod._compile(source, filename);
    } catch (error) {
      sideModules.delete(filename);
      throw error;
    }
    return mod.exports;
  };
  return new Proxy(base, {
    apply(_target, thisArg, args: unknown[]) {
      if (args.length === 1 && typeof args[0] === "string") {
        if (args[0] === "tslab") {
          const hook = onTslabImport;
          onTslabImport = undefined;
          hook?.();
          return require("tslab");
        }
        const local = fromSideOutputs(args[0]);
        if (local !== undefined) return local;
      }
      return Reflect.apply(base, thisArg, args);
    },
  });
}

function compileError(diagnostics: Diagnostic[]): ExecuteOutcome {
  const lines = diagnostics.map((d) => `${d.fileName ? `${d.fileName} ` : ""}${d.start.line + 1}:${d.start.character + 1} - error TS${d.code}: ${d.messageText}`);
  const first = diagnostics[0];
  const where = first.fileName ? `${first.fileName} line ${first.start.line + 1}` : `line ${first.start.line + 1}`;
  return { status: "error", ename: "TSError", evalue: `TS${first.code}: ${first.messageText} (${where}, column ${first.start.character + 1})`, traceback: lines };
}

function interruptedOutcome(): ExecuteOutcome {
  return { status: "error", ename: "InterruptError", evalue: INTERRUPTED, traceback: [`InterruptError: ${INTERRUPTED}`] };
}

function runtimeError(error: unknown): ExecuteOutcome {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const e = error as Error;
    const interrupted = e instanceof InterruptError || /Script execution was interrupted/.test(String(e.message));
    if (interrupted) return interruptedOutcome();
    const stack = typeof e.stack === "string" ? e.stack : `${e.name}: ${e.message}`;
    // frames inside the kernel itself tell the reader nothing about their cell
    const traceback = stack.split("\n").filter((line) => !line.includes(KERNEL_DIR) && !/\(node:|node:internal/.test(line));
    return { status: "error", ename: e.name ?? "Error", evalue: String(e.message), traceback };
  }
  return { status: "error", ename: "Error", evalue: String(error), traceback: [`Uncaught ${String(error)}`] };
}
