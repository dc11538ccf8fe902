// Starting the real skipbook kernel for tests: the installed kernelspec, a fresh connection file, real ZeroMQ.
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { launchKernel, type LaunchedKernel } from "../../src/jupyter/launcher";
import type { JupyterMessage } from "../../src/jupyter/wire";
import type { StartupLevel } from "../../kernel/startup";

export const root = resolve(__dirname, "..", "..");

let installed = false;
/** Makes sure the project-local kernelspec points at this checkout (what `npm run kernel:install` does). */
export function ensureKernelspec(): void {
  if (installed) return;
  execFileSync(process.execPath, [join(root, "scripts", "kernelspec.mjs"), "install"], { stdio: "ignore" });
  installed = true;
}

/** Starts the kernel with cwd `cwd` (default: notebooks/), at start-up level lazy (no work ahead, to spare CPU) unless asked. */
export async function startKernel(options: { cwd?: string; startup?: StartupLevel; env?: Record<string, string> } = {}): Promise<LaunchedKernel> {
  ensureKernelspec();
  return launchKernel("skipbook", {
    cwd: options.cwd ?? join(root, "notebooks"),
    env: { SKIPBOOK_KERNEL_STARTUP: options.startup ?? "lazy", ...options.env },
    kernelDirs: [join(root, ".jupyter-kernels", "kernels")],
  });
}

export function ofType(iopub: JupyterMessage[], type: string): JupyterMessage[] {
  return iopub.filter((m) => m.header.msg_type === type);
}

export function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
