// The skipbook kernel over real ZeroMQ: every request type a front end sends, outputs, errors, aborts, signatures.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Dealer } from "zeromq";
import { endpoint } from "../../src/jupyter/connection";
import type { LaunchedKernel } from "../../src/jupyter/launcher";
import { createMessage, encodeMessage, Signer } from "../../src/jupyter/wire";
import { delay, ofType, startKernel } from "./helpers";

let kernel: LaunchedKernel;
before(async () => {
  kernel = await startKernel();
});
after(async () => {
  await kernel?.shutdown();
});

test("kernel_info_reply has status, TypeScript language_info with the real version, and help links", async () => {
  const reply = await kernel.client.kernelInfo();
  assert.equal(reply.header.msg_type, "kernel_info_reply");
  const content = reply.content;
  assert.equal(content.status, "ok");
  assert.equal(content.protocol_version, "5.3");
  assert.equal(content.language_info.name, "typescript");
  assert.equal(content.language_info.version, require("@tslab/typescript-for-tslab").version);
  assert.equal(content.language_info.file_extension, ".ts");
  assert.ok(content.help_links.length > 0 && content.help_links.every((l: { url: string }) => l.url.startsWith("https://")));
});

test("execute publishes execute_input, stdout/stderr streams and an execute_result for the last expression", async () => {
  const { reply, iopub } = await kernel.client.execute('const answer: number = 6 * 7;\nconsole.log("out", answer);\nconsole.error("err");\n({ answer })');
  assert.equal(reply.content.status, "ok");
  assert.equal(ofType(iopub, "execute_input")[0].content.execution_count, reply.content.execution_count);
  const streams = ofType(iopub, "stream").map((m) => `${m.content.name}:${m.content.text}`);
  assert.deepEqual(streams, ["stdout:out 42\n", "stderr:err\n"]);
  const [result] = ofType(iopub, "execute_result");
  assert.equal(result.content.data["text/plain"], "{ answer: 42 }");
  assert.deepEqual(iopub.map((m) => m.header.msg_type).slice(0, 2), ["status", "execute_input"]);
  assert.equal(iopub.at(-1)!.content.execution_state, "idle");
});

test("state carries across cells; a cell ending in a statement or undefined has no execute_result", async () => {
  const { iopub } = await kernel.client.execute("let counter = 1;");
  assert.equal(ofType(iopub, "execute_result").length, 0);
  const second = await kernel.client.execute("counter += 1;\ncounter");
  assert.equal(ofType(second.iopub, "execute_result")[0].content.data["text/plain"], "2");
  assert.equal(ofType((await kernel.client.execute("undefined")).iopub, "execute_result").length, 0);
});

test("a value's own _toMimeBundle() adds its MIME types to execute_result", async () => {
  const { iopub } = await kernel.client.execute('({ _toMimeBundle: () => ({ "text/html": "<b>rich</b>" }) })');
  const data = ofType(iopub, "execute_result")[0].content.data;
  assert.equal(data["text/html"], "<b>rich</b>");
  assert.equal(typeof data["text/plain"], "string");
});

test("display from skipbook: bundles, display ids with update, clear_output; tslab.display still works", async () => {
  const code = [
    'import { display } from "skipbook";',
    'display.bundle({ "application/vnd.plotly.v1+json": { data: [], layout: {} }, "text/plain": "figure" });',
    'display.html("<p>one</p>", { id: "progress" });',
    'display.update("progress", { "text/html": "<p>two</p>" });',
    "display.clear(true);",
    'import * as tslab from "tslab";',
    'tslab.display.markdown("*md*");',
  ].join("\n");
  const { reply, iopub } = await kernel.client.execute(code);
  assert.equal(reply.content.status, "ok", JSON.stringify(reply.content));
  const displays = ofType(iopub, "display_data");
  assert.deepEqual(displays[0].content.data["application/vnd.plotly.v1+json"], { data: [], layout: {} });
  assert.equal(displays[1].content.transient.display_id, "progress");
  const [update] = ofType(iopub, "update_display_data");
  assert.equal(update.content.transient.display_id, "progress");
  assert.equal(update.content.data["text/html"], "<p>two</p>");
  assert.deepEqual(ofType(iopub, "clear_output")[0].content, { wait: true });
  assert.equal(displays[2].content.data["text/markdown"], "*md*");
});

test("a runtime error is an error reply and an error message with ename, evalue and a traceback naming the cell", async () => {
  const { reply, iopub } = await kernel.client.execute('function fail() { throw new RangeError("too far"); }\nfail();');
  assert.equal(reply.content.status, "error");
  assert.equal(reply.content.ename, "RangeError");
  assert.equal(reply.content.evalue, "too far");
  const [error] = ofType(iopub, "error");
  assert.equal(error.content.ename, "RangeError");
  assert.ok(error.content.traceback.some((line: string) => /cell\d+\.ts/.test(line)), error.content.traceback.join("\n"));
  assert.ok(!error.content.traceback.some((line: string) => line.includes("/kernel/")), "kernel frames are hidden");
});

test("a type error is an error reply with the TypeScript diagnostic and its line, and nothing runs", async () => {
  const { reply } = await kernel.client.execute('console.log("never");\nconst x: string = 1;');
  assert.equal(reply.content.status, "error");
  assert.equal(reply.content.ename, "TSError");
  assert.match(reply.content.evalue, /TS2322: Type 'number' is not assignable to type 'string'.*line 2/);
  const syntax = await kernel.client.execute("const = ;");
  assert.equal(syntax.reply.content.status, "error");
  assert.match(syntax.reply.content.evalue, /TS\d+/);
  assert.equal(ofType(syntax.iopub, "stream").length, 0);
});

test("after an error with stop_on_error, queued execute_requests are answered 'aborted'; without it they run", async () => {
  const request = (code: string, stop = true) => kernel.client.request("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: stop }, 30_000);
  const failing = request('const until = Date.now() + 400; while (Date.now() < until) {}\nthrow new Error("first fails");');
  await delay(50);
  const queued1 = request("1 + 1");
  await delay(20);
  const queued2 = request("2 + 2");
  const replies = await Promise.all([failing, queued1, queued2]);
  assert.deepEqual(replies.map((r) => r.content.status), ["error", "aborted", "aborted"]);
  // the queue is not poisoned: the next cell runs
  assert.equal((await kernel.client.execute("3 + 3")).reply.content.status, "ok");

  const tolerant = request('const until2 = Date.now() + 300; while (Date.now() < until2) {}\nthrow new Error("no stop");', false);
  await delay(50);
  const after = request("4 + 4");
  const [first, second] = await Promise.all([tolerant, after]);
  assert.deepEqual([first.content.status, second.content.status], ["error", "ok"]);
});

test("complete_request offers names in scope with the replaced span", async () => {
  await kernel.client.execute("const learningRate = 0.1;");
  const reply = await kernel.client.request("shell", "complete_request", { code: "learningR", cursor_pos: 9 }, 30_000);
  assert.equal(reply.header.msg_type, "complete_reply");
  assert.equal(reply.content.status, "ok");
  assert.ok(reply.content.matches.includes("learningRate"));
  assert.deepEqual([reply.content.cursor_start, reply.content.cursor_end], [0, 9]);
});

test("inspect_request shows the type of the symbol under the cursor", async () => {
  const reply = await kernel.client.request("shell", "inspect_request", { code: "Math.max", cursor_pos: 6, detail_level: 0 }, 30_000);
  assert.equal(reply.header.msg_type, "inspect_reply");
  assert.equal(reply.content.found, true);
  assert.match(reply.content.data["text/plain"], /max\(/);
});

test("is_complete_request: complete, incomplete with an indent, invalid", async () => {
  const ask = async (code: string) => (await kernel.client.request("shell", "is_complete_request", { code }, 30_000)).content;
  assert.equal((await ask("const x = 1;")).status, "complete");
  const open = await ask("function f() {");
  assert.equal(open.status, "incomplete");
  assert.equal(typeof open.indent, "string");
  assert.equal((await ask("const = ;")).status, "invalid");
});

test("history_request returns the session's inputs (tail, range, search)", async () => {
  await kernel.client.execute("const historyMarker = 7;");
  const tail = await kernel.client.request("shell", "history_request", { hist_access_type: "tail", n: 1, output: false, raw: true }, 30_000);
  assert.equal(tail.header.msg_type, "history_reply");
  assert.equal(tail.content.status, "ok");
  assert.equal(tail.content.history.at(-1)[2], "const historyMarker = 7;");
  const search = await kernel.client.request("shell", "history_request", { hist_access_type: "search", pattern: "*historyMarker*", output: false, raw: true }, 30_000);
  assert.equal(search.content.history.length, 1);
  const [session, line] = search.content.history[0];
  const range = await kernel.client.request("shell", "history_request", { hist_access_type: "range", session, start: line, stop: line + 1, output: false, raw: true }, 30_000);
  assert.deepEqual(range.content.history, search.content.history);
});

test("comm_info_request gets a comm_info_reply", async () => {
  const reply = await kernel.client.request("shell", "comm_info_request", {}, 30_000);
  assert.equal(reply.header.msg_type, "comm_info_reply");
  assert.deepEqual(reply.content, { status: "ok", comms: {} });
});

test("a message with a wrong signature gets no reply, and the kernel keeps serving", async () => {
  const socket = new Dealer({ linger: 0 });
  socket.connect(endpoint(kernel.connection, "shell"));
  try {
    const forged = createMessage("kernel_info_request", {}, { session: "intruder" });
    await socket.send(encodeMessage(forged, new Signer("not-the-key")));
    const unsigned = createMessage("kernel_info_request", {}, { session: "intruder" });
    await socket.send(encodeMessage(unsigned, new Signer("")));
    const answer = await Promise.race([socket.receive().then(() => "replied"), delay(800).then(() => "silent")]);
    assert.equal(answer, "silent");
  } finally {
    socket.close();
  }
  assert.equal((await kernel.client.kernelInfo()).content.status, "ok");
  assert.ok(await kernel.client.heartbeat(2000));
});

test("user_expressions are evaluated after the cell", async () => {
  const reply = await kernel.client.request("shell", "execute_request", { code: "const ue = 20;", silent: false, store_history: false, user_expressions: { twice: "ue * 2" }, allow_stdin: false, stop_on_error: true }, 30_000);
  assert.equal(reply.content.user_expressions.twice.status, "ok");
  assert.equal(reply.content.user_expressions.twice.data["text/plain"], "40");
});
