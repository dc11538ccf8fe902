// The Jupyter project's own conformance suite (jupyter_kernel_test, Debian python3-jupyter-kernel-test for
// /usr/bin/python3) against the skipbook kernel, through jupyter_client's KernelManager as a front end uses it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ensureKernelspec, root } from "./helpers";

const PYTHON = "/usr/bin/python3";

test("jupyter_kernel_test.KernelTests: every test passes; only the optional pager is skipped", { timeout: 300_000 }, () => {
  const probe = spawnSync(PYTHON, ["-c", "import jupyter_kernel_test"], { encoding: "utf8" });
  assert.equal(probe.status, 0, `jupyter_kernel_test is missing for ${PYTHON}: apt-get install python3-jupyter-kernel-test (${probe.stderr ?? probe.error})`);
  ensureKernelspec();
  const run = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_conformance"], {
    cwd: join(root, "test", "kernel"),
    env: { ...process.env, JUPYTER_PATH: join(root, ".jupyter-kernels"), SKIPBOOK_KERNEL_STARTUP: "lazy", PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
    timeout: 240_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, `unittest failed (status ${run.status}, signal ${run.signal}):\n${output.slice(-6000)}`);
  const ran = Number(/Ran (\d+) tests?/.exec(output)?.[1]);
  const skipped = [...output.matchAll(/^(test_\w+) .*\.\.\. skipped/gm)].map((match) => match[1]);
  const passed = [...output.matchAll(/^(test_\w+) .*\.\.\. (?:.*\n)?ok$/gm)].map((match) => match[1]);
  console.log(`jupyter_kernel_test: ${ran} run, ${passed.length} passed, skipped: ${skipped.join(", ") || "none"}`);
  assert.ok(ran >= 12, `expected the whole suite (12 tests), ran ${ran}`);
  assert.deepEqual(skipped, ["test_pager"]);
  assert.equal(passed.length, ran - skipped.length, output.slice(-6000));
});
