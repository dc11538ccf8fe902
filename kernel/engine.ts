/**
 * The TypeScript engine: tslab's converter (incremental cell compilation, type checking, top-level await,
 * local `.ts` imports) driven with the PROJECT ROOT as its root dir, plus an executor adapted from tslab's.
 *
 * tslab compiles with rootDir = its cwd and resolves a cell's relative imports from there. We create the
 * converter with cwd = the project root (so `../src/...` is under rootDir) and rewrite each cell's module
 * specifiers before compiling: notebook-relative paths become root-relative, `skiplib` and `skipbook` become the
 * project's `src/skiplib/index` and `src/display/index`. Only string literals change, so lines stay put.
 */
import Module, { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import * as vm from "node:vm";
// first: it puts its wrapped TypeScript namespace where tslab's converter will require it
import { DependencyCache, ts, useDependencyCache } from "./compile-cache";
import type * as TS from "@tslab/typescript-for-tslab";
import { createConverter, isCompleteCode, type Converter, type Diagnostic } from "tslab/dist/converter";
import { getCodeMetadata } from "tslab/dist/metadata";
import { printQuickInfo } from "tslab/dist/inspect";

export type ExecuteOutcome =
  | { status: "ok"; hasValue: boolean; value?: unknown }
  | { status: "error"; ename: string; evalue: string; traceback: string[] };

/** The message of the error a cell ends with when interrupted (SIGINT in sync code, or the interrupt race). */
export const INTERRUPTED = "the cell was interrupted";

/** The folder with package.json, found upward from `start`; undefined when there is none. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && !dir.split(sep).includes("node_modules")) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Module names the kernel resolves itself, to files relative to the project root. */
const KERNEL_DIR = __dirname;

const ALIASES: Record<string, string> = { skiplib: "src/skiplib/index", skipbook: "src/display/index" };

export class Engine {
  private converter: Converter | undefined;
  /** clean project files' checks and emits kept on disk (compile-cache.ts); off with SKIPBOOK_KERNEL_CACHE=0 */
  readonly cache: DependencyCache | undefined;
  private prevDecl = "";
  private readonly locals = createLocals();
  private readonly sideOutputs = new Map<string, string>();
  private readonly sideModules = new Map<string, Module>();
  private readonly cellRequire: NodeRequire;
  private rejectInterrupt: (error: Error) => void = () => {};
  private interruptPromise!: Promise<never>;

  /**
   * @param root the compilation root (the project folder holding package.json)
   * @param cellDir the folder cells live in (the notebook's), from which their relative imports are meant
   */
  constructor(readonly root: string, readonly cellDir: string) {
    this.resetInterrupt();
    const require = wrapRequire(createRequire(join(root, "__cell__.js")), root, this.sideOutputs, this.sideModules);
    this.cellRequire = require;
    this.cache = process.env.SKIPBOOK_KERNEL_CACHE === "0" ? undefined : new DependencyCache(join(root, ".cache", "kernel"), root);
    // tslab's emitted code reads `exports` and `require` from this global, as in tslab's own executor
    vm.runInThisContext("(x) => { globalThis.__tslab__ = x; }")({ exports: this.locals, require });
  }

  /** TypeScript's version, for kernel_info. */
  static get typescriptVersion(): string {
    return ts.version;
  }

  /** Creates the converter (the slow part of start-up: TypeScript loads lib and @types declarations). */
  ready(): Converter {
    if (this.converter) return this.converter;
    // Directory watchers only serve to notice new files after a failed import; tslab's single-timer host throws
    // when one fires while a rebuild is pending (files changing in the project), so we go without them.
    (ts.sys as { watchDirectory?: unknown }).watchDirectory = undefined;
    useDependencyCache(this.cache);
    const cwd = process.cwd();
    process.chdir(this.root);
    try {
      this.converter = createConverter({ isJS: false, isBrowser: false });
    } finally {
      process.chdir(cwd);
    }
    return this.converter;
  }

  /** Type-checks imports of `modules` so their declarations are loaded before a cell needs them, and loads the packages among them. */
  warm(modules: string[]): number {
    const started = Date.now();
    const converter = this.ready();
    const present = modules.filter((name) => this.resolvable(name));
    if (present.length === 0) return 0;
    // no leading "__": TypeScript escapes such names ("___x") in its symbol tables and tslab's export list then
    // names variables that do not exist, so the warm-up failed its check and emitted nothing
    const source = present.map((name, i) => `import * as skipbookWarm${i} from ${JSON.stringify(name)};`).join("\n");
    const converted = converter.convert(this.prevDecl, this.rewrite(source).code);
    this.cache?.save();
    // a failed check emits nothing, and the first cell would pay for it all again: say so
    if (converted.diagnostics.length > 0) throw new Error(`warm-up imports did not type-check: ${converted.diagnostics.map((d) => d.messageText).join("; ")}`);
    // the converter emits each dependency once; keep what it emitted or a later cell would miss those modules
    for (const out of converted.sideOutputs ?? []) this.setSideOutput(out.path, out.data);
    // packages are also loaded (the same instances cells get): tfjs-node's native library takes about a second.
    // The project's own modules (skiplib) are not run ahead: they may print or pick a backend.
    for (const name of present) {
      if (ALIASES[name]) continue;
      try {
        this.cellRequire(name);
      } catch {
        // the cell that imports it will report the error
      }
    }
    return Date.now() - started;
  }

  async execute(code: string, cellName: string): Promise<ExecuteOutcome> {
    const converter = this.ready();
    const meta = getCodeMetadata(code);
    const { code: source } = this.rewrite(code);
    if (meta.module) {
      const diagnostics = (converter as unknown as { addModule(name: string, src: string, meta: unknown): Diagnostic[] }).addModule(meta.module, source, meta);
      return diagnostics.length ? compileError(diagnostics) : { status: "ok", hasValue: false };
    }
    const converted = converter.convert(this.prevDecl, source);
    this.cache?.save();
    for (const out of converted.sideOutputs ?? []) this.setSideOutput(out.path, out.data);
    if (converted.diagnostics.length > 0) return compileError(converted.diagnostics);
    if (!converted.output) {
      this.prevDecl = converted.declOutput ?? "";
      return { status: "ok", hasValue: false };
    }
    try {
      // a function wrapper lets cells redeclare let/const, and is faster than top-level script code (tslab #11)
      const prefix = converted.hasToplevelAwait ? "(async function(exports, require) { " : "(function(exports, require) { ";
      const wrapped = `${prefix}${converted.output}\n})(__tslab__.exports, __tslab__.require)`;
      const result = vm.runInThisContext(wrapped, { breakOnSigint: true, filename: cellName, displayErrors: false });
      if (converted.hasToplevelAwait) await Promise.race([result, this.interruptPromise]);
    } catch (error) {
      return runtimeError(error);
    }
    this.prevDecl = converted.declOutput ?? "";
    const name = converted.lastExpressionVar;
    if (name && name in this.locals) {
      const value = this.locals[name];
      delete this.locals[name];
      if (value !== undefined) return { status: "ok", hasValue: true, value };
    }
    return { status: "ok", hasValue: false };
  }

  /** Ends an awaiting cell at once (synchronous code is stopped by SIGINT through `breakOnSigint`). */
  interrupt(): void {
    this.rejectInterrupt(new InterruptError());
    this.resetInterrupt();
  }

  complete(code: string, cursor: number): { matches: string[]; start: number; end: number } {
    const { code: source, toSource, fromSource } = this.rewrite(code);
    const info = this.ready().complete(this.prevDecl, source, toSource(cursor));
    return { matches: info.candidates, start: fromSource(info.start), end: fromSource(info.end) };
  }

  /** Quick info (type and docs) for the symbol at `cursor`, or undefined. */
  inspect(code: string, cursor: number): string | undefined {
    const { code: source, toSource } = this.rewrite(code);
    const info = this.ready().inspect(this.prevDecl, source, toSource(cursor));
    return info ? printQuickInfo(info) : undefined;
  }

  /** Jupyter's is_complete: "complete", "incomplete" (with indent) or "invalid" (a syntax error more lines cannot fix). */
  isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
    const result = isCompleteCode(code);
    if (!result.completed) return { status: "incomplete", indent: result.indent ?? "" };
    const file = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const errors = (file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
    return { status: errors.length ? "invalid" : "complete" };
  }

  close(): void {
    this.converter?.close();
  }

  private resetInterrupt(): void {
    this.interruptPromise = new Promise<never>((_, reject) => (this.rejectInterrupt = reject));
    this.interruptPromise.catch(() => {}); // nobody may be racing it
  }

  private setSideOutput(path: string, data: string): void {
    this.sideModules.delete(path);
    this.sideOutputs.set(path, data);
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
    const edits: Edit[] = [];
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
        if (args[0] === "tslab") return require("tslab");
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

function runtimeError(error: unknown): ExecuteOutcome {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const e = error as Error;
    const interrupted = e instanceof InterruptError || /Script execution was interrupted/.test(String(e.message));
    if (interrupted) return { status: "error", ename: "InterruptError", evalue: INTERRUPTED, traceback: [`InterruptError: ${INTERRUPTED}`] };
    const stack = typeof e.stack === "string" ? e.stack : `${e.name}: ${e.message}`;
    // frames inside the kernel itself tell the reader nothing about their cell
    const traceback = stack.split("\n").filter((line) => !line.includes(KERNEL_DIR) && !/\(node:|node:internal/.test(line));
    return { status: "error", ename: e.name ?? "Error", evalue: String(e.message), traceback };
  }
  return { status: "error", ename: "Error", evalue: String(error), traceback: [`Uncaught ${String(error)}`] };
}
