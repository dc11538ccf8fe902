// A real front end: JupyterLab 4 (the project's Python env, with plotly's renderer extension) on 127.0.0.1 with a
// token, a notebook on the skipbook kernel opened in headless Debian Chromium; a Plotly figure is drawn and an
// error is shown. Screenshot: test-artifacts/kernel/jupyterlab.png (not committed).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { freeLoopbackPorts } from "../../src/jupyter/connection";
import { delay, ensureKernelspec, root } from "./helpers";

const cell = (source: string) => ({ cell_type: "code", execution_count: null, id: Math.random().toString(36).slice(2, 10), metadata: {}, outputs: [], source });

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: "skipbook", display_name: "TypeScript (skipbook)", language: "typescript" },
    language_info: { name: "typescript", file_extension: ".ts" },
  },
  cells: [
    cell(
      'import { display } from "skipbook";\n' +
        'display.bundle({ "application/vnd.plotly.v1+json": { data: [{ x: [1, 2, 3], y: [2, 1, 3], type: "scatter" }], layout: { title: { text: "skip" } } }, "text/plain": "a Plotly figure" });',
    ),
    cell('throw new Error("planned failure in the browser");'),
  ],
};

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

test("JupyterLab in headless Chromium draws a Plotly figure from the kernel and shows a cell's error", { timeout: 300_000 }, async () => {
  const { ensurePythonEnv, venvDir } = (await import(join(root, "scripts", "python-env.mjs"))) as { ensurePythonEnv: (name: string) => string; venvDir: (name: string) => string };
  ensurePythonEnv("jupyter");
  ensureKernelspec();
  const dir = mkdtempSync(join(tmpdir(), "skipbook-lab-"));
  const work = join(dir, "root");
  mkdirSync(work);
  writeFileSync(join(work, "plot.ipynb"), JSON.stringify(NOTEBOOK, null, 1));
  const [port] = await freeLoopbackPorts(1);
  const token = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const base = `http://127.0.0.1:${port}`;
  const args = ["lab", "--no-browser", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${work}`, `--LabApp.workspaces_dir=${join(dir, "workspaces")}`];
  if (process.getuid?.() === 0) args.push("--allow-root");
  let log = "";
  const lab = spawn(join(venvDir("jupyter"), "bin", "jupyter"), args, {
    cwd: work,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, JUPYTER_PATH: join(root, ".jupyter-kernels"), JUPYTER_CONFIG_DIR: join(dir, "config"), JUPYTER_RUNTIME_DIR: join(dir, "runtime"), SKIPBOOK_KERNEL_STARTUP: "lazy" },
  });
  lab.stdout!.on("data", (chunk) => (log += chunk));
  lab.stderr!.on("data", (chunk) => (log += chunk));
  const labExited = new Promise((done) => lab.once("exit", done));
  let browser: Browser | undefined;
  let page: Page | undefined;
  try {
    for (let waited = 0; ; waited += 250) {
      assert.ok(waited < 90_000 && lab.exitCode === null, `JupyterLab did not come up:\n${log.slice(-3000)}`);
      const ok = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } }).then((r) => r.ok, () => false);
      if (ok) break;
      await delay(250);
    }
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/lab/tree/plot.ipynb?token=${token}`);
    // the kernel has started when the status bar says "TypeScript (skipbook) | Idle"
    await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".jp-StatusBar-TextItem")).some((item) => /skipbook\)?\s*\|\s*Idle/.test(item.textContent ?? "")), undefined, { timeout: 90_000 });
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
    const trace = page.locator(".jp-OutputArea .js-plotly-plot .main-svg .scatterlayer .trace");
    await trace.first().waitFor({ timeout: 90_000 });
    const error = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
    await error.first().waitFor({ timeout: 60_000 });
    assert.match(await error.first().innerText(), /planned failure in the browser/);
    assert.ok((await trace.count()) >= 1);
  } finally {
    // kept on failure too: what the reader would have seen
    mkdirSync(join(root, "test-artifacts", "kernel"), { recursive: true });
    await page?.screenshot({ path: join(root, "test-artifacts", "kernel", "jupyterlab.png"), fullPage: true }).catch(() => undefined);
    await browser?.close().catch(() => undefined);
    // the server shuts its kernels down; the kernel's parent watch is the fallback if it is killed
    await fetch(`${base}/api/shutdown`, { method: "POST", headers: { Authorization: `token ${token}` } }).catch(() => undefined);
    if ((await Promise.race([labExited.then(() => true), delay(10_000).then(() => false)])) === false) {
      killGroup(lab, "SIGKILL");
      await labExited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
