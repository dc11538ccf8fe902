// Project-local Python virtual environments for the tools we compare against or test with
// (JupyterLab, nbclient, PyTorch). Wheels come from pip's configured index; nothing is committed.
// Usage: `const python = ensurePythonEnv("jupyter", ["jupyterlab", "nbclient"])` → path of the venv's python.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Python environments and what they hold; one place so tests and benches share them. */
export const PYTHON_ENVS = {
  // JupyterLab 4 + Notebook 7 front ends, nbclient (reference client), nbformat (schema), plotly (front-end renderer)
  jupyter: ["jupyterlab>=4,<5", "notebook>=7,<8", "nbclient>=0.10", "nbformat>=5.10", "nbconvert", "plotly", "ipykernel"],
  // the independent reference framework for gradient checks and speed ratios
  torch: ["torch", "numpy"],
};

export function venvDir(name) {
  return join(root, ".venvs", name);
}

/** Creates (once) `.venvs/<name>` with the packages listed for it; returns its python executable. */
export function ensurePythonEnv(name, { systemSitePackages = false, log = (m) => process.stderr.write(`setup: ${m}\n`) } = {}) {
  const packages = PYTHON_ENVS[name];
  if (!packages) throw new Error(`unknown Python environment "${name}"; known: ${Object.keys(PYTHON_ENVS).join(", ")}`);
  const dir = venvDir(name);
  const python = join(dir, "bin", "python");
  const stamp = join(dir, ".skipbook-packages");
  const wanted = JSON.stringify({ packages, systemSitePackages });
  const ready = () => existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8") === wanted;
  if (ready()) return python;
  // Test files run in parallel and may all ask at once: one makes the env, the others wait for it.
  return withLock(`${dir}.lock`, () => {
    if (!ready()) createEnv(name, { dir, python, stamp, wanted, packages, systemSitePackages, log });
    return python;
  });
}

const LOCK_STALE_MS = 15 * 60 * 1000;

/** A cross-process lock from an atomic mkdir; a lock older than any env creation is taken as abandoned. */
function withLock(lockDir, body) {
  mkdirSync(dirname(lockDir), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > LOCK_STALE_MS) rmSync(lockDir, { recursive: true, force: true });
      } catch { /* released meanwhile */ }
      Atomics.wait(sleeper, 0, 0, 250);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function createEnv(name, { dir, python, stamp, wanted, packages, systemSitePackages, log }) {
  log(`creating the Python environment .venvs/${name} (${packages.join(", ")})`);
  const base = process.env.SKIPBOOK_PYTHON ?? "python3";
  const venvArgs = ["-m", "venv", "--clear", ...(systemSitePackages ? ["--system-site-packages"] : []), dir];
  check(spawnSync(base, venvArgs, { encoding: "utf8" }), `${base} -m venv`);
  const pip = spawnSync(python, ["-m", "pip", "install", "-q", "--retries", "0", "--disable-pip-version-check", ...packages],
    { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  check(pip, `pip install ${packages.join(" ")}`);
  writeFileSync(stamp, wanted);
}

function check(result, what) {
  if (result.status !== 0) {
    const detail = (result.stderr || result.error?.message || "").trim().split("\n").slice(-5).join("\n");
    throw new Error(`${what} failed:\n${detail}\n(pip needs its on-disk wheel index or network access)`);
  }
}
