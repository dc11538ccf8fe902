// The runner against a real kernel it did not write (ipykernel): outputs, failures, timeouts, a dying kernel, the cache
// and the CLI. The same behaviours on the project's own kernel are in run-skipbook.test.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { runNotebook, runNotebooks, validateNotebook, type CodeCell, type Notebook, type ProgressEvent, type RunOptions } from "../../src/runner";
import { fixtures, hasPythonKernel, processGroup, pythonKernelDirs, root, taggedProcesses } from "./kernels";

const scratch = mkdtempSync(join(tmpdir(), "skipbook-run-py-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const kernelDirs = hasPythonKernel ? pythonKernelDirs() : [];
const base: RunOptions = { kernelName: "pyk", kernelDirs, cacheDir: join(scratch, "cache"), force: true };

/** Runs with progress recorded; asserts afterwards that no process of the kernel's group is left. */
async function run(path: string, options: RunOptions = {}) {
  const events: Array<ProgressEvent & { at: number }> = [];
  const result = await runNotebook(path, { ...base, ...options, onProgress: (e) => events.push({ ...e, at: Date.now() }) });
  for (const event of events) {
    if (event.type === "kernel") assert.deepEqual(processGroup(event.pid), [], `kernel ${event.pid} and its children are gone`);
  }
  return { ...result, events };
}

const code = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
const texts = (cell: CodeCell): string[] => cell.outputs.map((o) => (o.output_type === "stream" ? String(o.text) : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : (o.data["text/plain"] as string)));

function copyFixture(name: string, dir = scratch): string {
  const target = join(dir, `${Date.now()}-${Math.random().toString(36).slice(2)}`, name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(fixtures, name), target);
  return target;
}

/** Runs bin/skipbook.js as a user would; resolves with exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), ...args], {
      env: { ...process.env, JUPYTER_PATH: dirname(kernelDirs[0] ?? "") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => resolveRun({ code, stdout, stderr }));
  });
}

// in CI the reference environment must be there: its absence fails instead of skipping
test("the Python reference environment (.venvs/jupyter) is available", { skip: !process.env.CI && !hasPythonKernel && "not in CI" }, () => {
  assert.ok(hasPythonKernel, "scripts/python-env.mjs could not create .venvs/jupyter");
});

describe("runner on ipykernel", { skip: !hasPythonKernel && "no .venvs/jupyter (run node scripts/setup.mjs)" }, () => {
  test("stores every kind of output as Jupyter does, with execution counts and timing metadata", async () => {
    const { notebook, summary } = await run(join(fixtures, "py-outputs.ipynb"));
    assert.equal(summary.ok, true);
    assert.equal(summary.cellsExecuted, 9);
    const cells = code(notebook);
    assert.deepEqual(cells.map((c) => c.execution_count), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(cells[0].outputs, [
      { output_type: "stream", name: "stdout", text: "one\ntwo\n" },
      { output_type: "stream", name: "stderr", text: "warning\n" },
    ]);
    assert.deepEqual(texts(cells[1]), ["progress 100%\ndone\n"], "\\r progress collapsed, streams merged");
    assert.deepEqual(cells[2].outputs.map((o) => o.output_type === "display_data" && Object.keys(o.data).sort()), [["text/html", "text/plain"], ["text/markdown", "text/plain"]]);
    assert.deepEqual(texts(cells[3]), ["'updated from a later cell'"], "update_display_data from cell 6 reached cell 5's output");
    assert.deepEqual(texts(cells[5]), ["'after clear'"]);
    assert.deepEqual(texts(cells[6]), ["'after clear(wait)'"]);
    assert.deepEqual(texts(cells[7]), ["'kept: no output follows the clear'"]);
    assert.deepEqual(cells[8].outputs, [{ output_type: "execute_result", execution_count: 9, data: { "text/plain": "42" }, metadata: {} }]);
    for (const cell of cells) {
      assert.deepEqual(Object.keys(cell.metadata.execution ?? {}).sort(), ["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply", "shell.execute_reply.started"]);
    }
    assert.equal(notebook.metadata.language_info?.name, "python");
    assert.deepEqual(validateNotebook(notebook), []);
    const written = JSON.parse(readFileSync(summary.executedPath!, "utf8"));
    assert.deepEqual(validateNotebook(written), [], "the executed file validates against the nbformat 4.5 schema");
  });

  test("raises-exception cells may fail, skip-execution cells do not run, metadata.timeout interrupts one cell", async () => {
    const started = Date.now();
    const { notebook, summary } = await run(join(fixtures, "py-misc.ipynb"), { timeoutSeconds: 600 });
    const cells = code(notebook);
    assert.match(texts(cells[0])[0], /^TypeError: expected failure/);
    assert.equal(cells[1].execution_count, null);
    assert.deepEqual(cells[1].outputs, []);
    assert.deepEqual(texts(cells[2]), ["after the tagged cells\n"]);
    assert.equal(summary.ok, false);
    assert.equal(summary.failure, "timeout");
    assert.equal(summary.error?.cellIndex, 3);
    assert.match(summary.error!.evalue, /cell 4 did not finish within 1 s/);
    assert.equal(cells[4].execution_count, null, "the notebook stops at the timed-out cell");
    assert.ok(Date.now() - started < 15_000);
  });

  test("a cell deaf to interrupts is killed after the grace period; nothing is left running", async () => {
    const started = Date.now();
    const { notebook, summary } = await run(join(fixtures, "py-deaf.ipynb"), { timeoutSeconds: 2, interruptGraceSeconds: 1 });
    assert.equal(summary.failure, "timeout");
    assert.match(summary.error!.evalue, /did not respond to the interrupt and was killed/);
    assert.match(texts(code(notebook)[1]).join(""), /CellTimeoutError/, "the notebook shows why the cell stopped");
    assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`);
  });

  test("a kernel that exits mid-cell is reported within two seconds", async () => {
    const { summary, events } = await run(join(fixtures, "py-kernel-exit.ipynb"));
    assert.equal(summary.failure, "kernel-died");
    assert.equal(summary.error?.cellIndex, 1);
    assert.match(summary.error!.evalue, /kernel died while executing cell 2 \(exit code 3\)/);
    const cellStart = events.find((e) => e.type === "cell" && e.cellIndex === 1)!.at;
    const done = events.find((e) => e.type === "done")!.at;
    assert.ok(done - cellStart < 2000, `reported ${done - cellStart} ms after the cell started`);
  });

  test("outputs that break the nbformat schema fail the run, which is still written", async () => {
    const path = join(scratch, "bad-output.ipynb");
    const nb = JSON.parse(readFileSync(join(fixtures, "py-cache.ipynb"), "utf8"));
    nb.cells[1].source = ["from IPython.display import publish_display_data\n", "publish_display_data({'text/plain': 5})"];
    writeFileSync(path, JSON.stringify(nb));
    const { summary } = await run(path);
    assert.equal(summary.ok, false);
    assert.equal(summary.failure, "invalid");
    assert.match(summary.message!, /do not form valid nbformat 4\.5:\n\/cells\/1\/outputs\/0\/data\/text~1plain/);
    assert.ok(readFileSync(summary.executedPath!, "utf8").includes('"text/plain": 5'));
  });

  test("the cache reuses a successful run until a code cell, src/ or the lockfile changes", async () => {
    const project = join(scratch, "project");
    mkdirSync(join(project, "src"), { recursive: true });
    mkdirSync(join(project, "notebooks"), { recursive: true });
    writeFileSync(join(project, "src", "lib.ts"), "export const x = 1;\n");
    writeFileSync(join(project, "package-lock.json"), "{}\n");
    const path = join(project, "notebooks", "py-cache.ipynb");
    copyFileSync(join(fixtures, "py-cache.ipynb"), path);
    const options: RunOptions = { root: project, cacheDir: join(project, ".cache", "executed"), force: false };
    const first = await run(path, options);
    assert.deepEqual([first.summary.cached, first.summary.cellsExecuted], [false, 1]);
    assert.equal(first.summary.executedPath, join(project, ".cache", "executed", "notebooks", "py-cache.ipynb"));

    const second = await run(path, options);
    assert.deepEqual([second.summary.cached, second.summary.cellsExecuted], [true, 0]);
    assert.equal(second.events.some((e) => e.type === "kernel"), false, "no kernel started for a cache hit");
    assert.deepEqual(texts(code(second.notebook)[0]), ["executed 2\n"]);

    // prose edits are picked up without running anything
    const edited = JSON.parse(readFileSync(path, "utf8"));
    edited.cells[0].source = ["New prose."];
    writeFileSync(path, JSON.stringify(edited));
    const prose = await run(path, options);
    assert.equal(prose.summary.cached, true);
    assert.deepEqual(prose.notebook.cells[0].source, ["New prose."]);
    assert.deepEqual(JSON.parse(readFileSync(prose.summary.executedPath!, "utf8")).cells[0].source, ["New prose."]);

    edited.cells[1].source = ['print("executed", 2 + 2)'];
    writeFileSync(path, JSON.stringify(edited));
    const changedCode = await run(path, options);
    assert.equal(changedCode.summary.cached, false);
    assert.deepEqual(texts(code(changedCode.notebook)[0]), ["executed 4\n"]);

    writeFileSync(join(project, "src", "lib.ts"), "export const x = 2;\n");
    assert.equal((await run(path, options)).summary.cached, false, "a changed library file invalidates");
    writeFileSync(join(project, "package-lock.json"), '{"v":2}\n');
    assert.equal((await run(path, options)).summary.cached, false, "a changed lockfile invalidates");
    assert.equal((await run(path, options)).summary.cached, true);
    assert.equal((await run(path, { ...options, force: true })).summary.cached, false, "--force re-runs");

    // a failed run is never reused
    edited.cells[1].source = ['raise RuntimeError("now failing")'];
    writeFileSync(path, JSON.stringify(edited));
    assert.equal((await run(path, options)).summary.ok, false);
    const again = await run(path, options);
    assert.deepEqual([again.summary.cached, again.summary.ok], [false, false]);
  });

  test("runNotebooks runs notebooks side by side and returns them in the order given", async () => {
    const paths = [join(fixtures, "py-cache.ipynb"), join(fixtures, "py-error-cell3.ipynb"), join(fixtures, "invalid-json.ipynb")];
    const results = await runNotebooks(paths, { ...base, jobs: 2 });
    assert.deepEqual(results.map((r) => r.path), paths);
    assert.deepEqual(results.map((r) => r.summary.ok), [true, false, false]);
    assert.equal(results[1].summary.error?.cellIndex, 2);
    assert.equal(results[2].summary.failure, "invalid");
    assert.equal(results[2].executedPath, "");
  });

  describe("npx skipbook run", () => {
    test("an error in cell 3: exit 1, the report names the cell, its source and the error; the notebook is written", async () => {
      const out = join(scratch, "out-error");
      const { code: exit, stderr } = await cli(["run", join(fixtures, "py-error-cell3.ipynb"), "--kernel", "pyk", "--out", out, "--cache-dir", join(scratch, "cli-cache")]);
      assert.equal(exit, 1, stderr);
      assert.match(stderr, /FAILED test\/fixtures\/py-error-cell3\.ipynb: cell 3 raised ValueError/);
      assert.match(stderr, /│ raise ValueError\("boom in cell 3"\)/);
      assert.match(stderr, /ValueError: boom in cell 3/);
      assert.doesNotMatch(stderr, /\x1b\[/, "no colour codes when stderr is not a terminal");
      const written = JSON.parse(readFileSync(join(out, "py-error-cell3.ipynb"), "utf8")) as Notebook;
      const cells = code(written);
      assert.equal(cells[2].outputs[0].output_type, "error");
      assert.equal(cells[3].execution_count, null);
      assert.deepEqual(validateNotebook(written), []);
    });

    test("--inplace refuses invalid JSON before running and leaves the file byte for byte", async () => {
      const path = copyFixture("invalid-json.ipynb");
      const before = readFileSync(path);
      const { code: exit, stderr } = await cli(["run", path, "--inplace", "--kernel", "pyk", "--cache-dir", join(scratch, "cli-cache")]);
      assert.equal(exit, 1);
      assert.match(stderr, /invalid-json\.ipynb: not valid JSON/);
      assert.deepEqual(readFileSync(path), before);
    });

    test("Ctrl-C during an --inplace run stops the kernel and leaves the notebook untouched", async () => {
      const path = copyFixture("py-deaf.ipynb");
      const before = readFileSync(path);
      const tag = `skipbook-test-${process.pid}-${Date.now()}`;
      const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), "run", path, "--inplace", "--kernel", "pyk", "--cache-dir", join(scratch, "cli-cache-3")], {
        env: { ...process.env, JUPYTER_PATH: dirname(kernelDirs[0]), SKIPBOOK_TEST_TAG: tag },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (c) => (stderr += c));
      // wait until the kernel runs (it carries our tag in its environment), then interrupt the runner
      const deadline = Date.now() + 20_000;
      while (taggedProcesses(tag).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(taggedProcesses(tag).length >= 2, "runner and kernel started");
      await new Promise((r) => setTimeout(r, 1500));
      const exit = new Promise<number | null>((r) => child.on("close", r));
      child.kill("SIGINT");
      assert.equal(await exit, 130, stderr);
      assert.deepEqual(readFileSync(path), before);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(taggedProcesses(tag), [], "no kernel outlives the runner");
    });

    test("a library caller killed by SIGTERM takes its kernels with it", async () => {
      const tag = `skipbook-test-lib-${process.pid}-${Date.now()}`;
      const script = `require(${JSON.stringify(join(root, "src", "runner", "index.ts"))}).runNotebook(${JSON.stringify(join(fixtures, "py-deaf.ipynb"))}, ` +
        `{ kernelName: "pyk", kernelDirs: ${JSON.stringify(kernelDirs)}, cacheDir: ${JSON.stringify(join(scratch, "lib-cache"))}, force: true })`;
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { env: { ...process.env, SKIPBOOK_TEST_TAG: tag }, stdio: "ignore" });
      const deadline = Date.now() + 20_000;
      while (taggedProcesses(tag).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(taggedProcesses(tag).length >= 2, "caller and kernel started");
      const exit = new Promise<NodeJS.Signals | null>((r) => child.on("close", (_code, signal) => r(signal)));
      child.kill("SIGTERM");
      assert.equal(await exit, "SIGTERM", "the caller still dies of the signal");
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(taggedProcesses(tag), [], "no kernel outlives its caller");
    });

    test("--inplace writes the executed notebook over its source", async () => {
      const path = copyFixture("py-cache.ipynb");
      const { code: exit, stderr } = await cli(["run", path, "--inplace", "--kernel", "pyk", "--cache-dir", join(scratch, "cli-cache-2")]);
      assert.equal(exit, 0, stderr);
      assert.match(stderr, /^ok +.*py-cache\.ipynb \(\d+\.\d s 1 cells\)$/m);
      const nb = JSON.parse(readFileSync(path, "utf8")) as Notebook;
      assert.deepEqual(texts(code(nb)[0]), ["executed 2\n"]);
    });

    test("an unknown kernel is refused with the installed ones listed", async () => {
      const { code: exit, stderr } = await cli(["run", join(fixtures, "unknown-kernel.ipynb"), "--cache-dir", join(scratch, "cli-cache")]);
      assert.equal(exit, 1);
      assert.match(stderr, /Unknown kernel "no-such-kernel"; installed kernels: .*pyk/);
    });

    test("usage errors exit 2 and say what is wrong", async () => {
      const { code: exit, stderr } = await cli(["run", "--timeout", "soon"]);
      assert.equal(exit, 2);
      assert.match(stderr, /--timeout must be a positive number, got "soon"/);
    });
  });
});
