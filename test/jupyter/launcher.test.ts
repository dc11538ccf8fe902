// Launching kernels from kernelspecs: a working kernel answers and shuts down cleanly; broken ones fail fast and clearly.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { launchKernel } from "../../src/jupyter/launcher";
import { hasPythonKernel, jupyterPython, processGroup, pythonKernelDirs, root, taggedProcesses } from "../runner/kernels";

const scratch = mkdtempSync(join(tmpdir(), "skipbook-launch-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function spec(name: string, argv: string[]): string[] {
  mkdirSync(join(scratch, "kernels", name), { recursive: true });
  writeFileSync(join(scratch, "kernels", name, "kernel.json"), JSON.stringify({ argv, display_name: name, language: "x" }));
  return [join(scratch, "kernels")];
}

describe("launchKernel", { skip: !hasPythonKernel && "no .venvs/jupyter" }, () => {
  test("starts a kernel that answers kernel_info and the heartbeat, then shuts it down and cleans up", async () => {
    const kernel = await launchKernel("pyk", { kernelDirs: pythonKernelDirs(), cwd: scratch });
    const pid = kernel.process.pid!;
    try {
      assert.equal(kernel.info.language_info?.name, "python");
      assert.equal(await kernel.client.heartbeat(2000), true);
      assert.ok(existsSync(kernel.connectionFile));
      const { reply } = await kernel.client.execute("import os; print(os.getcwd())");
      assert.equal(reply.content.status, "ok");
    } finally {
      await kernel.shutdown();
    }
    assert.equal(kernel.alive(), false);
    assert.deepEqual(processGroup(pid), []);
    assert.equal(existsSync(kernel.connectionFile), false, "the connection file (it holds the key) is removed");
  });

  test("ipykernel's stock spec (argv \"python\") runs the Python of the environment it is installed in", async () => {
    const dirs = [join(root, ".venvs", "jupyter", "share", "jupyter", "kernels")];
    const kernel = await launchKernel("python3", { kernelDirs: dirs });
    try {
      const { reply, iopub } = await kernel.client.execute("import sys; print(sys.prefix)");
      assert.equal(reply.content.status, "ok");
      const printed = iopub.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text).join("");
      assert.equal(printed.trim(), join(root, ".venvs", "jupyter"));
    } finally {
      await kernel.shutdown();
    }
  });

  test("a kernelspec whose program does not exist fails with the program named", async () => {
    const dirs = spec("missing", [join(scratch, "no-such-program"), "{connection_file}"]);
    await assert.rejects(launchKernel("missing", { kernelDirs: dirs }), /kernel "missing": cannot start .*no-such-program: spawn .*ENOENT/);
  });

  test("a kernel that exits during start-up fails at once with its exit code and output", async () => {
    const dirs = spec("quits", [jupyterPython, "-c", "import sys; print('config is broken', file=sys.stderr); sys.exit(5)", "{connection_file}"]);
    const started = Date.now();
    await assert.rejects(launchKernel("quits", { kernelDirs: dirs }), /kernel "quits" exited during start-up \(exit code 5\); its last output:\nconfig is broken/);
    assert.ok(Date.now() - started < 5000);
  });

  test("what a kernel started in its process group dies with it, even when the kernel exits first", async () => {
    const tag = `skipbook-launch-${process.pid}-${Date.now()}`;
    const dirs = spec("wrapper", ["/bin/sh", "-c", "sleep 30 & sleep 0.3; exit 0", "{connection_file}"]);
    await assert.rejects(launchKernel("wrapper", { kernelDirs: dirs, env: { SKIPBOOK_TEST_TAG: tag } }), /exited during start-up \(exit code 0\)/);
    assert.deepEqual(taggedProcesses(tag), [], "the background sleep was killed with the group");
  });

  test("a kernel that finds a port taken (picked free, then taken by another process) is started again on fresh ports", async () => {
    const marker = join(scratch, "port-taken-once");
    const script = `if [ ! -e "${marker}" ]; then touch "${marker}"; echo "cannot bind the iopub channel: Address already in use" >&2; exit 2; fi; exec "${jupyterPython}" -m ipykernel_launcher -f "$0"`;
    const kernel = await launchKernel("port-taken", { kernelDirs: spec("port-taken", ["/bin/sh", "-c", script, "{connection_file}"]) });
    try {
      assert.ok(existsSync(marker), "the first start failed on its port");
      assert.equal(kernel.info.language_info?.name, "python");
    } finally {
      await kernel.shutdown();
    }
    // any other start-up failure is reported at once, not retried
    await assert.rejects(launchKernel("port-taken-always", { kernelDirs: spec("port-taken-always", ["/bin/sh", "-c", "echo broken >&2; exit 2", "{connection_file}"]) }), /exit code 2\); its last output:\nbroken/);
  });

  test("a kernel that never answers is killed after the start-up timeout", async () => {
    const dirs = spec("silent", [jupyterPython, "-c", "import time; time.sleep(60)", "{connection_file}"]);
    await assert.rejects(launchKernel("silent", { kernelDirs: dirs, startTimeoutMs: 1500 }), /did not answer kernel_info within 2 s/);
  });
});
