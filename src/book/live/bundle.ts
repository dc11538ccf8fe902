/**
 * Bundles the live panels' worker for the built site with esbuild: TensorFlow.js, skiplib's browser core and the
 * experiments, as ES modules with WebGPU and WASM split into chunks of their own (loaded only when the reader's
 * browser uses them), plus tfjs-backend-wasm's .wasm files, all served from the site (no CDN).
 *
 * skiplib's seams are swapped here: `src/skiplib/backend.ts` (the native backend) → `src/skiplib/browser/backend.ts`,
 * `src/skiplib/progress.ts` (notebook and terminal) → `src/skiplib/browser/progress.ts`. Platform "browser" makes any
 * `node:` import that slipped into the core fail this bundle.
 */
import { build, type Plugin } from "esbuild";
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SKIPLIB = resolve(__dirname, "..", "..", "skiplib");
export const SEAMS: Record<string, string> = {
  [join(SKIPLIB, "backend.ts")]: join(SKIPLIB, "browser", "backend.ts"),
  [join(SKIPLIB, "progress.ts")]: join(SKIPLIB, "browser", "progress.ts"),
};
const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

/** The worker's file in the site's live folder. */
export const WORKER_FILE = "worker.js";

export interface LiveBundle {
  /** Folder written (emptied first). */
  dir: string;
  /** File name → bytes, for everything written. */
  files: Record<string, number>;
}

/** Resolves an import of skiplib's Node backend or progress module to its browser counterpart. */
export const browserSeams: Plugin = {
  name: "skiplib-browser-seams",
  setup(builder) {
    builder.onResolve({ filter: /(^|\/)(backend|progress)$/ }, (args) => {
      if (!args.path.startsWith(".")) return undefined;
      const target = SEAMS[`${resolve(args.resolveDir, args.path)}.ts`];
      return target ? { path: target } : undefined;
    });
  },
};

/** Writes the worker bundle and the WASM binaries into `dir`. */
export async function bundleLivePanels(dir: string): Promise<LiveBundle> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: { worker: join(__dirname, "worker.ts") },
    outdir: dir,
    bundle: true,
    format: "esm",
    splitting: true,
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    chunkNames: "chunk-[hash]",
    define: { "process.env.NODE_ENV": '"production"' },
    plugins: [browserSeams],
    metafile: true,
    logLevel: "silent",
  });
  const files: Record<string, number> = {};
  for (const [path, meta] of Object.entries(result.metafile.outputs)) files[relative(dir, resolve(path))] = meta.bytes;
  const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  for (const file of WASM_FILES) {
    copyFileSync(join(wasmDir, file), join(dir, file));
    files[file] = statSync(join(dir, file)).size;
  }
  return { dir, files };
}
