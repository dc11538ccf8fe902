/**
 * Turns a cell's IOPub messages into nbformat outputs, as Jupyter front ends do: consecutive streams of the same
 * name merge (with \r and \b applied), update_display_data rewrites every output shown with that display id
 * (in any cell of the notebook), clear_output empties now or, with wait, just before the next output.
 */
import type { CodeCell, Output, StreamOutput } from "./nbformat";

/** The parts of an IOPub message the assembler reads. */
export interface IopubMessage {
  header: { msg_type: string; date?: string };
  content: any;
}

const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);

export class OutputAssembler {
  /** display_id → cell → output indices, notebook-wide (a later cell may update an earlier cell's display) */
  private readonly displays = new Map<string, Map<CodeCell, number[]>>();
  private clearPending = false;

  /** Starts a new cell: outputs emptied, a pending clear from the previous cell forgotten. */
  begin(cell: CodeCell): void {
    cell.outputs = [];
    this.clearPending = false;
    this.forgetDisplays(cell);
  }

  /** Applies one IOPub message of `cell`'s execution; returns whether it changed the outputs. */
  handle(cell: CodeCell, message: IopubMessage): boolean {
    const type = message.header.msg_type;
    const content = message.content ?? {};
    if (type === "clear_output") {
      if (content.wait) this.clearPending = true;
      else this.clear(cell);
      return !content.wait;
    }
    const displayId: string | undefined = content.transient?.display_id;
    if (type === "update_display_data") {
      if (displayId) this.update(displayId, content);
      return Boolean(displayId);
    }
    if (!OUTPUT_TYPES.has(type)) return false;
    if (this.clearPending) {
      this.clear(cell);
      this.clearPending = false;
    }
    const output = toOutput(type, content);
    if (displayId && type !== "stream" && type !== "error") {
      // a display shown again with the same id is updated together with its earlier appearances
      this.update(displayId, content);
      let cells = this.displays.get(displayId);
      if (!cells) this.displays.set(displayId, (cells = new Map()));
      const indices = cells.get(cell) ?? [];
      cells.set(cell, indices);
      indices.push(cell.outputs.length); // displays never merge, so this is where it lands
    }
    append(cell.outputs, output);
    return true;
  }

  private clear(cell: CodeCell): void {
    cell.outputs.length = 0;
    this.forgetDisplays(cell);
  }

  private forgetDisplays(cell: CodeCell): void {
    for (const cells of this.displays.values()) cells.delete(cell);
  }

  private update(displayId: string, content: any): void {
    for (const [cell, indices] of this.displays.get(displayId) ?? []) {
      for (const index of indices) {
        const output = cell.outputs[index];
        if (output && (output.output_type === "display_data" || output.output_type === "execute_result")) {
          output.data = content.data ?? {};
          output.metadata = content.metadata ?? {};
        }
      }
    }
  }
}

function toOutput(type: string, content: any): Output {
  switch (type) {
    case "stream":
      return { output_type: "stream", name: content.name === "stderr" ? "stderr" : "stdout", text: String(content.text ?? "") };
    case "display_data":
      return { output_type: "display_data", data: content.data ?? {}, metadata: content.metadata ?? {} };
    case "execute_result":
      return { output_type: "execute_result", execution_count: content.execution_count ?? null, data: content.data ?? {}, metadata: content.metadata ?? {} };
    default:
      return {
        output_type: "error",
        ename: String(content.ename ?? "Error"),
        evalue: String(content.evalue ?? ""),
        traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
      };
  }
}

function isMergeable(last: Output | undefined, next: Output): last is StreamOutput {
  return last?.output_type === "stream" && next.output_type === "stream" && last.name === next.name;
}

function append(outputs: Output[], output: Output): void {
  const last = outputs[outputs.length - 1];
  if (isMergeable(last, output)) {
    last.text = applyControlCharacters(String(last.text) + String((output as StreamOutput).text));
  } else if (output.output_type === "stream") {
    outputs.push({ ...output, text: applyControlCharacters(String(output.text)) });
  } else {
    outputs.push(output);
  }
}

/**
 * What a terminal shows for \b and \r (as nbclient's coalesce_streams does): a backspace deletes the character
 * before it, a carriage return not followed by a newline discards the line so far (progress bars keep their last state).
 */
export function applyControlCharacters(text: string): string {
  let previous: string;
  do {
    previous = text;
    text = text.replace(/[^\n]\x08/g, "");
  } while (text.length < previous.length);
  return text.replace(/[^\n]*\r(?=[^\n])/g, "");
}
