/**
 * Installs (or removes) the `skipbook` kernelspec: into the user's Jupyter data dir, so JupyterLab and
 * Notebook 7 offer "TypeScript (skipbook)", and into the project-local `.jupyter-kernels/` the runner and tests
 * use. argv holds absolute paths of this checkout. Idempotent: files already up to date are left alone.
 *
 *   node scripts/kernelspec.mjs install | uninstall | show
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../src/files/atomic-write.js";

export const KERNEL_NAME = "skipbook";

/** The kernel.json for the checkout at `root`. */
export function kernelspecFor(root) {
  return {
    argv: [process.execPath, join(root, "kernel", "launch.cjs"), "{connection_file}"],
    display_name: "TypeScript (skipbook)",
    language: "typescript",
    // interrupts arrive as interrupt_request on control, where the kernel's second thread stops the cell
    interrupt_mode: "message",
    env: {},
    metadata: { debugger: false },
  };
}

// the data-dir rules live once, in src/jupyter/kernelspec.ts; tsx lets this plain script load them
async function jupyterDirs(root) {
  const tsx = createRequire(import.meta.url)(join(root, "node_modules", "tsx", "dist", "cjs", "api", "index.cjs"));
  const api = tsx.require(join(root, "src", "jupyter", "kernelspec.ts"), import.meta.url);
  return { user: join(api.userDataDir(), "kernels", KERNEL_NAME), local: join(api.projectKernelsDir(root), "kernels", KERNEL_NAME) };
}

/** Writes the kernelspec where it is missing or stale; returns the dirs written. */
export async function installKernelspec(root, log = () => {}) {
  const text = `${JSON.stringify(kernelspecFor(root), null, 2)}\n`;
  const dirs = await jupyterDirs(root);
  const written = [];
  for (const dir of [dirs.local, dirs.user]) {
    const file = join(dir, "kernel.json");
    if (existsSync(file) && readFileSync(file, "utf8") === text) continue;
    writeFileAtomic(file, text);
    written.push(dir);
    log(`kernelspec ${KERNEL_NAME} written to ${dir}`);
  }
  return written;
}

/** Called by scripts/setup.mjs on every set-up: cheap when the kernelspec is current. */
export async function ensureKernelspecInstalled(root, log = () => {}) {
  await installKernelspec(root, log);
}

export async function uninstallKernelspec(root, log = () => {}) {
  const dirs = await jupyterDirs(root);
  for (const dir of [dirs.local, dirs.user]) {
    if (!existsSync(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    log(`kernelspec ${KERNEL_NAME} removed from ${dir}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const command = process.argv[2] ?? "install";
  const log = (message) => console.log(message);
  if (command === "install") {
    const written = await installKernelspec(root, log);
    if (written.length === 0) log(`kernelspec ${KERNEL_NAME} is up to date`);
  } else if (command === "uninstall") await uninstallKernelspec(root, log);
  else if (command === "show") console.log(JSON.stringify({ ...(await jupyterDirs(root)), spec: kernelspecFor(root) }, null, 2));
  else {
    console.error(`unknown command "${command}"; use install, uninstall or show`);
    process.exit(2);
  }
}
