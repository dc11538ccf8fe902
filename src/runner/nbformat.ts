/**
 * nbformat 4.5 types, reading and validation against the official JSON schema
 * (schema/nbformat.v4.5.schema.json, vendored from the nbformat package; see schema/LICENSE-nbformat.txt).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type MultilineString = string | string[];
export type MimeBundle = Record<string, unknown>;

export interface StreamOutput { output_type: "stream"; name: "stdout" | "stderr"; text: MultilineString }
export interface DisplayDataOutput { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown> }
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput { output_type: "error"; ename: string; evalue: string; traceback: string[] }
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  execution?: Record<string, string>;
  /** per-cell timeout in seconds (a skipbook extension; overrides --timeout) */
  timeout?: number;
  [key: string]: unknown;
}

export interface CodeCell {
  id: string;
  cell_type: "code";
  metadata: CellMetadata;
  source: MultilineString;
  outputs: Output[];
  execution_count: number | null;
}
export interface MarkdownCell { id: string; cell_type: "markdown"; metadata: CellMetadata; source: MultilineString; attachments?: unknown }
export interface RawCell { id: string; cell_type: "raw"; metadata: CellMetadata; source: MultilineString; attachments?: unknown }
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: {
    kernelspec?: { name: string; display_name: string; language?: string; [key: string]: unknown };
    language_info?: { name: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  cells: Cell[];
}

/** A notebook refused before anything ran: not JSON, not nbformat 4, or not valid against the schema. */
export class NotebookFormatError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "NotebookFormatError";
  }
}

interface Validators {
  notebook: ValidateFunction;
  /** one per cell type and per output type, so errors can be reported for the branch an item claims to be */
  part: Record<string, ValidateFunction>;
}
let validators: Validators | undefined;

function schemaValidators(): Validators {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(join(__dirname, "schema", "nbformat.v4.5.schema.json"), "utf8"));
  // The schema declares draft-04 but uses only keywords whose meaning draft-07 kept; ajv's default draft-07
  // validates it unchanged once the meta-schema reference is dropped. strict: false because it has a few
  // non-keyword annotations (e.g. "source_hidden" beside "properties"), which JSON Schema says to ignore.
  delete schema.$schema;
  schema.$id = "nbformat-v4.5";
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(schema);
  const part: Record<string, ValidateFunction> = {};
  for (const name of ["raw_cell", "markdown_cell", "code_cell", "execute_result", "display_data", "stream", "error"]) {
    part[name] = ajv.getSchema(`nbformat-v4.5#/definitions/${name}`)!;
  }
  validators = { notebook: ajv.getSchema("nbformat-v4.5")!, part };
  return validators;
}

/** Schema errors as readable lines (JSON pointer + message), empty when the notebook is valid nbformat 4.5. */
export function validateNotebook(notebook: unknown): string[] {
  const { notebook: validate, part } = schemaValidators();
  if (validate(notebook)) return [];
  // oneOf over cell and output types reports every branch's failure; re-check each offending cell and output
  // against the branch it claims to be (its cell_type / output_type): those are the errors a person can act on
  const lines = new Set<string>();
  const report = (prefix: string, errors: ErrorObject[] | null | undefined) => {
    for (const error of errors ?? []) {
      if (error.keyword === "oneOf" && (errors?.length ?? 0) > 1) continue;
      const extra = error.keyword === "additionalProperties" ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : "";
      lines.add(`${prefix}${error.instancePath || (prefix ? "" : "/")} ${error.message}${extra}`);
    }
  };
  const cells = (notebook as { cells?: unknown }).cells;
  const cellErrors = new Set<number>();
  for (const error of validate.errors ?? []) {
    const at = /^\/cells\/(\d+)/.exec(error.instancePath);
    if (at && Array.isArray(cells)) cellErrors.add(Number(at[1]));
    else if (error.keyword !== "oneOf") report("", [error]);
  }
  for (const index of cellErrors) {
    const cell = (cells as unknown[])[index] as { cell_type?: unknown; outputs?: unknown } | null;
    const prefix = `/cells/${index}`;
    const branch = typeof cell?.cell_type === "string" ? part[`${cell.cell_type}_cell`] : undefined;
    if (!branch) {
      lines.add(`${prefix}/cell_type must be "code", "markdown" or "raw", got ${JSON.stringify(cell?.cell_type)}`);
      continue;
    }
    if (cell!.cell_type === "code" && Array.isArray(cell!.outputs)) {
      if (!branch({ ...cell, outputs: [] })) report(prefix, branch.errors);
      cell!.outputs.forEach((output, i) => {
        const type = (output as { output_type?: unknown } | null)?.output_type;
        const check = typeof type === "string" ? part[type] : undefined;
        if (!check) lines.add(`${prefix}/outputs/${i}/output_type must be "execute_result", "display_data", "stream" or "error", got ${JSON.stringify(type)}`);
        else if (!check(output)) report(`${prefix}/outputs/${i}`, check.errors);
      });
    } else if (!branch(cell)) report(prefix, branch.errors);
  }
  return lines.size ? [...lines] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

/** Joins nbformat's multiline strings (a string or a list of lines). */
export function joinSource(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

/**
 * Parses notebook text; refuses (NotebookFormatError) anything that is not nbformat 4 or not valid against the
 * 4.5 schema. Minor versions below 5 are upgraded in memory the way nbformat does (cells get ids).
 */
export function parseNotebook(text: string, path: string): Notebook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new NotebookFormatError(path, `not valid JSON (${(error as Error).message}); the file was left unchanged`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new NotebookFormatError(path, "not a notebook: the JSON top level must be an object");
  }
  const nb = data as Notebook;
  if (nb.nbformat !== 4) {
    throw new NotebookFormatError(path, `unsupported nbformat ${JSON.stringify(nb.nbformat)}; only nbformat 4 notebooks can be run`);
  }
  if (typeof nb.nbformat_minor === "number" && nb.nbformat_minor < 5 && Array.isArray(nb.cells)) {
    upgradeToMinor5(nb);
  }
  const problems = validateNotebook(nb);
  if (problems.length) {
    const shown = problems.slice(0, 8).map((p) => `  ${p}`).join("\n");
    const more = problems.length > 8 ? `\n  … and ${problems.length - 8} more` : "";
    throw new NotebookFormatError(path, `not valid nbformat 4.5:\n${shown}${more}\nthe file was left unchanged`);
  }
  return nb;
}

/** Reads and parses a notebook file (see parseNotebook). */
export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new NotebookFormatError(path, `cannot read the notebook: ${(error as Error).message}`);
  }
  return parseNotebook(text, path);
}

// nbformat 4.5 made cell ids required; derive them from position and content so upgrades are reproducible
function upgradeToMinor5(nb: Notebook): void {
  const seen = new Set<string>();
  nb.cells.forEach((cell, index) => {
    if (typeof cell !== "object" || cell === null) return;
    let id = typeof cell.id === "string" ? cell.id : "";
    if (!id || seen.has(id)) {
      id = createHash("sha256").update(`${index}\0${JSON.stringify(cell.source)}`).digest("hex").slice(0, 8);
    }
    seen.add(id);
    cell.id = id;
  });
  nb.nbformat_minor = 5;
}

/** Serialises like Jupyter does: 1-space indentation, sorted keys, trailing newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
