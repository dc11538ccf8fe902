/**
 * Progress of a long loop, shown where the reader is: in a notebook one HTML bar updated in place through a display
 * id (text/plain fallback for front ends without HTML), in a terminal one `\r`-rewritten line, in a log (no TTY) one
 * line per step, or nothing.
 */
import { display, isRichDisplay } from "../display";

export type ProgressMode = "auto" | "notebook" | "terminal" | "log" | "silent";

export interface ProgressBar {
  /** Moves the bar to `done` of `total`, with a short status such as "loss 0.412". */
  update(done: number, status?: string): void;
  /** Leaves the final state on screen (the terminal line ends with a newline). */
  finish(status?: string): void;
}

let nextId = 0;

/** A progress bar for `total` steps labelled `label`; "auto" picks notebook, terminal or log from where it runs. */
export function progressBar(label: string, total: number, mode: ProgressMode = "auto"): ProgressBar {
  if (!(total > 0)) throw new Error(`total must be positive, got ${total}`);
  const resolved = mode === "auto" ? (isRichDisplay() ? "notebook" : process.stderr.isTTY ? "terminal" : "log") : mode;
  if (resolved === "silent") return { update() {}, finish() {} };
  if (resolved === "notebook") return notebookBar(label, total);
  if (resolved === "terminal") return terminalBar(label, total);
  if (resolved === "log") return logBar(label, total);
  throw new Error(`progress must be auto, notebook, terminal, log or silent, got ${JSON.stringify(mode)}`);
}

function text(label: string, done: number, total: number, status: string): string {
  const width = 20;
  const filled = Math.round((width * done) / total);
  return `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${status ? `  ${status}` : ""}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function notebookBar(label: string, total: number): ProgressBar {
  const id = `skiplib-progress-${process.pid}-${nextId++}`;
  const bundle = (done: number, status: string) => ({
    "text/html": `<div class="skiplib-progress"><progress value="${done}" max="${total}" style="width: 16em"></progress> ` +
      `<code>${escapeHtml(`${label} ${done}/${total}${status ? `  ${status}` : ""}`)}</code></div>`,
    "text/plain": text(label, done, total, status),
  });
  display.bundle(bundle(0, ""), { id });
  let last = { done: 0, status: "" };
  return {
    update(done, status = "") {
      last = { done, status };
      display.update(id, bundle(done, status));
    },
    finish(status) {
      display.update(id, bundle(last.done, status ?? last.status));
    },
  };
}

function terminalBar(label: string, total: number): ProgressBar {
  let last = { done: 0, status: "" };
  const draw = () => process.stderr.write(`\r\x1b[2K${text(label, last.done, total, last.status)}`);
  return {
    update(done, status = "") {
      last = { done, status };
      draw();
    },
    finish(status) {
      if (status !== undefined) last.status = status;
      draw();
      process.stderr.write("\n");
    },
  };
}

function logBar(label: string, total: number): ProgressBar {
  return {
    update(done, status = "") {
      process.stderr.write(`${text(label, done, total, status)}\n`);
    },
    finish(status) {
      if (status) process.stderr.write(`${label}: ${status}\n`);
    },
  };
}
