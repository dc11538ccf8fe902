/**
 * The tslab driver: tslab's converter (type checking, emit, completion, quick info), created with the project
 * root as its root dir, and each request's code rewritten first so its imports resolve from there
 * (specifiers.ts); a cell to run also gets the property names that tslab would take for earlier cells' names
 * rewritten (property-names.ts). Runs in the compiler process (server.ts). Which TypeScript tslab gets, as it
 * ships or tuned for start-up speed, is decided before this is made (startup/).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import type { Converter, Diagnostic } from "tslab/dist/converter";
import type { Compiled, Request, SideOutput } from "./ipc";
import { applyEdits, mapDiagnostics, type Rewritten } from "./edits";
import { propertyNameEdits } from "./property-names";
import { parseCell, readAliases, rewriteSpecifiers, specifierEdits, specifierMapper, type Aliases } from "./specifiers";

/** What the driver may report of a cache that tuned TypeScript keeps for it (startup/compile-cache.ts). */
export interface DriverCache {
  readonly stats: unknown;
  /** writes what changed; called after each compile */
  save(): void;
}

export class TslabDriver {
  readonly aliases: Aliases;
  private converter: Converter | undefined;
  private sideOutputs: SideOutput[] = [];
  private mapSpecifier: (specifier: string) => string;

  /**
   * @param ts the TypeScript namespace tslab loads (`require("@tslab/typescript-for-tslab")` must give the same)
   * @param cache the cache behind that namespace, if any: saved after each compile, its stats answer `cacheStats`
   */
  constructor(readonly root: string, cellDir: string, private readonly ts: typeof TS, private readonly cache?: DriverCache) {
    this.aliases = readAliases(root);
    this.mapSpecifier = specifierMapper(root, cellDir, this.aliases);
  }

  /** Cells' relative imports are meant from `cellDir` from now on (a compiler restored from a snapshot serves another notebook). */
  setCellDir(cellDir: string): void {
    this.mapSpecifier = specifierMapper(this.root, cellDir, this.aliases);
  }

  /** Creates the converter (the slow part of start-up: TypeScript loads lib and @types declarations). */
  ready(): Converter {
    if (this.converter) return this.converter;
    const { ts } = this;
    // Directory watchers only serve to notice new files after a failed import; tslab's single-timer host throws
    // when one fires while a rebuild is pending (files changing in the project), so we go without them.
    (ts.sys as { watchDirectory?: unknown }).watchDirectory = undefined;
    // tslab takes its root dir from TypeScript's current directory; this process only ever compiles from the root
    ts.sys.getCurrentDirectory = () => this.root;
    const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
    this.converter = createConverter({ isJS: false, isBrowser: false });
    return this.converter;
  }

  handle(request: Exclude<Request, { op: "heapAfterGc" }>): unknown {
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
    }
  }

  /** What the compiles emitted since the last call (the converter emits each project file once per session). */
  takeSideOutputs(): SideOutput[] {
    const outputs = this.sideOutputs;
    this.sideOutputs = [];
    return outputs;
  }

  /** Whether `name` would resolve in a cell: a project alias whose file exists, or a package under the root. */
  resolvable(name: string): boolean {
    if (this.aliases[name]) return existsSync(join(this.root, this.aliases[name]));
    try {
      createRequire(join(this.root, "__cell__.js")).resolve(name);
      return true;
    } catch {
      return false;
    }
  }

  compile(code: string, prevDecl: string): Compiled {
    const converter = this.ready();
    const { getCodeMetadata } = require("tslab/dist/metadata") as typeof import("tslab/dist/metadata");
    const meta = getCodeMetadata(code);
    if (meta.module) {
      const { code: source } = this.rewrite(code);
      const diagnostics = (converter as unknown as { addModule(name: string, src: string, meta: unknown): Diagnostic[] }).addModule(meta.module, source, meta);
      return { kind: "module", diagnostics };
    }
    // a cell to run also gets the property names tslab would mistake for earlier cells' names rewritten
    const cell = parseCell(this.ts, code);
    const rewritten = applyEdits(code, [...specifierEdits(this.ts, cell, this.mapSpecifier), ...propertyNameEdits(this.ts, cell, prevDecl)]);
    const converted = converter.convert(prevDecl, rewritten.code);
    this.cache?.save();
    this.sideOutputs.push(...(converted.sideOutputs ?? []));
    const { output, declOutput, hasToplevelAwait, lastExpressionVar } = converted;
    const diagnostics = mapDiagnostics(converted.diagnostics, code, rewritten);
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

  private rewrite(code: string): Rewritten {
    return rewriteSpecifiers(this.ts, code, this.mapSpecifier);
  }
}
