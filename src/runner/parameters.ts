/**
 * Notebook parameters, papermill's convention: the cell tagged `parameters` declares the defaults, and a run with
 * parameters gets a new cell tagged `injected-parameters` right after it that sets the given names again, in the
 * kernel's language (`const seeds = [4, 5, 6];` for TypeScript, `seeds = [4, 5, 6]` for Python). Later cells see
 * the new values; the executed notebook keeps the injected cell, so a reader sees what the run used.
 */
import { createHash } from "node:crypto";
import { joinSource, type CodeCell, type Notebook } from "./nbformat";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

/** Values are JSON: what `-p name VALUE` parses and what a notebook can write back. */
export type ParameterValue = null | boolean | number | string | ParameterValue[] | { [key: string]: ParameterValue };
export type Parameters = Record<string, ParameterValue>;

/** A run refused because its parameters do not fit the notebook (or are not JSON). */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParameterError";
  }
}

type Syntax = "typescript" | "python";

const SYNTAX: Record<string, Syntax> = { typescript: "typescript", javascript: "typescript", python: "python" };

/** `-p NAME VALUE` as given on the command line: VALUE must be JSON. */
export function parseParameterValue(name: string, text: string): ParameterValue {
  try {
    return JSON.parse(text) as ParameterValue;
  } catch (error) {
    throw new ParameterError(
      `-p ${name}: ${JSON.stringify(text)} is not JSON (${(error as Error).message}); ` +
        `numbers, true/false, null, [lists] and {objects} are written as in JSON, and a string needs JSON's quotes: -p ${name} '"${text}"'`,
    );
  }
}

/** The names a parameters cell declares at its top level (`const|let|var NAME =`, or `NAME =` in Python). */
export function declaredParameters(code: string, language: string): string[] {
  return syntaxOf(language) === "python" ? pythonAssignments(code) : typescriptDeclarations(code);
}

/**
 * Inserts (or replaces) the `injected-parameters` cell after the notebook's `parameters` cell, in place.
 * Throws ParameterError naming what is wrong: no parameters cell, a name it does not declare, a value that is not JSON.
 */
export function injectParameters(notebook: Notebook, parameters: Parameters, language: string, path: string): void {
  const names = Object.keys(parameters);
  if (names.length === 0) return;
  for (const name of names) checkJson(parameters[name], `${path}: parameter ${name}`);
  const syntax = syntaxOf(language);
  if (!syntax) {
    throw new ParameterError(`${path}: parameters cannot be injected into a ${language || "unknown"}-language kernel's notebook; supported: ${Object.keys(SYNTAX).join(", ")}`);
  }
  // a notebook executed with parameters before keeps its injected cell: the new one replaces it, as in papermill
  notebook.cells = notebook.cells.filter((cell) => !(cell.metadata.tags ?? []).includes(INJECTED_TAG));
  const index = notebook.cells.findIndex((cell) => cell.cell_type === "code" && (cell.metadata.tags ?? []).includes(PARAMETERS_TAG));
  if (index < 0) {
    throw new ParameterError(`${path}: parameters given (${names.join(", ")}), but no code cell is tagged "${PARAMETERS_TAG}"; tag the cell that declares their defaults`);
  }
  const declared = declaredParameters(joinSource(notebook.cells[index].source), language);
  const unknown = names.filter((name) => !declared.includes(name));
  if (unknown.length) {
    const list = declared.length ? declared.join(", ") : "nothing";
    throw new ParameterError(
      `${path}: the parameters cell (cell ${index + 1}) declares ${list}; ${unknown.map((n) => `"${n}"`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not among them`,
    );
  }
  const ids = new Set(notebook.cells.map((cell) => cell.id));
  let id = INJECTED_TAG;
  for (let n = 2; ids.has(id); n++) id = `${INJECTED_TAG}-${n}`;
  const cell: CodeCell = { id, cell_type: "code", metadata: { tags: [INJECTED_TAG] }, source: parameterCellSource(parameters, syntax), outputs: [], execution_count: null };
  notebook.cells.splice(index + 1, 0, cell);
}

/** The injected cell's code: one declaration per parameter, in the order given. */
export function parameterCellSource(parameters: Parameters, syntax: Syntax): string {
  const lines = Object.entries(parameters).map(([name, value]) =>
    syntax === "python" ? `${name} = ${literal(value, syntax)}` : `const ${name} = ${literal(value, syntax)};`,
  );
  return [syntax === "python" ? "# Parameters" : "// Parameters", ...lines].join("\n");
}

/** `seeds=[4,5,6] samples=800`, for progress lines and reports. */
export function describeParameters(parameters: Parameters | undefined): string {
  return Object.entries(parameters ?? {}).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(" ");
}

/** A short stable hash of the parameters (names in order given do not matter), for cache paths. */
export function parametersHash(parameters: Parameters): string {
  const sorted = Object.fromEntries(Object.keys(parameters).sort().map((name) => [name, parameters[name]]));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

function syntaxOf(language: string): Syntax | undefined {
  return SYNTAX[language.toLowerCase()];
}

function literal(value: ParameterValue, syntax: Syntax): string {
  if (value === null) return syntax === "python" ? "None" : "null";
  if (typeof value === "boolean") return syntax === "python" ? (value ? "True" : "False") : String(value);
  if (typeof value === "number" || typeof value === "string") return JSON.stringify(value); // JSON's strings and numbers are both languages' literals
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, syntax)).join(", ")}]`;
  const entries = Object.entries(value);
  if (!entries.length) return "{}";
  const key = (k: string) => (syntax === "typescript" && /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
  const body = entries.map(([k, v]) => `${key(k)}: ${literal(v, syntax)}`).join(", ");
  return syntax === "python" ? `{${body}}` : `{ ${body} }`;
}

function checkJson(value: unknown, what: string): void {
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ParameterError(`${what}: ${value} is not a JSON number (finite numbers only)`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkJson(v, `${what}[${i}]`));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value as object)) checkJson(v, `${what}.${k}`);
    return;
  }
  throw new ParameterError(`${what}: a ${typeof value === "object" ? value.constructor?.name ?? "object" : typeof value} is not a JSON value`);
}

function typescriptDeclarations(code: string): string[] {
  // loaded only when a run has parameters: TypeScript takes a few hundred ms to load
  const ts = require("typescript") as typeof import("typescript");
  const file = ts.createSourceFile("parameters.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names: string[] = [];
  const collect = (name: import("typescript").BindingName) => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) collect(element.name);
  };
  for (const statement of file.statements) {
    if (ts.isVariableStatement(statement)) for (const declaration of statement.declarationList.declarations) collect(declaration.name);
  }
  return names;
}

function pythonAssignments(code: string): string[] {
  const names: string[] = [];
  for (const line of code.split("\n")) {
    // top level only (no indent); `name = ...` or `name: type = ...`, not `name == ...`
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(?!=)/.exec(line);
    if (match && !names.includes(match[1])) names.push(match[1]);
  }
  return names;
}
