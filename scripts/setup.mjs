#!/usr/bin/env node
// One idempotent set-up for a fresh clone, used by `npm start`, `npm test` and `npm run bench`.
// Node built-ins only: it must run before node_modules exists. Each step checks first and is quiet when done.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const log = (message) => process.stderr.write(`setup: ${message}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status})`);
}

function lockHash() {
  return createHash("sha256").update(readFileSync(join(root, "package-lock.json"))).digest("hex");
}

/** node_modules matches package-lock.json (install scripts stay off: see .npmrc). */
function ensureNodeModules() {
  const stamp = join(root, "node_modules", ".skipbook-lock-hash");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === lockHash()) return;
  // A fresh clone gets the reproducible `npm ci`; an existing tree is reconciled with `npm install`, which
  // keeps unchanged packages (and the native TensorFlow build inside tfjs-node) where `npm ci` would wipe them.
  const fresh = !existsSync(join(root, "node_modules"));
  log(fresh ? "installing npm packages (npm ci)" : "package-lock.json changed: updating node_modules (npm install)");
  run("npm", [fresh ? "ci" : "install", "--no-audit", "--no-fund", "--loglevel=error"]);
  writeFileSync(stamp, lockHash());
}

async function ensureNativeBackend() {
  const { ensureNativeTensorflow, ensureGpuTensorflow } = await import("./native-tensorflow.mjs");
  if (ensureNativeTensorflow(root, log)) log("native TensorFlow backend ready");
  ensureGpuTensorflow(root, log);
}

async function ensureKernelspec() {
  const installer = join(root, "scripts", "kernelspec.mjs");
  if (!existsSync(installer)) return;
  const { ensureKernelspecInstalled } = await import(installer);
  await ensureKernelspecInstalled(root, log);
}

/** The kernel compiler's startup snapshot, so the first kernel's first cell compiles at once (kernel/startup/README.md). */
function ensureCompilerSnapshot() {
  // the builder does nothing when SKIPBOOK_KERNEL_STARTUP asks for less than the full start-up work
  const builder = join(root, "kernel", "startup", "build-snapshot.ts");
  if (!existsSync(builder)) return;
  const result = spawnSync(process.execPath, ["--import", "tsx", builder, root], { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  // not fatal: kernels then start from source and build it in the background
  const said = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
  if (said) log(said.replace(/^kernel: /, ""));
}

/** Debian packages the npm script that called us needs (scripts/system-packages.mjs); first, so a missing one stops at once. */
async function ensureSystemPackagesFor() {
  const { ensureSystemPackages } = await import("./system-packages.mjs");
  // npm names the script it runs; a plain `node scripts/setup.mjs` sets up for every command
  const installed = ensureSystemPackages(process.env.npm_lifecycle_event === "setup" ? undefined : process.env.npm_lifecycle_event, { log });
  if (installed.length) log(`installed ${installed.join(", ")}`);
}

try {
  await ensureSystemPackagesFor();
  ensureNodeModules();
  await ensureNativeBackend();
  await ensureKernelspec();
  ensureCompilerSnapshot();
} catch (error) {
  process.stderr.write(`\nsetup failed: ${error.message}\n`);
  process.exit(1);
}
