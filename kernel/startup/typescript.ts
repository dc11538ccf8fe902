/**
 * TypeScript as the kernel tunes it for tslab: its namespace with three functions replaced.
 * - `getPreEmitDiagnosticsOfFiles` skips project files the compile cache records as clean (compile-cache.ts);
 * - `createWatchProgram` gives tslab's watch host the light builder (light-builder.ts), and wraps each builder's
 *   `emit` to replay clean files' outputs from the cache;
 * - `transpileModule` replays the cached CommonJS form of those outputs.
 *
 * tslab calls TypeScript through its namespace object, whose properties are read-only getters, so this module
 * puts the wrapped namespace in the real one's place in Node's module cache: it must be imported before tslab's
 * converter loads. A snapshot bundle has no module cache: there the bundler hands tslab this module's `ts`
 * (snapshot.ts).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import real = require("@tslab/typescript-for-tslab");
import { DependencyCache } from "./compile-cache";
import { lightBuilderFactory } from "./light-builder";

/** Defined (true) by the bundler when this module is part of the compiler's snapshot bundle. */
declare const SKIPBOOK_BUNDLED: boolean | undefined;

type Program = TS.Program;
type SourceFile = TS.SourceFile;

/** The cache the wrapped functions consult (one per compiler process); undefined: they do what TypeScript's do. */
let active: DependencyCache | undefined;

/** Checks only the files not recorded clean, and records the project files that come out without a diagnostic. */
function getPreEmitDiagnosticsOfFiles(program: Program, files: SourceFile[], token?: TS.CancellationToken): readonly TS.Diagnostic[] {
  const cache = active;
  const key = cache?.keyOf(program);
  if (!cache || !key) return real.getPreEmitDiagnosticsOfFiles(program, files, token);
  const toCheck = files.filter((file) => !(cache.isProjectFile(program, file) && cache.isClean(key, file.fileName)));
  cache.stats.checksSkipped += files.length - toCheck.length;
  const diagnostics = real.getPreEmitDiagnosticsOfFiles(program, toCheck, token);
  const withDiagnostics = new Set(diagnostics.map((d) => d.file?.fileName));
  for (const file of toCheck) {
    if (!cache.isProjectFile(program, file)) continue;
    cache.stats.checksRun += 1;
    if (!withDiagnostics.has(file.fileName)) cache.markClean(key, file.fileName);
  }
  return diagnostics;
}

/** Set while a project file's emit is written or replayed: its outputs' transpiled forms are worth keeping. */
let emitting: { cache: DependencyCache; key: string; texts: Set<string> } | undefined;

/** Replays the outputs of clean project files; records them when a clean file is emitted for real. */
function wrapEmit(builder: TS.EmitAndSemanticDiagnosticsBuilderProgram): void {
  const emit = builder.emit.bind(builder);
  builder.emit = (target, writeFile, token, onlyDts, transformers) => {
    const cache = active;
    const program = builder.getProgram();
    const key = cache?.keyOf(program);
    if (!cache || !key || !target || !writeFile || onlyDts || !cache.isProjectFile(program, target) || !cache.isClean(key, target.fileName)) {
      return emit(target, writeFile, token, onlyDts, transformers);
    }
    const cached = cache.outputs(key, target.fileName);
    emitting = { cache, key, texts: new Set() };
    try {
      if (cached) {
        cache.stats.emitsReplayed += 1;
        for (const [name, text] of cached) {
          emitting.texts.add(text);
          writeFile(name, text, false);
        }
        return { emitSkipped: false, diagnostics: [] };
      }
      const written: [string, string][] = [];
      const result = emit(
        target,
        (name, text, ...rest) => {
          written.push([name, text]);
          emitting?.texts.add(text);
          writeFile(name, text, ...rest);
        },
        token,
        onlyDts,
        transformers,
      );
      if (!result.emitSkipped && result.diagnostics.length === 0) cache.storeOutputs(key, target.fileName, written);
      return result;
    } finally {
      emitting = undefined;
    }
  };
}

function transpileModule(input: string, options: TS.TranspileOptions): TS.TranspileOutput {
  const context = emitting;
  if (!context || !context.texts.has(input)) return real.transpileModule(input, options);
  const cached = context.cache.transpiled(context.key, input, options);
  if (cached !== undefined) return { outputText: cached, diagnostics: [] };
  const result = real.transpileModule(input, options);
  if (!result.diagnostics?.length) context.cache.storeTranspiled(context.key, input, options, result.outputText);
  return result;
}

function createWatchProgram(host: TS.WatchCompilerHostOfFilesAndCompilerOptions<TS.EmitAndSemanticDiagnosticsBuilderProgram>): TS.WatchOfFilesAndCompilerOptions<TS.EmitAndSemanticDiagnosticsBuilderProgram> {
  host.createProgram = lightBuilderFactory(real);
  const after = host.afterProgramCreate;
  host.afterProgramCreate = (builder) => {
    wrapEmit(builder);
    after?.call(host, builder);
  };
  return real.createWatchProgram(host);
}

/** TypeScript's namespace with the three functions above in place of the originals. */
function wrappedNamespace(): typeof TS {
  const overrides: Record<string, unknown> = { getPreEmitDiagnosticsOfFiles, transpileModule, createWatchProgram };
  const namespace: Record<string, unknown> = {};
  for (const name of Object.keys(real)) {
    if (name in overrides) Object.defineProperty(namespace, name, { value: overrides[name], enumerable: true });
    else Object.defineProperty(namespace, name, { get: () => (real as unknown as Record<string, unknown>)[name], enumerable: true });
  }
  return namespace as unknown as typeof TS;
}

export const ts = wrappedNamespace();
if (typeof SKIPBOOK_BUNDLED === "undefined") {
  // every later require("@tslab/typescript-for-tslab") (tslab's converter among them) gets the wrapped namespace
  const requireHere = createRequire(__filename);
  requireHere.cache[requireHere.resolve("@tslab/typescript-for-tslab")]!.exports = ts;
}

/**
 * The tuned TypeScript for a compiler of `root`'s cells, with its compile cache (in <root>/.cache/kernel) active.
 * Import this module before tslab's converter loads.
 */
export function tunedTypeScript(root: string): { ts: typeof TS; cache: DependencyCache } {
  active = new DependencyCache(join(root, ".cache", "kernel"), root);
  return { ts, cache: active };
}
