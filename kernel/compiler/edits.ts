/**
 * Text edits to a cell before tslab compiles it, and the offset maps between the cell as written and as compiled,
 * so completion cursors and diagnostics still point into what the user wrote. An edit replaces `start..end` of
 * the cell (an insertion when they are equal); edits never overlap.
 */
import type { Diagnostic, DiagnosticPos } from "tslab/dist/converter";

export interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface Rewritten {
  code: string;
  /** an offset in the cell as written → the same place in the rewritten code */
  toSource(offset: number): number;
  /** an offset in the rewritten code → the cell as written (inside an edit's text: clamped to the edited span) */
  fromSource(offset: number): number;
}

/** Applies `edits` (in any order, none overlapping) to `code`. */
export function applyEdits(code: string, edits: readonly Edit[]): Rewritten {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = code;
  for (const edit of [...sorted].reverse()) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  const toSource = (offset: number) => {
    let shift = 0;
    // an insertion at the offset goes before it: the text at the offset moves right
    for (const edit of sorted) if (edit.end <= offset) shift += edit.text.length - (edit.end - edit.start);
    return offset + shift;
  };
  const fromSource = (offset: number) => {
    let shift = 0;
    for (const edit of sorted) {
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

/**
 * The cell's diagnostics with their positions moved from the rewritten code back to the cell as written. tslab
 * names the file only of a project file's first diagnostic line, so a position counts as the cell's only when its
 * line and column agree with its offset in the rewritten code.
 */
export function mapDiagnostics(diagnostics: Diagnostic[], original: string, rewritten: Rewritten): Diagnostic[] {
  if (original === rewritten.code) return diagnostics;
  const inRewritten = lineStarts(rewritten.code);
  const inOriginal = lineStarts(original);
  const map = (pos: DiagnosticPos): DiagnosticPos => {
    const at = position(inRewritten, pos.offset);
    if (pos.offset > rewritten.code.length || at.line !== pos.line || at.character !== pos.character) return pos;
    const offset = rewritten.fromSource(pos.offset);
    return { offset, ...position(inOriginal, offset) };
  };
  return diagnostics.map((d) => (d.fileName ? d : { ...d, start: map(d.start), end: map(d.end) }));
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; character: number } {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line += 1;
  return { line, character: offset - starts[line] };
}
