/**
 * Kernelspec discovery, the way Jupyter finds kernels (jupyter_client's KernelSpecManager):
 * `<dir>/kernels/<name>/kernel.json` in every data dir of `jupyterPath()`, first hit wins,
 * with the project-local `<root>/.jupyter-kernels` searched before all of them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";

export interface KernelspecFile {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: "signal" | "message";
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

export interface Kernelspec {
  name: string;
  /** the directory holding kernel.json (Jupyter's `resource_dir`) */
  dir: string;
  spec: KernelspecFile;
}

/** The repository root (this file lives in src/jupyter/). */
export const projectRoot = resolve(__dirname, "..", "..");

/** The project-local kernels dir, git-ignored; `scripts/kernelspec.mjs` installs `skipbook` there. */
export function projectKernelsDir(root = projectRoot): string {
  return join(root, ".jupyter-kernels");
}

/** Jupyter's user data dir: `$JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter` (Linux). */
export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return resolve(process.env.JUPYTER_DATA_DIR);
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32" && process.env.APPDATA) return join(process.env.APPDATA, "jupyter");
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg ? resolve(xdg) : join(homedir(), ".local", "share"), "jupyter");
}

/** The data dirs Jupyter searches, in Jupyter's order: JUPYTER_PATH, user dir, env prefix, system dirs. */
export function jupyterPath(root = projectRoot): string[] {
  const dirs: string[] = [];
  for (const entry of (process.env.JUPYTER_PATH ?? "").split(delimiter)) if (entry) dirs.push(resolve(entry));
  dirs.push(userDataDir());
  // Jupyter adds `{sys.prefix}/share/jupyter`; our Python is the project venv (or an activated one)
  for (const prefix of [process.env.VIRTUAL_ENV, join(root, ".venvs", "jupyter")]) {
    if (prefix && existsSync(prefix)) dirs.push(join(prefix, "share", "jupyter"));
  }
  if (process.platform !== "win32") dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return [...new Set(dirs)];
}

/** A folder's entries, none when it does not exist or cannot be read (most search-path folders are absent). */
function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The `kernels` folders searched, project-local first. */
export function kernelDirs(root = projectRoot): string[] {
  return [projectKernelsDir(root), ...jupyterPath(root)].map((dir) => join(dir, "kernels"));
}

/** Every installed kernelspec, the first of each name in search order (names are case-insensitive, as in Jupyter). */
export function listKernelspecs(dirs = kernelDirs()): Kernelspec[] {
  const found = new Map<string, Kernelspec>();
  for (const kernels of dirs) {
    const entries = entriesOf(kernels);
    for (const entry of entries.sort()) {
      const name = entry.toLowerCase();
      const dir = join(kernels, entry);
      if (found.has(name) || !existsSync(join(dir, "kernel.json")) || !statSync(dir).isDirectory()) continue;
      found.set(name, { name, dir, spec: readSpec(dir) });
    }
  }
  return [...found.values()];
}

/** The kernelspec called `name`; throws `Unknown kernel "x"; installed kernels: a, b` when none is installed. */
export function findKernelspec(name: string, dirs = kernelDirs()): Kernelspec {
  const wanted = name.toLowerCase();
  for (const kernels of dirs) {
    const entries = entriesOf(kernels);
    // exact spelling first, then any case (Jupyter lower-cases the folder names it finds)
    const entry = entries.includes(wanted) ? wanted : entries.sort().find((e) => e.toLowerCase() === wanted);
    const dir = entry && join(kernels, entry);
    if (dir && existsSync(join(dir, "kernel.json"))) return { name: wanted, dir, spec: readSpec(dir) };
  }
  const installed = listKernelspecs(dirs).map((k) => k.name);
  throw new Error(
    `Unknown kernel "${name}"; installed kernels: ${installed.length ? installed.join(", ") : "(none)"}` +
      ` (searched ${dirs.join(", ")})`,
  );
}

function readSpec(dir: string): KernelspecFile {
  const file = join(dir, "kernel.json");
  let spec: KernelspecFile;
  try {
    spec = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`kernelspec ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(spec.argv) || spec.argv.length === 0 || !spec.argv.every((a) => typeof a === "string")) {
    throw new Error(`kernelspec ${file}: "argv" must be a non-empty array of strings`);
  }
  if (typeof spec.display_name !== "string") throw new Error(`kernelspec ${file}: "display_name" must be a string`);
  if (spec.interrupt_mode !== undefined && spec.interrupt_mode !== "signal" && spec.interrupt_mode !== "message") {
    throw new Error(`kernelspec ${file}: "interrupt_mode" must be "signal" or "message", got ${JSON.stringify(spec.interrupt_mode)}`);
  }
  return spec;
}
