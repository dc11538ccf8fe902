// Project-local Python virtual environments for the tools we compare against or test with
// (JupyterLab, nbclient, PyTorch). Wheels come from pip's configured index; nothing is committed.
// Usage: `const python = ensurePythonEnv("jupyter", ["jupyterlab", "nbclient"])` → path of the venv's python.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8") === wanted) return python;
  log(`creating the Python environment .venvs/${name} (${packages.join(", ")})`);
  const base = process.env.SKIPBOOK_PYTHON ?? "python3";
  const venvArgs = ["-m", "venv", "--clear", ...(systemSitePackages ? ["--system-site-packages"] : []), dir];
  check(spawnSync(base, venvArgs, { encoding: "utf8" }), `${base} -m venv`);
  const pip = spawnSync(python, ["-m", "pip", "install", "-q", "--retries", "0", "--disable-pip-version-check", ...packages],
    { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  check(pip, `pip install ${packages.join(" ")}`);
  writeFileSync(stamp, wanted);
  return python;
}

function check(result, what) {
  if (result.status !== 0) {
    const detail = (result.stderr || result.error?.message || "").trim().split("\n").slice(-5).join("\n");
    throw new Error(`${what} failed:\n${detail}\n(pip needs its on-disk wheel index or network access)`);
  }
}
