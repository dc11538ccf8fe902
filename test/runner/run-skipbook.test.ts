// The runner on the project's own TypeScript kernel (`skipbook`), with the fixtures: every output kind,
// an error in cell 3, tags, a hang and a busy loop under --timeout 5, a kernel that exits mid-cell, the cache.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { kernelDirs as defaultKernelDirs } from "../../src/jupyter/kernelspec";
import { failureReport, runNotebook, runNotebooks, validateNotebook, type CodeCell, type Notebook, type ProgressEvent, type RunOptions } from "../../src/runner";
import { fixtures, hasSkipbookKernel, processGroup, root } from "./kernels";

// the fixtures import no TensorFlow: skip the kernel's ahead-of-time warm-up of the library (seconds per start)
process.env.SKIPBOOK_KERNEL_STARTUP ??= "lazy";
const scratch = mkdtempSync(join(tmpdir(), "skipbook-run-ts-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const base: RunOptions = { kernelDirs: defaultKernelDirs(root), cacheDir: join(scratch, "cache"), force: true };

async function run(name: string, options: RunOptions = {}) {
  const events: Array<ProgressEvent & { at: number }> = [];
  const result = await runNotebook(join(fixtures, name), { ...base, ...options, onProgress: (e) => events.push({ ...e, at: Date.now() }) });
  for (const event of events) {
    if (event.type === "kernel") assert.deepEqual(processGroup(event.pid), [], `kernel ${event.pid} and its children are gone`);
  }
  return { ...result, events };
}

const code = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
const texts = (cell: CodeCell): string[] =>
  cell.outputs.map((o) => (o.output_type === "stream" ? String(o.text) : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.data["text/plain"])));

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => resolveRun({ code, stderr }));
  });
}

// in CI the kernel must be there: a missing kernelspec fails instead of skipping
test("the skipbook kernelspec is installed where the runner looks", { skip: !process.env.CI && !hasSkipbookKernel && "not in CI" }, () => {
  assert.ok(hasSkipbookKernel, "no .jupyter-kernels/kernels/skipbook/kernel.json: run node scripts/setup.mjs");
});

describe("runner on the skipbook kernel", { skip: !hasSkipbookKernel && "the skipbook kernelspec is not installed (node scripts/setup.mjs)" }, () => {
  test("every output kind lands in the notebook as nbformat 4.5", async () => {
    const { notebook, summary } = await run("outputs.ipynb");
    assert.equal(summary.ok, true, summary.message ?? summary.error?.evalue);
    const cells = code(notebook);
    assert.deepEqual(cells[0].outputs, [
      { output_type: "stream", name: "stdout", text: "one\ntwo\n" },
      { output_type: "stream", name: "stderr", text: "warning\n" },
    ]);
    assert.deepEqual(texts(cells[1]), ["progress 100%\ndone\n"]);
    const kinds = cells[2].outputs.map((o) => (o.output_type === "display_data" ? Object.keys(o.data).filter((k) => k !== "text/plain")[0] : o.output_type));
    assert.deepEqual(kinds, ["text/html", "text/markdown", "application/json", "image/svg+xml"]);
    assert.deepEqual(texts(cells[3]), ["updated from a later cell"], "display.update in cell 6 rewrote cell 5's output");
    assert.deepEqual(texts(cells[5]), ["after clear"]);
    assert.deepEqual(texts(cells[6]), ["after clear(wait)"]);
    assert.deepEqual(texts(cells[7]), ["kept: no output follows the clear"]);
    assert.equal(cells[8].outputs[0]?.output_type, "execute_result");
    assert.deepEqual(texts(cells[8]), ["42"]);
    const counts = cells.map((c) => c.execution_count);
    assert.ok(counts.every((c, i) => typeof c === "number" && (i === 0 || c > counts[i - 1]!)), `execution counts increase: ${counts}`);
    assert.equal(notebook.metadata.language_info?.name, "typescript");
    assert.deepEqual(validateNotebook(JSON.parse(readFileSync(summary.executedPath!, "utf8"))), []);
  });

  test("an error in cell 3 stops the notebook; the written notebook shows the error; the CLI exits 1 naming cell 3", async () => {
    const out = join(scratch, "out");
    const { code: exit, stderr } = await cli(["run", join(fixtures, "error-cell3.ipynb"), "--out", out, "--cache-dir", join(scratch, "cli-cache")]);
    assert.equal(exit, 1, stderr);
    assert.match(stderr, /FAILED test\/fixtures\/error-cell3\.ipynb: cell 3 raised Error/);
    assert.match(stderr, /│ throw new Error\("boom in cell 3"\);/);
    assert.match(stderr, /Error: boom in cell 3/);
    const cells = code(JSON.parse(readFileSync(join(out, "error-cell3.ipynb"), "utf8")));
    assert.deepEqual(texts(cells[1]), ["cell 2 ran 1\n"]);
    assert.equal(cells[2].outputs[0].output_type, "error");
    assert.equal(cells[3].execution_count, null);
  });

  test("raises-exception cells must raise; skip-execution cells never run", async () => {
    const tags = await run("tags.ipynb");
    assert.equal(tags.summary.ok, true, tags.summary.error?.evalue);
    const cells = code(tags.notebook);
    assert.match(texts(cells[0])[0], /TypeError: expected failure/);
    assert.equal(cells[1].execution_count, null, "the process.exit cell was skipped, so the kernel lived on");
    assert.deepEqual(texts(cells[2]), ["after the tagged cells\n"]);
    const nothing = await run("raises-nothing.ipynb");
    assert.equal(nothing.summary.ok, false);
    assert.equal(nothing.summary.error?.ename, "MissingExceptionError");
    assert.match(nothing.summary.error!.evalue, /cell 1 is tagged raises-exception but raised nothing/);
  });

  test("a hang and a busy loop under a 5 s timeout: both stopped, reported by cell, no kernel left behind", async () => {
    const started = Date.now();
    const pids: number[] = [];
    // hang.ipynb's first cell carries metadata.timeout 120: the kernel's first compile loads TypeScript, which on a
    // loaded CI machine can itself take 5 s; the override keeps that cell out of the test and exercises the override
    const results = await runNotebooks([join(fixtures, "hang.ipynb"), join(fixtures, "busy.ipynb")], {
      ...base,
      timeoutSeconds: 5,
      jobs: 2,
      onProgress: (e) => e.type === "kernel" && pids.push(e.pid),
    });
    const reports = results.map((r) => failureReport(r.summary, r.notebook));
    assert.match(reports[0], /FAILED .*hang\.ipynb: cell 2 timed out/);
    assert.match(reports[1], /FAILED .*busy\.ipynb: cell 1 timed out/);
    assert.deepEqual(results.map((r) => r.summary.failure), ["timeout", "timeout"]);
    assert.deepEqual(texts(code(results[0].notebook)[0]), ["before the hang\n"]);
    assert.equal(code(results[0].notebook)[2].execution_count, null);
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.deepEqual(processGroup(pid), [], `kernel ${pid} and its children are gone`);
  });

  test("a kernel that calls process.exit mid-cell is reported within two seconds", async () => {
    const { summary, events } = await run("kernel-exit.ipynb");
    assert.equal(summary.failure, "kernel-died");
    // the exit status is the kernel's business (the ipykernel test checks we report it faithfully)
    assert.match(summary.error!.evalue, /^kernel died while executing cell 2 \((exit code \d+|killed by SIG\w+)\)$/);
    const cellStart = events.find((e) => e.type === "cell" && e.cellIndex === 1)!.at;
    const done = events.find((e) => e.type === "done")!.at;
    assert.ok(done - cellStart < 2000, `reported ${done - cellStart} ms after the cell started`);
  });

  test("a second run of an unchanged notebook executes nothing", async () => {
    // keyed on a still project (other work may edit this repository's src/ meanwhile); the kernel is the real one
    const project = join(scratch, "project");
    mkdirSync(join(project, "src"), { recursive: true });
    writeFileSync(join(project, "src", "lib.ts"), "export {};\n");
    const options: RunOptions = { force: false, cacheDir: join(scratch, "cache-hit"), root: project };
    const first = await run("cache.ipynb", options);
    assert.deepEqual([first.summary.ok, first.summary.cached], [true, false]);
    const second = await run("cache.ipynb", options);
    assert.deepEqual([second.summary.cached, second.summary.cellsExecuted], [true, 0]);
    assert.equal(second.events.some((e) => e.type === "kernel"), false);
    assert.deepEqual(texts(code(second.notebook)[0]), ["executed 2\n"]);
  });
});
