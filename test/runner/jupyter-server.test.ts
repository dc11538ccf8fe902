// The runner as a client of a real `jupyter server` (REST + WebSocket): the same outputs as a local run, timeouts
// interrupted over REST, dead kernels, the cache keyed on the server's kernelspec, the CLI, and a clear error when the
// token is wrong, the kernel unknown, the server unreachable or gone, or the WebSocket cut.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { projectKernelsDir } from "../../src/jupyter/kernelspec";
import { runNotebook, runNotebooks, serializeNotebook, type CodeCell, type Notebook, type RunOptions } from "../../src/runner";
import { fixtures, hasPythonKernel, hasSkipbookKernel, pythonKernelDirs, root, taggedProcesses } from "./kernels";
import { startJupyterServer, type RunningJupyterServer } from "./jupyter-server-process";

process.env.SKIPBOOK_KERNEL_STARTUP ??= "lazy";
const scratch = mkdtempSync(join(tmpdir(), "skipbook-remote-"));
const tag = `remote-${process.pid}`;
const localDirs = hasPythonKernel ? pythonKernelDirs() : [];
const jupyterPath = [dirname(localDirs[0] ?? scratch), projectKernelsDir(root)];

/** The notebook as a comparison sees it: timing metadata and the run's identity (it names the kernel) left out. */
function comparable(notebook: Notebook): unknown {
  const copy = JSON.parse(serializeNotebook(notebook)) as Notebook;
  for (const cell of copy.cells) delete cell.metadata.execution;
  delete copy.metadata.skipbook;
  return copy;
}

const code = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
const texts = (cell: CodeCell): string[] => cell.outputs.map((o) => (o.output_type === "stream" ? String(o.text) : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.data["text/plain"])));

async function kernelsOn(server: RunningJupyterServer): Promise<unknown[]> {
  return (await fetch(new URL("api/kernels", server.url), { headers: { Authorization: `token ${server.token}` } })).json() as Promise<unknown[]>;
}

/** A notebook for pyk whose cells are `sources`. */
function pyNotebook(name: string, sources: string[]): string {
  const path = join(scratch, name);
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "pyk", display_name: "Python (test)", language: "python" } },
    cells: sources.map((source, i): CodeCell => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
  };
  writeFileSync(path, serializeNotebook(nb));
  return path;
}

/** A TCP proxy in front of `target` whose open connections can be cut while new ones still pass. */
async function cuttableProxy(target: URL): Promise<{ url: string; cut(): void; close(): void }> {
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
  const port = (proxy.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    cut: () => sockets.forEach((s) => s.destroy()),
    close: () => proxy.close(),
  };
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (exit) => resolveRun({ code: exit, stderr }));
  });
}

describe("runner on a Jupyter server", { skip: !hasPythonKernel && "no .venvs/jupyter (run node scripts/setup.mjs)" }, () => {
  let server: RunningJupyterServer;
  let remote: RunOptions;
  const local: RunOptions = { kernelName: "pyk", kernelDirs: localDirs, cacheDir: join(scratch, "local-cache"), force: true };

  before(async () => {
    server = await startJupyterServer(root, { jupyterPath, env: { SKIPBOOK_TEST_TAG: tag, SKIPBOOK_KERNEL_STARTUP: "lazy" } });
    remote = { kernelName: "pyk", server: { url: server.url, token: server.token }, cacheDir: join(scratch, "remote-cache"), force: true };
  });
  after(async () => {
    await server?.stop();
    for (const pid of taggedProcesses(tag)) process.kill(pid, "SIGKILL");
    rmSync(scratch, { recursive: true, force: true });
  });

  test("Python fixtures give the notebook a local run gives, timing aside", async () => {
    for (const name of ["py-outputs.ipynb", "py-error-cell3.ipynb"]) {
      const here = await runNotebook(join(fixtures, name), local);
      const there = await runNotebook(join(fixtures, name), remote);
      assert.deepEqual([there.summary.ok, there.summary.failure], [here.summary.ok, here.summary.failure], name);
      assert.deepEqual(comparable(there.notebook), comparable(here.notebook), name);
      assert.deepEqual(Object.keys(code(there.notebook)[0].metadata.execution ?? {}).sort(), ["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply", "shell.execute_reply.started"]);
    }
    assert.deepEqual(await kernelsOn(server), [], "every kernel was shut down");
  });

  test("TypeScript fixtures on the skipbook kernel give the notebook a local run gives", { skip: !hasSkipbookKernel && "the skipbook kernelspec is not installed" }, async () => {
    for (const name of ["outputs.ipynb", "tags.ipynb"]) {
      const here = await runNotebook(join(fixtures, name), { cacheDir: join(scratch, "local-cache"), force: true });
      const there = await runNotebook(join(fixtures, name), { server: remote.server, cacheDir: join(scratch, "remote-cache"), force: true });
      assert.equal(there.summary.ok, true, there.summary.error?.evalue ?? there.summary.message);
      assert.deepEqual(comparable(there.notebook), comparable(here.notebook), name);
    }
  });

  test("a chapter of the book runs on the server's skipbook kernel", { skip: !hasSkipbookKernel && "the skipbook kernelspec is not installed" }, async () => {
    // chapter 1 with one seed: its cells load skiplib and the native backend, train nothing, and take seconds
    const chapter = join(root, "notebooks", "01-vanishing-gradients.ipynb");
    const { notebook, summary } = await runNotebook(chapter, { server: remote.server, cacheDir: join(scratch, "remote-cache"), force: true, parameters: { seeds: [1] } });
    assert.equal(summary.ok, true, summary.error ? `${summary.error.ename}: ${summary.error.evalue}` : summary.message);
    assert.equal(notebook.metadata.language_info?.name, "typescript");
    assert.ok(code(notebook).some((c) => c.outputs.length > 0), "the chapter's outputs came back over the WebSocket");
    assert.deepEqual(await kernelsOn(server), []);
  });

  test("tags and timeouts: the slow cell is interrupted over REST, a kernel deaf to it is shut down", async () => {
    const misc = await runNotebook(join(fixtures, "py-misc.ipynb"), remote);
    assert.equal(misc.summary.failure, "timeout");
    assert.equal(misc.summary.error?.cellIndex, 3);
    assert.match(misc.summary.error!.evalue, /cell 4 did not finish within 1 s and was interrupted/);
    assert.match(texts(code(misc.notebook)[3]).join("\n"), /KeyboardInterrupt/, "the kernel got the interrupt");
    assert.deepEqual(texts(code(misc.notebook)[2]), ["after the tagged cells\n"]);
    const deaf = await runNotebook(join(fixtures, "py-deaf.ipynb"), { ...remote, timeoutSeconds: 2, interruptGraceSeconds: 1 });
    assert.match(deaf.summary.error!.evalue, /did not finish within 2 s; the kernel did not respond to the interrupt and was killed/);
    assert.deepEqual(await kernelsOn(server), []);
  });

  test("a kernel that dies mid-cell is reported, and the server's restarted one is shut down too", async () => {
    const { summary, notebook } = await runNotebook(join(fixtures, "py-kernel-exit.ipynb"), remote);
    assert.equal(summary.failure, "kernel-died");
    assert.match(summary.error!.evalue, /^kernel died while executing cell 2 \(the Jupyter server at http:\/\/127\.0\.0\.1:\d+\/ reports it dead/);
    assert.deepEqual(texts(code(notebook)[0]), ["alive\n"]);
    assert.deepEqual(await kernelsOn(server), []);
  });

  test("clear errors, nothing started: wrong token, no token, unknown kernel, server unreachable", async () => {
    const nb = join(fixtures, "py-outputs.ipynb");
    await assert.rejects(runNotebook(nb, { ...remote, server: { url: server.url, token: "wrong" } }), /the Jupyter server at http:\/\/127\.0\.0\.1:\d+\/ refused the token \(GET \/api\/kernelspecs: HTTP 403\); pass the server's token with --token or SKIPBOOK_TOKEN/);
    await assert.rejects(runNotebook(nb, { ...remote, server: { url: server.url } }), /refused a request without a token .*HTTP 403/);
    await assert.rejects(runNotebook(nb, { ...remote, kernelName: "nope" }), /Unknown kernel "nope" on the Jupyter server at http:\/\/127\.0\.0\.1:\d+\/; it offers: .*pyk/);
    const closed = await cuttableProxy(new URL(server.url));
    closed.close(); // a port nobody listens on any more
    await new Promise((r) => setTimeout(r, 50));
    const [result] = await runNotebooks([nb], { ...remote, server: { url: closed.url, token: server.token } });
    assert.equal(result.summary.failure, "kernel-start");
    assert.match(result.summary.message!, /cannot reach the Jupyter server at http:\/\/127\.0\.0\.1:\d+\/ \(GET \/api\/kernelspecs: ECONNREFUSED\); is it running, and is --server \(or SKIPBOOK_SERVER\) its URL\?/);
    assert.deepEqual(await kernelsOn(server), []);
  });

  test("a cut WebSocket and a server that dies mid-run are reported by cell, with the outputs so far written", async () => {
    const sleeper = pyNotebook("sleeper.ipynb", ['print("before", flush=True)', "import time\ntime.sleep(60)", 'print("must not run")']);
    const proxy = await cuttableProxy(new URL(server.url));
    try {
      const cut = await runNotebook(sleeper, {
        ...remote,
        server: { url: proxy.url, token: server.token },
        onProgress: (e) => e.type === "cell" && e.cellIndex === 1 && !e.finished && setTimeout(() => proxy.cut(), 500),
      });
      assert.equal(cut.summary.failure, "kernel-died");
      assert.match(cut.summary.error!.evalue, /^lost the connection to the Jupyter server while executing cell 2 \(http:\/\/127\.0\.0\.1:\d+\/ closed the kernel's WebSocket, code 1006\)$/);
      const written = JSON.parse(readFileSync(cut.summary.executedPath!, "utf8")) as Notebook;
      assert.deepEqual(texts(code(written)[0]), ["before\n"]);
    } finally {
      proxy.close();
    }
    // the kernel the cut run left behind is still the server's to shut down: the runner could not reach it
    for (const kernel of (await kernelsOn(server)) as Array<{ id: string }>) {
      await fetch(new URL(`api/kernels/${kernel.id}`, server.url), { method: "DELETE", headers: { Authorization: `token ${server.token}` } });
    }

    const doomed = await startJupyterServer(root, { jupyterPath, env: { SKIPBOOK_TEST_TAG: tag } });
    try {
      const died = await runNotebook(sleeper, {
        ...remote,
        server: { url: doomed.url, token: doomed.token },
        onProgress: (e) => e.type === "cell" && e.cellIndex === 1 && !e.finished && setTimeout(() => doomed.process.kill("SIGKILL"), 500),
      });
      assert.equal(died.summary.failure, "kernel-died");
      assert.match(died.summary.error!.evalue, /^lost the connection to the Jupyter server while executing cell 2 \(/);
      assert.deepEqual(texts(code(died.notebook)[0]), ["before\n"]);
    } finally {
      await doomed.stop();
    }
  });

  test("the cache is keyed on the server's kernelspec: a local run is not served remotely, a remote one is", async () => {
    const cacheDir = join(scratch, "shared-cache");
    const nb = join(fixtures, "py-cache.ipynb");
    const first = await runNotebook(nb, { ...local, cacheDir, force: false });
    assert.equal(first.summary.cached, false);
    const there = await runNotebook(nb, { ...remote, cacheDir, force: false });
    assert.deepEqual([there.summary.ok, there.summary.cached], [true, false], "the server's kernel is another kernel");
    const again = await runNotebook(nb, { ...remote, cacheDir, force: false });
    assert.deepEqual([again.summary.cached, again.summary.cellsExecuted], [true, 0]);
  });

  test("CLI: SKIPBOOK_SERVER and SKIPBOOK_TOKEN, or --server and --token; a wrong token exits 1 saying so", async () => {
    const out = join(scratch, "cli-out");
    mkdirSync(out, { recursive: true });
    const ok = await cli(["run", join(fixtures, "py-outputs.ipynb"), "--kernel", "pyk", "--out", out, "--cache-dir", join(scratch, "cli-cache")], { SKIPBOOK_SERVER: server.url, SKIPBOOK_TOKEN: server.token });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(code(JSON.parse(readFileSync(join(out, "py-outputs.ipynb"), "utf8")))[8].execution_count, 9);
    const bad = await cli(["run", join(fixtures, "py-outputs.ipynb"), "--kernel", "pyk", "--server", server.url, "--token", "wrong", "--cache-dir", join(scratch, "cli-cache")], {});
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /refused the token .*HTTP 403/);
  });
});
