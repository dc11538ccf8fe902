// Output assembly, message by message, checked against what Jupyter front ends (and nbclient) store.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CodeCell } from "../../src/runner/nbformat";
import { applyControlCharacters, OutputAssembler, type IopubMessage } from "../../src/runner/outputs";

const cell = (): CodeCell => ({ id: "c", cell_type: "code", metadata: {}, source: "", outputs: [], execution_count: null });
const msg = (msg_type: string, content: Record<string, unknown>): IopubMessage => ({ header: { msg_type }, content });
const stream = (name: string, text: string) => msg("stream", { name, text });
const display = (text: string, id?: string) =>
  msg("display_data", { data: { "text/plain": text }, metadata: {}, ...(id ? { transient: { display_id: id } } : {}) });

test("consecutive streams of one name merge; another stream or output in between starts a new one", () => {
  const c = cell();
  const a = new OutputAssembler();
  a.begin(c);
  for (const m of [stream("stdout", "a\n"), stream("stdout", "b\n"), stream("stderr", "e\n"), stream("stdout", "c\n"), display("d"), stream("stdout", "f\n")]) a.handle(c, m);
  assert.deepEqual(c.outputs, [
    { output_type: "stream", name: "stdout", text: "a\nb\n" },
    { output_type: "stream", name: "stderr", text: "e\n" },
    { output_type: "stream", name: "stdout", text: "c\n" },
    { output_type: "display_data", data: { "text/plain": "d" }, metadata: {} },
    { output_type: "stream", name: "stdout", text: "f\n" },
  ]);
});

test("carriage returns and backspaces leave what a terminal would show", () => {
  assert.equal(applyControlCharacters("10%\r50%\r100%\n"), "100%\n");
  assert.equal(applyControlCharacters("ab\x08c\n"), "ac\n");
  assert.equal(applyControlCharacters("line\r\nnext\n"), "line\r\nnext\n");
  const c = cell();
  const a = new OutputAssembler();
  a.begin(c);
  a.handle(c, stream("stdout", "progress 10%\r"));
  a.handle(c, stream("stdout", "progress 100%\n"));
  assert.deepEqual(c.outputs, [{ output_type: "stream", name: "stdout", text: "progress 100%\n" }]);
});

test("update_display_data rewrites every appearance of the display id, across cells", () => {
  const first = cell();
  const second = cell();
  const a = new OutputAssembler();
  a.begin(first);
  a.handle(first, display("v1", "status"));
  a.handle(first, display("other"));
  a.begin(second);
  a.handle(second, display("v1 again", "status"));
  a.handle(second, msg("update_display_data", { data: { "text/plain": "v2" }, metadata: { m: 1 }, transient: { display_id: "status" } }));
  assert.deepEqual(first.outputs.map((o) => (o as { data: Record<string, unknown> }).data["text/plain"]), ["v2", "other"]);
  assert.deepEqual(second.outputs, [{ output_type: "display_data", data: { "text/plain": "v2" }, metadata: { m: 1 } }]);
  // an update for an id never shown changes nothing
  assert.equal(a.handle(second, msg("update_display_data", { data: { "text/plain": "x" }, metadata: {}, transient: { display_id: "nope" } })), true);
  assert.equal(second.outputs.length, 1);
});

test("clear_output empties at once; with wait, only when the next output arrives", () => {
  const c = cell();
  const a = new OutputAssembler();
  a.begin(c);
  a.handle(c, display("gone"));
  a.handle(c, msg("clear_output", { wait: false }));
  assert.deepEqual(c.outputs, []);
  a.handle(c, display("replaced"));
  a.handle(c, msg("clear_output", { wait: true }));
  assert.equal(c.outputs.length, 1, "a waiting clear keeps the output until something replaces it");
  a.handle(c, display("new"));
  assert.deepEqual(c.outputs, [{ output_type: "display_data", data: { "text/plain": "new" }, metadata: {} }]);
  // a cleared display no longer receives updates
  const d = cell();
  a.begin(d);
  a.handle(d, display("shown", "x"));
  a.handle(d, msg("clear_output", { wait: false }));
  a.handle(d, display("plain"));
  a.handle(d, msg("update_display_data", { data: { "text/plain": "late" }, metadata: {}, transient: { display_id: "x" } }));
  assert.deepEqual(d.outputs, [{ output_type: "display_data", data: { "text/plain": "plain" }, metadata: {} }]);
});

test("execute_result and error become their nbformat outputs; status and unknown messages are ignored", () => {
  const c = cell();
  const a = new OutputAssembler();
  a.begin(c);
  assert.equal(a.handle(c, msg("status", { execution_state: "busy" })), false);
  assert.equal(a.handle(c, msg("comm_open", {})), false);
  a.handle(c, msg("execute_result", { execution_count: 3, data: { "text/plain": "42" }, metadata: {} }));
  a.handle(c, msg("error", { ename: "Error", evalue: "boom", traceback: ["Error: boom", "    at x"] }));
  assert.deepEqual(c.outputs, [
    { output_type: "execute_result", execution_count: 3, data: { "text/plain": "42" }, metadata: {} },
    { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom", "    at x"] },
  ]);
});
