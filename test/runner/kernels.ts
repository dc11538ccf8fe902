// Kernels the runner tests use: ipykernel from .venvs/jupyter (always there after set-up) and the project's own
// `skipbook` kernel (once scripts/kernelspec.mjs has installed it in .jupyter-kernels).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { findKernelspec, kernelDirs } from "../../src/jupyter/kernelspec";

export const root = resolve(__dirname, "..", "..");
export const fixtures = join(root, "test", "fixtures");
export const jupyterPython = join(root, ".venvs", "jupyter", "bin", "python");

/**
 * Creates .venvs/jupyter (ipykernel, nbclient, nbformat) when it is missing or stale, once per machine: test files run
 * in parallel, so creation happens under a lock. Returns whether the environment is usable.
 */
function ensureJupyterEnv(): boolean {
  const helper = pathToFileURL(join(root, "scripts", "python-env.mjs")).href;
  const code = `import { ensurePythonEnv } from ${JSON.stringify(helper)}; ensurePythonEnv("jupyter");`;
  mkdirSync(join(root, ".venvs"), { recursive: true });
  const argv = [process.execPath, "--input-type=module", "-e", code];
  const hasFlock = spawnSync("flock", ["--version"], { stdio: "ignore" }).status === 0;
  const result = hasFlock
    ? spawnSync("flock", [join(root, ".venvs", ".jupyter.lock"), ...argv], { stdio: ["ignore", "ignore", "inherit"] })
    : spawnSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  return result.status === 0 && existsSync(jupyterPython);
}

/** A kernels dir holding `pyk`, ipykernel run by the project venv's python (absolute path, unlike its stock spec). */
export function pythonKernelDirs(): string[] {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-pyk-"));
  mkdirSync(join(dir, "kernels", "pyk"), { recursive: true });
  writeFileSync(
    join(dir, "kernels", "pyk", "kernel.json"),
    JSON.stringify({ argv: [jupyterPython, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Python (test)", language: "python" }),
  );
  return [join(dir, "kernels"), ...kernelDirs()];
}

export const hasPythonKernel = ensureJupyterEnv();
/** Whether a `skipbook` kernelspec is installed where the runner looks (project-local dir first, then JUPYTER_PATH...). */
export const hasSkipbookKernel = (() => {
  try {
    findKernelspec("skipbook", kernelDirs(root));
    return true;
  } catch {
    return false;
  }
})();

/** Pids of every process still in process group `pgid` (a kernel and whatever it started). */
export function processGroup(pgid: number): number[] {
  const ps = spawnSync("ps", ["-eo", "pid=,pgid=,stat="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => Number(group) === pgid && !stat?.startsWith("Z") && pid)
    .map(([pid]) => Number(pid));
}

/** Pids whose environment holds SKIPBOOK_TEST_TAG=tag (a runner and every kernel it started), zombies aside. */
export function taggedProcesses(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(`SKIPBOOK_TEST_TAG=${tag}`)) {
        if (!/\) Z /.test(readFileSync(`/proc/${entry}/stat`, "latin1"))) pids.push(Number(entry));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

