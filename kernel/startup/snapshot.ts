/**
 * The compiler's startup snapshot: the expensive type loading done once per project state and kept on disk, not
 * on every kernel start.
 *
 * Building tslab's converter and checking the ahead-of-time imports (tfjs-node, skiplib, skipbook) costs the
 * compiler process 4 to 6 s of CPU, most of it TypeScript parsing some 4 MB of declarations, which tslab's
 * TypeScript cannot keep across processes. A V8 startup snapshot of that process, taken right after the work
 * (`node --build-snapshot`, snapshot-entry.ts), restores in about half a second with everything parsed and checked.
 *
 * Files, in <root>/.cache/kernel/snapshot/:
 * - bundle-<key>.js: snapshot-entry.ts with all it imports, TypeScript and tslab included (V8 snapshots a single
 *   script; tslab gets typescript.ts's tuned TypeScript through the bundler instead of Node's module cache);
 * - compiler-<key>.blob: the snapshot;
 * - compiler-<key>.json: the manifest, every file the build read outside node_modules (the project's files and the
 *   kernel's own sources) with the hash of its text.
 * The key covers Node's and V8's versions, the platform, the project root, the modules and the lock files (so
 * node_modules). A snapshot is used only while its key and every listed file's hash still hold; an edited skiplib
 * file means a start from source and a new snapshot built in the background, at the lowest CPU priority.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { setPriority } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../../src/files/atomic-write";
import { PARAMS_ENV, type CompilerParams } from "../compiler/ipc";
import { lockFileHashes } from "./lock-files";

/** Bumped when what a snapshot holds or how it is keyed changes. */
const FORMAT = 1;
/** The environment variable naming the file where snapshot-entry.ts lists what it read. */
export const READS_ENV = "SKIPBOOK_SNAPSHOT_READS";
/** A build lock older than this is taken to be left over from a killed build. */
const STALE_LOCK_MS = 10 * 60_000;

interface Manifest {
  format: number;
  key: string;
  /** absolute path → sha256 of its text */
  files: Record<string, string>;
}

export function snapshotDir(root: string): string {
  return join(root, ".cache", "kernel", "snapshot");
}

/** The hash snapshot-entry.ts records for a file it read (of the text, as TypeScript reads it). */
export function textHash(text: string): string {
  return createHash("sha256").update(text.replace(/^\uFEFF/, "")).digest("hex");
}

function keyOf(root: string, aheadOfTime: string[]): string {
  const parts = [FORMAT, process.version, process.versions.v8, process.platform, process.arch, resolve(root), aheadOfTime.join(","), ...lockFileHashes(root)];
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 24);
}

function paths(root: string, key: string): { blob: string; manifest: string; bundle: string } {
  const dir = snapshotDir(root);
  return { blob: join(dir, `compiler-${key}.blob`), manifest: join(dir, `compiler-${key}.json`), bundle: join(dir, `bundle-${key}.js`) };
}

/** The snapshot to start this project's compiler from, or undefined when there is none or it is out of date. */
export function findCompilerSnapshot(root: string, aheadOfTime: string[]): string | undefined {
  if (aheadOfTime.length === 0) return undefined;
  const { blob, manifest: manifestFile } = paths(root, keyOf(root, aheadOfTime));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || !existsSync(blob) || typeof manifest.files !== "object") return undefined;
  for (const [file, hash] of Object.entries(manifest.files)) {
    try {
      if (textHash(readFileSync(file, "utf8")) !== hash) return undefined;
    } catch {
      return undefined; // a file the build read is gone
    }
  }
  return blob;
}

/**
 * Builds the snapshot for `root` and `aheadOfTime` (replacing older ones); resolves with the blob's path, or
 * rejects saying why (a failed ahead-of-time check included: a snapshot would only repeat it).
 * @param priority the build process's nice value (19 in the background)
 */
export async function buildCompilerSnapshot(root: string, aheadOfTime: string[], options: { priority?: number } = {}): Promise<string> {
  const key = keyOf(root, aheadOfTime);
  const target = paths(root, key);
  mkdirSync(snapshotDir(root), { recursive: true });
  const suffix = `${process.pid}.${Date.now()}.tmp`;
  const bundle = `${target.bundle}.${suffix}`;
  const blob = `${target.blob}.${suffix}`;
  const reads = `${target.manifest}.reads.${suffix}`;
  try {
    const sources = await bundleEntry(bundle);
    const params: CompilerParams = { root: resolve(root), cellDir: resolve(root), aheadOfTime, tuned: true };
    await run(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", bundle], { ...process.env, [PARAMS_ENV]: JSON.stringify(params), [READS_ENV]: reads }, options);
    const files: Record<string, string> = JSON.parse(readFileSync(reads, "utf8"));
    for (const file of sources) files[file] = textHash(readFileSync(file, "utf8"));
    renameSync(bundle, target.bundle);
    renameSync(blob, target.blob);
    writeFileAtomic(target.manifest, JSON.stringify({ format: FORMAT, key, files } satisfies Manifest));
    removeOthers(root, key);
    return target.blob;
  } finally {
    for (const file of [bundle, blob, reads]) rmSync(file, { force: true });
  }
}

/**
 * Starts a build in the background unless one is running for this project: at the lowest CPU priority, ended
 * with this process. Failures are logged once, never thrown: the kernel works without a snapshot.
 */
export function startSnapshotBuild(root: string, aheadOfTime: string[], log = (line: string) => writeSync(2, `[skipbook kernel] ${line}\n`)): void {
  const lock = join(snapshotDir(root), "build.lock");
  try {
    mkdirSync(snapshotDir(root), { recursive: true });
    if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
    closeSync(openSync(lock, "wx"));
  } catch {
    return; // another kernel is building it, or the cache folder is not writable
  }
  log("no up-to-date compiler snapshot for this project: building one in the background");
  buildCompilerSnapshot(root, aheadOfTime, { priority: 19 })
    .then(
      () => log("compiler snapshot built: kernels started from now on compile their first cell at once"),
      (error: Error) => log(`compiler snapshot not built (kernels start from source): ${error.message}`),
    )
    .finally(() => rmSync(lock, { force: true }));
}

/** Bundles snapshot-entry.ts; returns the project files it was made from (outside node_modules). */
async function bundleEntry(outfile: string): Promise<string[]> {
  const esbuild = await import("esbuild");
  const startupDir = __dirname;
  const tuned = join(startupDir, "typescript.ts");
  const result = await esbuild.build({
    entryPoints: [join(startupDir, "snapshot-entry.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    outfile,
    define: { SKIPBOOK_BUNDLED: "true" },
    metafile: true,
    logLevel: "silent",
    absWorkingDir: startupDir,
    plugins: [
      {
        // tslab (and everything else) must get typescript.ts's tuned namespace; typescript.ts itself, the real one
        name: "skipbook-tuned-typescript",
        setup(build) {
          build.onResolve({ filter: /^@tslab\/typescript-for-tslab$/ }, (args) => (resolve(args.importer) === tuned ? undefined : { path: "tuned-typescript", namespace: "skipbook" }));
          build.onLoad({ filter: /.*/, namespace: "skipbook" }, () => ({ contents: `module.exports = require(${JSON.stringify(tuned)}).ts;`, resolveDir: startupDir, loader: "js" }));
        },
      },
      {
        // TypeScript finds its lib.*.d.ts files next to its own __filename, tslab its package by __dirname: in a
        // bundle both would name the bundle, so these CommonJS modules keep their own paths
        name: "skipbook-module-paths",
        setup(build) {
          build.onLoad({ filter: /[\\/]node_modules[\\/](@tslab[\\/]typescript-for-tslab|tslab)[\\/].*\.js$/ }, (args) => ({
            // a function of their own, so that a leading "use strict" stays a directive
            contents: `(function (__filename, __dirname) {\n${readFileSync(args.path, "utf8")}\n}).call(this, ${JSON.stringify(args.path)}, ${JSON.stringify(dirname(args.path))});`,
            loader: "js",
          }));
        },
      },
    ],
  });
  return Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes("node_modules") && !input.startsWith("skipbook:"))
    .map((input) => resolve(startupDir, input));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, options: { priority?: number }): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    if (options.priority !== undefined && child.pid) {
      try {
        setPriority(child.pid, options.priority);
      } catch {
        // not allowed here: it builds at normal priority
      }
    }
    // a kernel that exits takes its build along (the lock goes stale and the next kernel starts over)
    const end = () => child.kill();
    process.once("exit", end);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      process.off("exit", end);
      if (code === 0) done();
      else fail(new Error(`node --build-snapshot ended with ${signal ?? `code ${code}`}: ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

/** Removes snapshots of other keys (older library versions, another Node). */
function removeOthers(root: string, key: string): void {
  const dir = snapshotDir(root);
  for (const name of readdirSync(dir)) {
    if (/^(compiler|bundle)-[0-9a-f]+\.(blob|json|js)$/.test(name) && !name.includes(key)) rmSync(join(dir, name), { force: true });
  }
}
