// Installs the native TensorFlow backend (@tensorflow/tfjs-node) without downloading from Google storage.
// Route 1 (offline): take libtensorflow and its C API headers from pip's `tensorflow-cpu` wheel and compile the
// addon against them. Route 2 (stock): the package's own install script, which downloads libtensorflow 2.9.1.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const TENSORFLOW_WHEEL = "tensorflow-cpu==2.21.0";
const BINDING_HEADERS = [
  "tensorflow/c/c_api.h",
  "tensorflow/c/eager/c_api.h",
  "tensorflow/c/tf_datatype.h",
  "tensorflow/c/tf_status.h",
  "tensorflow/c/tf_tensor.h",
  "tensorflow/core/platform/ctstring.h",
  "tensorflow/core/platform/ctstring_internal.h",
];

// Extracts the two shared libraries and the headers the binding includes (followed transitively) from the wheel.
const EXTRACT_PY = String.raw`
import re, shutil, sys, zipfile
wheel, lib_dir, include_dir = sys.argv[1:4]
roots = sys.argv[4:]
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
for lib in ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2"):
    with z.open("tensorflow/" + lib) as src, open(lib_dir + "/" + lib, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
seen, todo = set(), list(roots)
while todo:
    header = todo.pop()
    member = "tensorflow/include/" + header
    if header in seen or member not in names:
        continue
    seen.add(header)
    text = z.read(member)
    target = include_dir + "/" + header
    import os; os.makedirs(os.path.dirname(target), exist_ok=True)
    open(target, "wb").write(text)
    todo.extend(re.findall(r'#include\s+"([^"]+)"', text.decode("utf-8", "replace")))
print(len(seen))
`;

export function tfjsNodeDir(root) {
  return join(root, "node_modules", "@tensorflow", "tfjs-node");
}

function bindingPath(packageDir) {
  const napi = process.versions.napi ? Math.min(Number(process.versions.napi), 8) : 8;
  return join(packageDir, "lib", `napi-v${napi}`, "tfjs_binding.node");
}

/** True when the addon is built and loads libtensorflow; checked in a child so a crash cannot take us down. */
export function nativeBackendWorks(root) {
  const dir = tfjsNodeDir(root);
  if (!existsSync(dir)) return false;
  const probe = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(dir)}).version`], {
    cwd: root, stdio: "ignore", timeout: 60_000,
  });
  return probe.status === 0;
}

function buildAddon(packageDir, log) {
  // node-pre-gyp finds node-gyp through npm's own node-gyp-bin folder, as it does under `npm run`.
  const npmDir = process.env.npm_execpath ? dirname(dirname(process.env.npm_execpath)) : "";
  const gypBin = join(npmDir, "bin", "node-gyp-bin");
  const env = { ...process.env, PATH: `${gypBin}:${process.env.PATH}` };
  // Compile against the headers of the running Node (no download of node-v*-headers.tar.gz).
  const nodePrefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(nodePrefix, "include", "node", "node_api.h"))) env.npm_config_nodedir = nodePrefix;
  const preGyp = join(packageDir, "..", "..", "@mapbox", "node-pre-gyp", "bin", "node-pre-gyp");
  log("compiling the tfjs-node addon against the local Node headers (about 20 s)");
  const result = spawnSync(process.execPath, [preGyp, "install", "--build-from-source"], {
    cwd: packageDir, env, encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`building the tfjs-node addon failed:\n${result.stdout}\n${result.stderr}`);
}

function installFromWheel(root, log) {
  const packageDir = tfjsNodeDir(root);
  const scratch = mkdtempSync(join(tmpdir(), "skipbook-wheel-"));
  try {
    log(`fetching ${TENSORFLOW_WHEEL} with pip (libtensorflow and its C API headers)`);
    const pip = spawnSync("python3", ["-m", "pip", "download", "--retries", "0", "--no-deps", "--only-binary", ":all:",
      "--disable-pip-version-check", "-q", "-d", scratch, TENSORFLOW_WHEEL], { encoding: "utf8" });
    if (pip.status !== 0) throw new Error(`pip could not fetch ${TENSORFLOW_WHEEL}: ${(pip.stderr || pip.error?.message || "").trim()}`);
    const wheel = execFileSync("sh", ["-c", `ls ${scratch}/tensorflow_cpu-*.whl`], { encoding: "utf8" }).trim();
    const lib = join(packageDir, "deps", "lib");
    const include = join(packageDir, "deps", "include");
    rmSync(join(packageDir, "deps"), { recursive: true, force: true });
    mkdirSync(lib, { recursive: true });
    mkdirSync(include, { recursive: true });
    log("extracting libtensorflow (about 850 MB) into node_modules/@tensorflow/tfjs-node/deps");
    execFileSync("python3", ["-c", EXTRACT_PY, wheel, lib, include, ...BINDING_HEADERS], { stdio: "ignore" });
    // The binding links -ltensorflow -ltensorflow_framework; the .so.2.9.1 names make tfjs-node's own
    // install script treat the library as present on a later `npm rebuild` instead of downloading it.
    for (const [name, target] of [
      ["libtensorflow.so", "libtensorflow_cc.so.2"],
      ["libtensorflow.so.2", "libtensorflow_cc.so.2"],
      ["libtensorflow.so.2.9.1", "libtensorflow_cc.so.2"],
      ["libtensorflow_framework.so", "libtensorflow_framework.so.2"],
      ["libtensorflow_framework.so.2.9.1", "libtensorflow_framework.so.2"],
    ]) symlinkSync(target, join(lib, name));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  buildAddon(packageDir, log);
}

function installStock(root, log) {
  log("trying tfjs-node's stock install (downloads libtensorflow 2.9.1)");
  const result = spawnSync(process.execPath, ["scripts/install.js"], { cwd: tfjsNodeDir(root), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`the stock install failed: ${(result.stderr || "").trim().split("\n").slice(-3).join(" ")}`);
}

/** Makes @tensorflow/tfjs-node usable; tries the offline wheel route, then the stock download. */
export function ensureNativeTensorflow(root, log) {
  if (nativeBackendWorks(root)) return false;
  const failures = [];
  for (const route of [installFromWheel, installStock]) {
    try {
      route(root, log);
      if (nativeBackendWorks(root)) {
        writeFileSync(join(tfjsNodeDir(root), "deps", "skipbook-route"), `${route.name}\n`);
        return true;
      }
      failures.push(`${route.name}: the addon was built but does not load`);
    } catch (error) {
      failures.push(`${route.name}: ${error.message}`);
    }
  }
  throw new Error(
    "could not install the native TensorFlow backend (@tensorflow/tfjs-node).\n" +
    `  - offline route needs python3 with pip able to fetch ${TENSORFLOW_WHEEL}, plus make and g++;\n` +
    "  - stock route needs access to storage.googleapis.com.\n" +
    failures.map((f) => `  ${f}`).join("\n") +
    "\nskiplib still runs on the slower WASM/CPU backends (SKIPLIB_BACKEND=wasm)."
  );
}

export function readRoute(root) {
  const file = join(tfjsNodeDir(root), "deps", "skipbook-route");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : "unknown";
}

function cudaGpuVisible() {
  try {
    return readdirSync("/proc/driver/nvidia/gpus").length > 0;
  } catch {
    return false;
  }
}

/**
 * On a machine with a CUDA GPU, adds @tensorflow/tfjs-node-gpu (skiplib's backend.ts then prefers it).
 * Its libtensorflow 2.9.1 GPU build needs CUDA 11.2 + cuDNN 8.1 and a download from Google storage, so this is
 * best effort: a failure is remembered (deps/skipbook-gpu-failed) and the CPU backend is used.
 */
export function ensureGpuTensorflow(root, log) {
  if (!cudaGpuVisible() || process.env.SKIPLIB_GPU === "0") return;
  const gpuDir = join(root, "node_modules", "@tensorflow", "tfjs-node-gpu");
  const failedStamp = join(tfjsNodeDir(root), "deps", "skipbook-gpu-failed");
  if (existsSync(failedStamp) && process.env.SKIPLIB_GPU !== "1") return;
  if (existsSync(gpuDir) && spawnSync(process.execPath, ["-e", `require(${JSON.stringify(gpuDir)})`], { stdio: "ignore" }).status === 0) return;
  log("a CUDA GPU is visible: installing @tensorflow/tfjs-node-gpu (downloads libtensorflow GPU 2.9.1)");
  const install = spawnSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "@tensorflow/tfjs-node-gpu@4.22.0"],
    { cwd: root, encoding: "utf8" });
  const build = install.status === 0
    ? spawnSync(process.execPath, ["scripts/install.js", "gpu", "download"], { cwd: gpuDir, encoding: "utf8" })
    : install;
  if (build.status !== 0) {
    writeFileSync(failedStamp, `${new Date().toISOString()}\n${(build.stderr || "").slice(-2000)}\n`);
    log("could not install the GPU backend (see node_modules/@tensorflow/tfjs-node/deps/skipbook-gpu-failed); " +
      "continuing on the CPU. SKIPLIB_GPU=1 npm run setup retries.");
  }
}
