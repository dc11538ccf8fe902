/**
 * skiplib's backend in a browser: the seam that replaces `src/skiplib/backend.ts` (the native TensorFlow backend)
 * when the book's live panels bundle skiplib's core (src/book/live/bundle.ts aliases one module to the other).
 *
 * Every skiplib module takes `tf` from its backend module, so the same source runs here on TensorFlow.js in the
 * reader's browser: WebGPU where the browser offers an adapter, else WebGL (on the GPU), with WebAssembly and
 * pure JavaScript only as fallbacks. `useBrowserBackend` picks one and says which, and why faster ones were skipped.
 */
import * as tfjs from "./tf";

export { tfjs as tf };

export type BrowserBackendName = "webgpu" | "webgl" | "wasm" | "cpu";
export const BROWSER_BACKENDS: readonly BrowserBackendName[] = ["webgpu", "webgl", "wasm", "cpu"];

export interface BackendInfo {
  backend: BrowserBackendName;
  device: "GPU" | "CPU";
  /** TensorFlow.js's version. */
  version: string;
  /** Which npm package provides the backend. */
  package: string;
  /** The GPU as the browser names it (WebGPU adapter or WebGL renderer), when it says. */
  adapter?: string;
  /** WebGL only: whether textures hold float32 (false: float16, about 3 significant digits). */
  float32?: boolean;
}

export interface BackendChoice {
  /** A backend to use, or "auto" (default): the first of webgpu, webgl, wasm, cpu that initialises. */
  prefer?: BrowserBackendName | "auto";
  /** URL of the folder holding tfjs-backend-wasm's .wasm files (needed only if WASM is tried). */
  wasmPath?: string;
}

// surface/grid.ts yields to the event loop with setImmediate, which browsers and workers lack.
const globals = globalThis as unknown as { setImmediate?: (callback: () => void) => unknown };
globals.setImmediate ??= (callback: () => void) => setTimeout(callback, 0);

let selected: { info: BackendInfo; fallbackReasons: string[] } | undefined;
/** Backends that initialised but then failed in a run, with why: "auto" skips them from then on. */
const abandoned = new Map<BrowserBackendName, string>();
let resolveReady: () => void = () => undefined;

/** Resolves once `useBrowserBackend` has initialised a backend. */
export const ready: Promise<void> = new Promise((resolve) => (resolveReady = resolve));

interface Gpu {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null>;
}

async function loadWebGpu(): Promise<Partial<BackendInfo>> {
  const gpu = (globalThis.navigator as unknown as { gpu?: Gpu } | undefined)?.gpu;
  if (!gpu) throw new Error("this browser has no WebGPU (navigator.gpu is missing)");
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error("the browser offers no WebGPU adapter");
  await import("@tensorflow/tfjs-backend-webgpu"); // registers "webgpu"; a chunk of its own, loaded only here
  if (!(await tfjs.setBackend("webgpu"))) throw new Error("the WebGPU backend failed to initialise");
  await smokeTest();
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
  return { device: "GPU", package: "@tensorflow/tfjs-backend-webgpu", adapter: name || undefined };
}

/**
 * Uploads, computes and reads back (both ways skiplib reads) on the backend just set: an adapter can exist and the
 * backend initialise while buffers still fail (Chromium's SwiftShader WebGPU in a container cannot map them), and a
 * reader is better served by the next backend than by an error in the middle of a run.
 */
async function smokeTest(): Promise<void> {
  // uploads of a few kB, a matrix product, and reads of 16 kB back, as a small net's step does
  const a = tfjs.tensor2d(new Float32Array(64 * 64).fill(1), [64, 64]);
  try {
    const product = tfjs.tidy(() => tfjs.matMul(a, a));
    try {
      const [asynchronous, synchronous] = [await product.data(), tfjs.tidy(() => tfjs.sum(product)).dataSync()[0]];
      if (asynchronous[4095] !== 64 || synchronous !== 64 ** 3) throw new Error(`a 64×64 product of ones gave ${asynchronous[4095]} and sum ${synchronous}, not 64 and ${64 ** 3}`);
    } finally {
      product.dispose();
    }
  } finally {
    a.dispose();
  }
}

async function loadWebGl(): Promise<Partial<BackendInfo>> {
  if (!(await tfjs.setBackend("webgl"))) throw new Error("WebGL is not available");
  await smokeTest();
  const float32 = tfjs.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED");
  const gl = (tfjs.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  const debug = gl?.getExtension("WEBGL_debug_renderer_info");
  const adapter = gl && debug ? String(gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)) : undefined;
  return { device: "GPU", package: "@tensorflow/tfjs (webgl)", adapter, float32 };
}

async function loadWasm(wasmPath: string | undefined): Promise<Partial<BackendInfo>> {
  if (!wasmPath) throw new Error("no wasmPath given for tfjs-backend-wasm's .wasm files");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(wasmPath.endsWith("/") ? wasmPath : `${wasmPath}/`);
  if (!(await tfjs.setBackend("wasm"))) throw new Error("the WASM backend failed to initialise");
  return { device: "CPU", package: "@tensorflow/tfjs-backend-wasm" };
}

async function loadCpu(): Promise<Partial<BackendInfo>> {
  if (!(await tfjs.setBackend("cpu"))) throw new Error("the CPU backend failed to initialise");
  return { device: "CPU", package: "@tensorflow/tfjs (cpu)" };
}

const LOADERS: Record<BrowserBackendName, (choice: BackendChoice) => Promise<Partial<BackendInfo>>> = {
  webgpu: loadWebGpu,
  webgl: loadWebGl,
  wasm: (choice) => loadWasm(choice.wasmPath),
  cpu: loadCpu,
};

/** Initialises the preferred backend (or the first that works, for "auto") and reports it. */
export async function useBrowserBackend(choice: BackendChoice = {}): Promise<BackendInfo> {
  const prefer = choice.prefer ?? "auto";
  if (prefer !== "auto" && !BROWSER_BACKENDS.includes(prefer)) {
    throw new Error(`backend must be auto or one of ${BROWSER_BACKENDS.join(", ")}, got ${JSON.stringify(prefer)}`);
  }
  if (selected && (prefer === "auto" || prefer === selected.info.backend)) return { ...selected.info };
  const candidates = prefer === "auto" ? BROWSER_BACKENDS : [prefer];
  const fallbackReasons: string[] = [];
  for (const name of candidates) {
    if (prefer === "auto" && abandoned.has(name)) {
      fallbackReasons.push(`${name}: ${abandoned.get(name)}`);
      continue;
    }
    try {
      const details = await LOADERS[name](choice);
      const info: BackendInfo = { backend: name, device: "CPU", version: tfjs.version_core, package: "@tensorflow/tfjs", ...details };
      selected = { info, fallbackReasons };
      resolveReady();
      return { ...info };
    } catch (error) {
      fallbackReasons.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised in this browser:\n  ${fallbackReasons.join("\n  ")}`);
}

/**
 * Gives up on the backend in use after it failed in the middle of a run (a WebGPU adapter whose buffers cannot be
 * mapped passes a small check and fails on a larger net): the next "auto" choice takes the next backend.
 */
export function abandonBackend(reason: string): void {
  if (!selected) return;
  abandoned.set(selected.info.backend, reason);
  selected = undefined;
}

function current(): { info: BackendInfo; fallbackReasons: string[] } {
  if (!selected) throw new Error("no backend chosen yet: await useBrowserBackend() first");
  return selected;
}

/** Which backend skiplib runs on in this browser. */
export function backendInfo(): BackendInfo {
  return { ...current().info };
}

/** One line for the reader, e.g. `skiplib: backend webgl (GPU, tfjs 4.22.0, float32)`. */
export function backendSummary(): string {
  const { backend, device, version, float32 } = current().info;
  const precision = float32 === undefined ? "" : float32 ? ", float32" : ", float16 textures";
  return `skiplib: backend ${backend} (${device}, tfjs ${version}${precision})`;
}

/** Why faster backends were skipped, empty when the first choice loaded. */
export function backendFallbackReasons(): string[] {
  return [...current().fallbackReasons];
}
