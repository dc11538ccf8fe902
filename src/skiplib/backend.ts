/**
 * Chooses the fastest TensorFlow.js backend present, once, when skiplib is first imported.
 *
 * Order: native TensorFlow (`@tensorflow/tfjs-node-gpu` when installed and a CUDA GPU is visible, else
 * `@tensorflow/tfjs-node`), then WASM, then pure JS. `SKIPLIB_BACKEND=tensorflow|wasm|cpu` forces one.
 * Every skiplib module takes `tf` from here, so notebooks, tests and tools share one engine and one backend.
 */
import * as tfjs from "@tensorflow/tfjs";
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { registerBatchNormGrad } from "./native-kernels/batch-norm-grad";
import { registerBatchNormTraining } from "./native-kernels/batch-norm-training";
import { registerWasmGradients } from "./wasm-gradients";
import { registerNativeReluGrad } from "./native-kernels/relu-grad";
import { preferOneDnn } from "./native-kernels/onednn";
import { registerGraphExecution } from "./native-kernels/graph/install";

export { tfjs as tf };

export type BackendName = "tensorflow" | "wasm" | "cpu" | "webgpu";

export interface BackendInfo {
  backend: BackendName;
  device: "CPU" | "GPU";
  /** TensorFlow's version for the native backend, TensorFlow.js's otherwise. */
  version: string;
  /** Which npm package provides the backend. */
  package: string;
}

const BACKEND_NAMES = ["tensorflow", "wasm", "cpu"] as const;
type SelectableBackend = (typeof BACKEND_NAMES)[number];

/** A CUDA GPU is visible when the NVIDIA driver lists one (no nvidia-smi process needed). */
export function cudaGpuVisible(): boolean {
  try {
    return readdirSync("/proc/driver/nvidia/gpus").length > 0;
  } catch {
    return false;
  }
}

function packageInstalled(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

interface NativeBackend {
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

function loadNative(): BackendInfo {
  const gpu = packageInstalled("@tensorflow/tfjs-node-gpu") && cudaGpuVisible();
  const pkg = gpu ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
  // TensorFlow's C++ start-up chatter (oneDNN, CPU features) would land in every notebook's output.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  preferOneDnn(); // oneDNN kernels on every x86-64 CPU, not only those TensorFlow turns them on for
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(pkg); // registers and activates the "tensorflow" backend on the shared tfjs-core engine
  if (!tfjs.setBackend("tensorflow")) throw new Error(`${pkg} did not register the tensorflow backend`);
  const native = tfjs.backend() as unknown as NativeBackend;
  // SKIPLIB_NATIVE_KERNELS=0 keeps tfjs's stock gradients (for comparing; the tests check both agree)
  if (process.env.SKIPLIB_NATIVE_KERNELS !== "0") {
    registerNativeReluGrad(tfjs); // one fused TensorFlow op where tfjs-core builds ReLU's gradient from six
    registerBatchNormGrad();
    registerBatchNormTraining(); // BatchNormalization layers train with FusedBatchNormV3 / GradV3, not moments
  }
  // fit / trainOnBatch / predict run a whole model's step as one TensorFlow graph (SKIPLIB_GRAPH=0: eager ops)
  registerGraphExecution();
  return {
    backend: "tensorflow",
    device: native.isUsingGpuDevice ? "GPU" : "CPU",
    version: native.binding?.TF_Version ?? "unknown",
    package: pkg,
  };
}

function loadWasm(): BackendInfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`);
  // WASM initialises asynchronously: `ready` (below) resolves once it is active.
  return { backend: "wasm", device: "CPU", version: tfjs.version_core, package: "@tensorflow/tfjs-backend-wasm" };
}

function loadCpu(): BackendInfo {
  tfjs.setBackend("cpu");
  return { backend: "cpu", device: "CPU", version: tfjs.version_core, package: "@tensorflow/tfjs" };
}

const LOADERS: Record<SelectableBackend, () => BackendInfo> = { tensorflow: loadNative, wasm: loadWasm, cpu: loadCpu };

function requestedBackend(): SelectableBackend | undefined {
  const requested = process.env.SKIPLIB_BACKEND?.trim();
  if (!requested) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new Error(`SKIPLIB_BACKEND must be one of ${BACKEND_NAMES.join(", ")}, got "${requested}"`);
  }
  return requested as SelectableBackend;
}

function selectBackend(): { info: BackendInfo; fallbackReasons: string[] } {
  const forced = requestedBackend();
  if (forced) return { info: LOADERS[forced](), fallbackReasons: [] };
  const fallbackReasons: string[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return { info: LOADERS[name](), fallbackReasons };
    } catch (error) {
      fallbackReasons.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded:\n  ${fallbackReasons.join("\n  ")}`);
}

const selected = selectBackend();

/** Resolves when the chosen backend is initialised (immediate for native and cpu; WASM loads its binary). */
export const ready: Promise<void> = (async () => {
  if (selected.info.backend === "wasm") {
    registerWasmGradients(); // conv training needs Conv2DBackpropFilter, which tfjs-backend-wasm lacks
    if (!(await tfjs.setBackend("wasm"))) throw new Error("the WASM backend failed to initialise");
  }
  await tfjs.ready();
})();

/** Which backend skiplib runs on, on which device, with which TensorFlow version. */
export function backendInfo(): BackendInfo {
  return { ...selected.info };
}

/** The one-line report printed at import, e.g. `skiplib: backend tensorflow (CPU, TF 2.21.0)`. */
export function backendSummary(): string {
  const { backend, device, version } = selected.info;
  const label = backend === "tensorflow" ? `TF ${version}` : `tfjs ${version}`;
  return `skiplib: backend ${backend} (${device}, ${label})`;
}

/** Why faster backends were skipped, empty when the first choice loaded. */
export function backendFallbackReasons(): string[] {
  return [...selected.fallbackReasons];
}

if (process.env.SKIPLIB_QUIET !== "1") {
  process.stderr.write(`${backendSummary()}\n`);
  for (const reason of selected.fallbackReasons) process.stderr.write(`skiplib: skipped ${reason}\n`);
}
