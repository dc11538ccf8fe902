/**
 * The program tslab's watch host makes for every cell, without TypeScript's builder state.
 *
 * TypeScript's EmitAndSemanticDiagnosticsBuilderProgram records, as it is created, which files every file of the
 * Program references, and to know that for imports it asks the type checker to resolve each import of each file:
 * with tfjs and @types/node that is some 800 declaration files, redone on every cell. tslab uses the record for
 * one thing, `getAllDependencies(cell)`, to find the project files a cell needs checked and emitted. This builder
 * wraps the Program and answers that by following the cell's resolved imports (and reference paths) through the
 * project's own files only, which is all tslab keeps of the answer (it drops declaration files). A cell that is not
 * a module, or augments the global scope, depends on every file, as in TypeScript's builder.
 */
import { dirname, resolve } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";

type Builder = TS.EmitAndSemanticDiagnosticsBuilderProgram;
/** What TypeScript's watch program also calls on a builder (internal API). */
interface WatchedBuilder extends Builder {
  getProgramOrUndefined(): TS.Program | undefined;
  releaseProgram(): void;
}

/** A `createProgram` for a watch compiler host (same parameters as TypeScript's builder factories). */
export function lightBuilderFactory(ts: typeof TS): TS.CreateProgram<Builder> {
  return (rootNames, options, host, oldBuilder, configFileParsingDiagnostics, projectReferences) => {
    const program = ts.createProgram({
      rootNames: rootNames ?? [],
      options: options ?? {},
      host,
      oldProgram: (oldBuilder as WatchedBuilder | undefined)?.getProgramOrUndefined(),
      configFileParsingDiagnostics,
      projectReferences,
    });
    // as TypeScript's builder does first: the checker binds every file, and tslab reads the cell's bound locals
    program.getTypeChecker();
    const builder: Partial<WatchedBuilder> = {
      getProgram: () => program,
      getProgramOrUndefined: () => program,
      releaseProgram: () => {},
      getCompilerOptions: () => program.getCompilerOptions(),
      getSourceFile: (fileName) => program.getSourceFile(fileName),
      getSourceFiles: () => program.getSourceFiles(),
      getOptionsDiagnostics: (token) => program.getOptionsDiagnostics(token),
      getGlobalDiagnostics: (token) => program.getGlobalDiagnostics(token),
      getConfigFileParsingDiagnostics: () => program.getConfigFileParsingDiagnostics(),
      getSyntacticDiagnostics: (file, token) => program.getSyntacticDiagnostics(file, token),
      getDeclarationDiagnostics: (file, token) => program.getDeclarationDiagnostics(file, token),
      getSemanticDiagnostics: (file, token) => program.getSemanticDiagnostics(file, token),
      emit: (target, writeFile, token, emitOnlyDts, transformers) => program.emit(target, writeFile, token, emitOnlyDts, transformers),
      getAllDependencies: (file) => dependencies(ts, program, file),
      getCurrentDirectory: () => program.getCurrentDirectory(),
    };
    return builder as Builder;
  };
}

/** The file names `file` depends on, itself included, as TypeScript's builder lists them for project files. */
export function dependencies(ts: typeof TS, program: TS.Program, file: TS.SourceFile): string[] {
  if (affectsGlobalScope(ts, file)) return program.getSourceFiles().map((each) => each.fileName);
  const seen = new Set<string>([file.fileName]);
  const queue = [file];
  for (let current = queue.pop(); current; current = queue.pop()) {
    for (const name of references(ts, program, current)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const next = program.getSourceFile(name);
      // declaration files are left out of the answer; what they import is no project file tslab would emit
      if (next && !next.isDeclarationFile) queue.push(next);
    }
  }
  return [...seen];
}

function references(ts: typeof TS, program: TS.Program, file: TS.SourceFile): string[] {
  const internal = ts as unknown as {
    getResolvedModule(file: TS.SourceFile, name: string, mode: TS.ResolutionMode): TS.ResolvedModuleFull | undefined;
  };
  const names: string[] = [];
  for (const literal of (file as unknown as { imports: readonly TS.StringLiteralLike[] }).imports ?? []) {
    const resolved = internal.getResolvedModule(file, literal.text, ts.getModeForUsageLocation(file, literal));
    if (resolved?.resolvedFileName) names.push(program.getSourceFile(resolved.resolvedFileName)?.fileName ?? resolved.resolvedFileName);
  }
  for (const reference of file.referencedFiles) {
    const target = program.getSourceFile(resolve(dirname(file.fileName), reference.fileName));
    if (target) names.push(target.fileName);
  }
  return names;
}

/** As TypeScript's builder decides: a script (not a module) or a `declare global` touches every file's types. */
function affectsGlobalScope(ts: typeof TS, file: TS.SourceFile): boolean {
  const internal = ts as unknown as { isGlobalScopeAugmentation(node: TS.Node): boolean; isExternalOrCommonJsModule(file: TS.SourceFile): boolean; isJsonSourceFile(file: TS.SourceFile): boolean };
  const augmentations = (file as unknown as { moduleAugmentations: readonly TS.Node[] }).moduleAugmentations ?? [];
  if (augmentations.some((augmentation) => internal.isGlobalScopeAugmentation(augmentation.parent))) return true;
  const onlyAmbientModules = file.statements.every((statement) => ts.isModuleDeclaration(statement) && ts.isStringLiteral(statement.name));
  return !internal.isExternalOrCommonJsModule(file) && !internal.isJsonSourceFile(file) && !onlyAmbientModules;
}
