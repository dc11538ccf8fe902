// The Debian packages the two commands need and a fresh machine may lack: set-up installs the missing ones with
// apt-get (as root, or through `sudo -n` when that needs no password), and otherwise stops at once with the exact
// command to run. Presence is a file check, so a machine that has them pays nothing. Node built-ins only.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Each package, why it is needed, the file that proves it is there, and the npm scripts that need it. */
export const SYSTEM_PACKAGES = [
  {
    name: "dataset-fashion-mnist",
    why: "the Fashion-MNIST images the chapters train on",
    // skiplib reads SKIPLIB_FASHION_MNIST instead when it is set
    file: () => join(process.env.SKIPLIB_FASHION_MNIST || "/usr/share/datasets/fashion-mnist", "train-images-idx3-ubyte.gz"),
    neededBy: ["start", "book", "test", "bench"],
  },
  {
    name: "chromium",
    why: "the browser tests (driven by playwright-core; no browser is downloaded)",
    file: () => "/usr/bin/chromium",
    neededBy: ["test"],
  },
  {
    name: "python3-jupyter-kernel-test",
    why: "Jupyter's kernel conformance suite",
    file: () => "/usr/lib/python3/dist-packages/jupyter_kernel_test/__init__.py",
    neededBy: ["test"],
  },
];

/** The packages `script` (an npm script name; undefined for a plain `node scripts/setup.mjs`: all) needs and lacks. */
export function missingPackages(script, { packages = SYSTEM_PACKAGES, exists = existsSync } = {}) {
  return packages.filter((p) => (script === undefined || p.neededBy.includes(script)) && !exists(p.file()));
}

/** How this process can run apt-get: "root", "sudo" (passwordless), or "none" (a person must). */
export function privilege({ uid = process.getuid?.(), run = spawnSync } = {}) {
  if (uid === 0) return "root";
  const sudo = run("sudo", ["-n", "true"], { stdio: "ignore" });
  return sudo.status === 0 ? "sudo" : "none";
}

/**
 * Installs what `script` lacks; returns quietly when nothing is missing. Throws an error whose message is the
 * one thing to do when it cannot install (no privilege, no apt-get, or apt-get failed).
 */
export function ensureSystemPackages(script, options = {}) {
  const { log = () => {}, run = spawnSync, how = undefined } = options;
  const missing = missingPackages(script, options);
  if (missing.length === 0) return [];
  const hasApt = options.hasApt ?? hasCommand("apt-get", run);
  const names = missing.map((p) => p.name);
  const command = `sudo apt-get install -y ${names.join(" ")}`;
  const what = `${script ? `\`npm ${script === "start" || script === "test" ? "" : "run "}${script}\`` : "set-up"} needs ${missing.map((p) => `${p.name} (${p.why})`).join(", ")}`;
  if (!hasApt) {
    throw new Error(`${what}, and this system has no apt-get: install them with its package manager (on Debian or Ubuntu: ${command})`);
  }
  const access = how ?? privilege({ run });
  if (access === "none") {
    throw new Error(`${what}; installing them needs root, and sudo asks for a password. Run\n    ${command}\nthen the same command again`);
  }
  const apt = (args) => {
    const [program, ...rest] = access === "sudo" ? ["sudo", "-n", "apt-get", ...args] : ["apt-get", ...args];
    const result = run(program, rest, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    return result.status === 0;
  };
  log(`installing ${names.join(", ")} with apt-get (${missing.map((p) => p.why).join("; ")})`);
  // a fresh machine may never have fetched the package lists, or hold stale ones: update only when install needs it
  const listsEmpty = !(options.hasPackageLists ?? hasPackageLists());
  if (listsEmpty) apt(["update", "-q"]);
  let installed = apt(["install", "-y", "-q", ...names]);
  if (!installed && !listsEmpty) installed = apt(["update", "-q"]) && apt(["install", "-y", "-q", ...names]);
  const still = missingPackages(script, { ...options, packages: missing });
  if (!installed || still.length) {
    throw new Error(`${what}, and apt-get could not install ${(still.length ? still : missing).map((p) => p.name).join(", ")} (its output is above); run\n    ${command}\nthen the same command again`);
  }
  return names;
}

function hasCommand(name, run) {
  return run("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function hasPackageLists() {
  try {
    return readdirSync("/var/lib/apt/lists").some((f) => f.includes("_Packages"));
  } catch {
    return false;
  }
}
