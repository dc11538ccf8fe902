/**
 * How a cell's imports resolve. tslab compiles a cell as a file in its root dir, and the kernel makes that root
 * the project's: the folder of the nearest package.json above the notebook. Before a cell compiles, its module
 * specifiers are rewritten (only string literals change, so lines stay put):
 * - a name the project's tsconfig.json maps to one file (`compilerOptions.paths`, e.g. "skiplib" →
 *   src/skiplib/index.ts) becomes that file, root-relative ("./src/skiplib/index");
 * - a relative path, meant from the notebook's folder, becomes root-relative ("./x" in notebooks/ →
 *   "./notebooks/x");
 * - package names stay, and resolve from the root's node_modules.
 * Cursor offsets for completion map both ways across the rewrite (edits.ts).
 */
import { existsSync, readFileSync, writeSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import { applyEdits, type Edit, type Rewritten } from "./edits";

/** Module name → the project file it stands for, relative to the root ("skiplib" → "src/skiplib/index.ts"). */
export type Aliases = Record<string, string>;

/** The folder holding the nearest package.json at or above `start` (outside node_modules): the project a cell compiles under. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && !dir.split(sep).includes("node_modules")) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

// what tsconfig.json allows beyond JSON, outside strings: comments, then trailing commas
const COMMENTS = /("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
const TRAILING_COMMAS = /("(?:[^"\\]|\\.)*")|,(\s*[}\]])/g;

function parseJsonc(text: string): unknown {
  const withoutComments = text.replace(COMMENTS, (_match, string?: string) => string ?? "");
  return JSON.parse(withoutComments.replace(TRAILING_COMMAS, (_match, string: string | undefined, close: string) => string ?? close));
}

/**
 * The project's aliases: the entries of tsconfig.json's `compilerOptions.paths` that name one module (no `*`) and
 * map it to one file, relative to `baseUrl`. The same table serves the editor, `tsc` and the kernel's cells.
 * A missing tsconfig.json means none; one that cannot be read is reported through `warn`, and means none.
 */
export function readAliases(root: string, warn: (message: string) => void = (message) => writeSync(2, `[skipbook kernel] ${message}\n`)): Aliases {
  const file = join(root, "tsconfig.json");
  if (!existsSync(file)) return {};
  let options: { baseUrl?: unknown; paths?: unknown };
  try {
    const config = parseJsonc(readFileSync(file, "utf8")) as { compilerOptions?: typeof options } | null;
    options = config?.compilerOptions ?? {};
  } catch (error) {
    warn(`${file} is not valid JSON (${(error as Error).message}): cells cannot use its path aliases`);
    return {};
  }
  const base = typeof options.baseUrl === "string" ? resolve(root, options.baseUrl) : root;
  const aliases: Aliases = {};
  for (const [name, targets] of Object.entries((options.paths ?? {}) as Record<string, unknown>)) {
    if (name.includes("*") || !Array.isArray(targets) || targets.length !== 1 || typeof targets[0] !== "string" || targets[0].includes("*")) continue;
    aliases[name] = relative(root, resolve(base, targets[0])).split(sep).join("/");
  }
  return aliases;
}

/** Maps one specifier as the header describes; `aliases` from readAliases. */
export function specifierMapper(root: string, cellDir: string, aliases: Aliases): (specifier: string) => string {
  return (specifier) => {
    const alias = aliases[specifier];
    if (alias && existsSync(join(root, alias))) return `./${alias.replace(/(\.d)?\.[cm]?tsx?$/, "")}`;
    if (!specifier.startsWith("./") && !specifier.startsWith("../") && specifier !== "." && specifier !== "..") return specifier;
    if (cellDir === root) return specifier;
    const fromRoot = relative(root, resolve(cellDir, specifier)).split(sep).join("/");
    return fromRoot.startsWith("..") ? fromRoot : `./${fromRoot}`;
  };
}

/** The edits that rewrite the module specifiers of imports, exports, `require()`, `import()` and `import("x").T` in `file` with `map`. */
export function specifierEdits(ts: typeof TS, file: TS.SourceFile, map: (specifier: string) => string): Edit[] {
  const edits: Edit[] = [];
  const visit = (node: TS.Node): void => {
    let specifier: TS.Node | undefined;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) specifier = node.moduleSpecifier;
    else if (ts.isExternalModuleReference(node)) specifier = node.expression;
    else if (ts.isCallExpression(node) && node.arguments.length === 1 && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
      specifier = node.arguments[0];
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) specifier = node.argument.literal;
    if (specifier && ts.isStringLiteral(specifier)) {
      const mapped = map(specifier.text);
      if (mapped !== specifier.text) edits.push({ start: specifier.getStart(file) + 1, end: specifier.getEnd() - 1, text: mapped });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return edits;
}

/** `code` with its module specifiers rewritten by `map` (specifierEdits), and the offset maps. */
export function rewriteSpecifiers(ts: typeof TS, code: string, map: (specifier: string) => string): Rewritten {
  return applyEdits(code, specifierEdits(ts, parseCell(ts, code), map));
}

/** The cell as TypeScript parses it (parent pointers unset: enough for the syntactic rewrites here). */
export function parseCell(ts: typeof TS, code: string): TS.SourceFile {
  return ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
}
