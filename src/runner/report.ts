/** The failure report on stderr: which notebook, which cell (and its first lines), what was raised, the traceback. */
import { relative } from "node:path";
import { joinSource, type Notebook } from "./nbformat";
import { describeParameters } from "./parameters";
import type { RunSummary } from "./types";

// CSI sequences (colours, cursor moves, line erases) and OSC sequences (window titles, hyperlinks)
const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07]*\x07/g;

/** Text without ANSI escapes: terminal colours and progress bars in tracebacks and stream outputs. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** A multi-line report of a failed run; `color` keeps the kernel's ANSI colours in the traceback. */
export function failureReport(summary: RunSummary, notebook: Notebook | undefined, options: { color?: boolean; cwd?: string } = {}): string {
  const name = relative(options.cwd ?? process.cwd(), summary.path) || summary.path;
  const clean = (text: string) => (options.color ? text : stripAnsi(text));
  const error = summary.error;
  if (!error) return `FAILED ${name}: ${summary.message ?? "failed"}\n`;
  const cellNumber = error.cellIndex + 1;
  const headline =
    summary.failure === "timeout" ? `cell ${cellNumber} timed out` :
    summary.failure === "kernel-died" ? `kernel died while executing cell ${cellNumber}` :
    `cell ${cellNumber} raised ${error.ename}`;
  const lines = [`FAILED ${name}: ${headline}`];
  const cell = notebook?.cells[error.cellIndex];
  if (cell) {
    const source = joinSource(cell.source).split("\n");
    lines.push(`  cell ${cellNumber} (${cell.cell_type}, index ${error.cellIndex}):`);
    for (const line of source.slice(0, 5)) lines.push(`  │ ${line}`);
    if (source.length > 5) lines.push(`  │ … (${source.length - 5} more lines)`);
  }
  lines.push(`  ${error.ename}: ${clean(error.evalue)}`);
  const traceback = error.traceback.map(clean).join("\n").split("\n").filter((l) => l.trim() !== "");
  for (const line of traceback.slice(0, 40)) lines.push(`    ${line}`);
  if (traceback.length > 40) lines.push(`    … (${traceback.length - 40} more lines)`);
  if (summary.message) for (const line of clean(summary.message).split("\n").slice(0, 12)) lines.push(`  ${line}`);
  if (summary.parameters) lines.push(`  parameters: ${describeParameters(summary.parameters)}`);
  if (summary.executedPath) lines.push(`  the executed notebook, with the error, is at ${relative(options.cwd ?? process.cwd(), summary.executedPath)}`);
  return lines.join("\n") + "\n";
}
