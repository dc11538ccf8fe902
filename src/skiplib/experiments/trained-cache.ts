/**
 * Trained weights kept on disk under a key made of everything that determines them, so a later chapter that
 * trains the same net with the same settings, data and seed loads what an earlier chapter trained instead of
 * spending the same minutes again. Node only (it reads and writes `.cache/trained/`).
 *
 * The key hashes the caller's description of the run (architecture, seed, schedule), the training data's bytes,
 * skiplib's own source files and the lock files, and the backend: change any of them and the run is done afresh.
 * Training is deterministic on one backend, so a loaded model is the model training would produce. Two processes
 * that want the same run at once (two notebooks executed in parallel) do not both train it: the second waits for
 * the first's lock and then loads.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../../files/atomic-write";
import { backendSummary, tf } from "../backend";
import type { Dataset } from "../data/types";

const SKIPLIB_DIR = resolve(__dirname, "..");
const PROJECT_ROOT = resolve(SKIPLIB_DIR, "..", "..");
const LOCK_POLL_MS = 200;

/** Where trained weights are kept (`SKIPLIB_TRAINED_CACHE` overrides; "off" disables the cache). */
export function trainedCacheDir(): string | undefined {
  const dir = process.env.SKIPLIB_TRAINED_CACHE;
  if (dir === "off" || dir === "0") return undefined;
  return dir ?? join(PROJECT_ROOT, ".cache", "trained");
}

let sourceHash: string | undefined;

/** Every skiplib source file and the lock files, by path and content: a change to training code changes the key. */
function skiplibSourceHash(): string {
  if (sourceHash) return sourceHash;
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|json)$/.test(entry.name)) hash.update(`${path.slice(SKIPLIB_DIR.length)}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(SKIPLIB_DIR);
  for (const lock of ["package-lock.json"]) {
    const path = join(PROJECT_ROOT, lock);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  sourceHash = hash.digest("hex");
  return sourceHash;
}

function tensorHash(hash: ReturnType<typeof createHash>, t: tf.Tensor): void {
  hash.update(`${t.dtype}[${t.shape}]\0`);
  const data = t.dataSync();
  hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** The cache key of training what `description` describes on `data`. */
export function trainedKey(description: unknown, data: Dataset): string {
  const hash = createHash("sha256");
  hash.update("skiplib-trained-v1\0").update(JSON.stringify(description)).update("\0");
  tensorHash(hash, data.x);
  tensorHash(hash, data.y);
  hash.update(skiplibSourceHash()).update(backendSummary());
  return hash.digest("hex");
}

interface Stored<H> {
  weights: { name: string; shape: number[] }[];
  history: H;
}

function save<H>(dir: string, model: tf.LayersModel, history: H): void {
  const weights = model.getWeights();
  const arrays = weights.map((w) => w.dataSync() as Float32Array);
  const bytes = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const manifest: Stored<H> = { weights: model.weights.map((w, i) => ({ name: w.originalName, shape: weights[i].shape })), history };
  mkdirSync(dir, { recursive: true });
  // weights first, manifest last: a manifest means a complete entry
  writeFileAtomic(join(dir, "weights.bin"), bytes);
  writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(manifest));
}

function load<H>(dir: string, model: tf.LayersModel): H | undefined {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Stored<H>;
    const bytes = readFileSync(join(dir, "weights.bin"));
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const sizes = manifest.weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
    const fits = manifest.weights.length === model.weights.length &&
      manifest.weights.every((w, i) => w.name === model.weights[i].originalName && w.shape.join() === model.weights[i].shape.join()) &&
      sizes.reduce((a, b) => a + b, 0) === floats.length;
    if (!fits) return undefined;
    let offset = 0;
    const values = manifest.weights.map((w, i) => {
      const t = tf.tensor(floats.subarray(offset, offset + sizes[i]), w.shape);
      offset += sizes[i];
      return t;
    });
    model.setWeights(values);
    tf.dispose(values);
    return manifest.history;
  } catch {
    return undefined; // a damaged entry is trained again and overwritten
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `lock` (exclusive create); waits while another live process holds it. Returns the release function. */
async function acquire(lock: string): Promise<() => void> {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(lock, "utf8"));
    } catch {
      continue; // released between our attempts
    }
    const age = (() => {
      try {
        return Date.now() - statSync(lock).mtimeMs;
      } catch {
        return 0;
      }
    })();
    // a lock whose process is gone (killed mid-training) is stale; an unreadable one older than a minute too
    if ((Number.isInteger(owner) && owner > 0 && !processAlive(owner)) || (!(owner > 0) && age > 60_000)) {
      rmSync(lock, { force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

/** What `cachedTraining` returns: the trained model, its training history, and whether it came from the cache. */
export interface CachedTraining<H> {
  model: tf.LayersModel;
  history: H;
  cached: boolean;
}

/**
 * `train(model)` on a freshly built model, or its stored result: the weights and history of the same training run
 * done before (same `description`, data, skiplib sources and backend). `build` must build the same initial model
 * every time (skiplib's builders are seeded).
 */
export async function cachedTraining<H>(
  description: unknown,
  data: Dataset,
  build: () => tf.LayersModel,
  train: (model: tf.LayersModel) => Promise<H>,
): Promise<CachedTraining<H>> {
  const root = trainedCacheDir();
  const model = build();
  if (!root) return { model, history: await train(model), cached: false };
  const dir = join(root, trainedKey(description, data));
  let history = load<H>(dir, model);
  if (history !== undefined) return { model, history, cached: true };
  const release = await acquire(`${dir}.lock`);
  try {
    history = load<H>(dir, model); // trained by another process while we waited
    if (history !== undefined) return { model, history, cached: true };
    history = await train(model);
    save(dir, model, history);
    return { model, history, cached: false };
  } finally {
    release();
  }
}
