// Cross-check with the reference client: nbclient (what `jupyter execute` runs) and our runner execute the same fixture
// on the same kernel; the executed notebooks must hold the same outputs and execution counts (timing metadata aside).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { runNotebook, type Notebook } from "../../src/runner";
import { fixtures, hasPythonKernel, hasSkipbookKernel, jupyterPython, processGroup, pythonKernelDirs, root } from "./kernels";
import { findKernelspec, kernelDirs as defaultKernelDirs } from "../../src/jupyter/kernelspec";

// the fixtures import no TensorFlow: skip the skipbook kernel's ahead-of-time warm-up (seconds per start)
process.env.SKIPBOOK_KERNEL_STARTUP ??= "lazy";
const scratch = mkdtempSync(join(tmpdir(), "skipbook-nbclient-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Executes `path` with nbclient (streams coalesced, as front ends show them) and returns the executed notebook. */
function nbclientRun(path: string, kernelName: string, jupyterPath: string): Notebook {
  const script = `import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name=sys.argv[2], timeout=120, coalesce_streams=True, resources={"metadata": {"path": sys.argv[3]}}).execute()
nbformat.write(nb, sys.argv[4])`;
  const out = join(scratch, `nbclient-${kernelName}.ipynb`);
  const result = spawnSync(jupyterPython, ["-c", script, path, kernelName, dirname(path), out], {
    encoding: "utf8",
    env: { ...process.env, JUPYTER_PATH: jupyterPath },
    timeout: 180_000,
  });
  assert.equal(result.status, 0, `nbclient failed:\n${result.stderr}`);
  return JSON.parse(readFileSync(out, "utf8"));
}

/** What must agree: per code cell, its execution count and outputs (joined multiline strings, no timing). */
function comparable(nb: Notebook) {
  return nb.cells.map((cell) => {
    if (cell.cell_type !== "code") return { type: cell.cell_type };
    return {
      count: cell.execution_count,
      outputs: cell.outputs.map((o) => JSON.parse(JSON.stringify(o), (_, v) => (Array.isArray(v) && v.every((s) => typeof s === "string") && _ !== "traceback" ? v.join("") : v))),
    };
  });
}

test("ipykernel: our runner and nbclient store the same outputs", { skip: !hasPythonKernel && "no .venvs/jupyter" }, async () => {
  const dirs = pythonKernelDirs();
  const path = join(fixtures, "py-outputs.ipynb");
  const reference = nbclientRun(path, "pyk", dirname(dirs[0]));
  let pid = -1;
  const ours = await runNotebook(path, { kernelName: "pyk", kernelDirs: dirs, cacheDir: join(scratch, "cache"), force: true, onProgress: (e) => e.type === "kernel" && (pid = e.pid) });
  assert.deepEqual(processGroup(pid), []);
  const expected = comparable(reference);
  assert.equal(expected.filter((c) => "outputs" in c && c.outputs!.length > 0).length, 9, "every code cell of the fixture has output");
  assert.deepEqual(comparable(ours.notebook), expected);
});

test("skipbook kernel: our runner and nbclient store the same outputs", { skip: !hasSkipbookKernel && "the skipbook kernelspec is not installed in .jupyter-kernels" }, async () => {
  const path = join(fixtures, "outputs.ipynb");
  const spec = findKernelspec("skipbook", defaultKernelDirs(root));
  const reference = nbclientRun(path, "skipbook", dirname(dirname(spec.dir)));
  const ours = await runNotebook(path, { kernelDirs: defaultKernelDirs(root), cacheDir: join(scratch, "cache"), force: true });
  assert.equal(ours.summary.ok, true, ours.summary.message ?? ours.summary.error?.evalue);
  assert.deepEqual(comparable(ours.notebook), comparable(reference));
});
