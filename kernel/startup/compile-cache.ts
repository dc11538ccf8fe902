/**
 * The compile cache: what tslab would redo on every cell, kept on disk under <project>/.cache/kernel/.
 *
 * tslab re-checks and re-emits every project file a cell imports on every cell (each cell builds a new TypeScript
 * Program, whose checker starts empty), and runs `ts.transpileModule` on each emitted file. For `import ... from
 * "skiplib"` that is some 60 files: most of a first skiplib cell's time, and again for every later cell that
 * imports it. A project file that type-checked without a single diagnostic is recorded as clean under a key that
 * covers everything its check and emit depend on; while the key holds, its check is skipped and its emitted
 * JavaScript (already transpiled to CommonJS) is replayed. The cell itself is always checked and emitted, and a
 * file with any diagnostic is never recorded, so errors are reported as without the cache.
 *
 * The key: TypeScript's and tslab's versions, Node's major version (tslab picks its target from it), the
 * project's package-lock.json and node_modules/.package-lock.json, the compiler options, and the name and text
 * hash of every project file in the Program (everything outside node_modules, the default libs and the cell's
 * own two files). A cell or earlier declarations with `declare global` / `declare module` could change how
 * project files check, so such a session bypasses the cache. An unreadable or malformed cache file is ignored.
 * How TypeScript consults it: typescript.ts.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import typescriptPackage = require("@tslab/typescript-for-tslab/package.json");
import tslabPackage = require("tslab/package.json");
import { writeFileAtomic } from "../../src/files/atomic-write";
import { lockFileHashes } from "./lock-files";

type Program = TS.Program;
type SourceFile = TS.SourceFile;

/** Bumped when the file format or what is stored changes. */
const FORMAT = 1;
/** Cache files kept per project (one per key: a few library versions, e.g. while editing src/). */
const KEEP = 4;

interface Entry {
  /** project files that checked with no diagnostic under this key */
  clean: Set<string>;
  /** what emitting each clean file wrote: [output file name, text] */
  outputs: Map<string, [string, string][]>;
  /** ts.transpileModule results for those outputs, by a hash of input and options */
  transpiled: Map<string, string>;
  dirty: boolean;
}

export interface CacheStats {
  /** project files whose check was skipped because they were clean under the current key */
  checksSkipped: number;
  /** project files type-checked (no valid record) */
  checksRun: number;
  /** project files whose emit was replayed */
  emitsReplayed: number;
  /** cache files that could not be read and were ignored */
  unreadable: number;
}

/** The on-disk record of clean project files, for one project root. */
export class DependencyCache {
  readonly stats: CacheStats = { checksSkipped: 0, checksRun: 0, emitsReplayed: 0, unreadable: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly textHashes = new WeakMap<SourceFile, string>();
  private readonly programKeys = new WeakMap<Program, string | null>();
  private readonly base: string;

  /**
   * @param dir where cache files go (<root>/.cache/kernel)
   * @param root the project root: its lock files are part of the key, its files are the "project files"
   */
  constructor(readonly dir: string, readonly root: string) {
    const tslab = tslabPackage.version;
    this.base = [FORMAT, typescriptPackage.version, tslab, process.versions.node.split(".")[0], ...lockFileHashes(root)].join("|");
  }

  /** The key for `program`, or undefined when its cells could change how project files check. */
  keyOf(program: Program): string | undefined {
    let key = this.programKeys.get(program);
    if (key === undefined) {
      key = null;
      const parts: string[] = [];
      let augmented = false;
      for (const file of program.getSourceFiles()) {
        if (isCellFile(file.fileName)) {
          if (/\bdeclare\s+(global|module)\b/.test(file.text)) augmented = true;
          continue;
        }
        if (!this.isProjectFile(program, file)) continue;
        let hash = this.textHashes.get(file);
        if (!hash) this.textHashes.set(file, (hash = sha(file.text)));
        parts.push(`${file.fileName}\0${hash}`);
      }
      if (!augmented) key = sha([this.base, JSON.stringify(program.getCompilerOptions()), ...parts.sort()].join("\n"));
      this.programKeys.set(program, key);
    }
    return key ?? undefined;
  }

  isProjectFile(program: Program, file: SourceFile): boolean {
    const name = file.fileName;
    return name.startsWith(`${this.root}/`) && !name.includes("/node_modules/") && !isCellFile(name) && !program.isSourceFileDefaultLibrary(file);
  }

  isClean(key: string, fileName: string): boolean {
    return this.entry(key).clean.has(fileName);
  }

  markClean(key: string, fileName: string): void {
    const entry = this.entry(key);
    if (entry.clean.has(fileName)) return;
    entry.clean.add(fileName);
    entry.dirty = true;
  }

  outputs(key: string, fileName: string): [string, string][] | undefined {
    const entry = this.entry(key);
    return entry.clean.has(fileName) ? entry.outputs.get(fileName) : undefined;
  }

  storeOutputs(key: string, fileName: string, outputs: [string, string][]): void {
    const entry = this.entry(key);
    entry.outputs.set(fileName, outputs);
    entry.dirty = true;
  }

  /** The recorded `ts.transpileModule` output for this input and these options. */
  transpiled(key: string, input: string, options: TS.TranspileOptions): string | undefined {
    return this.entry(key).transpiled.get(transpileHash(input, options));
  }

  storeTranspiled(key: string, input: string, options: TS.TranspileOptions, output: string): void {
    const entry = this.entry(key);
    entry.transpiled.set(transpileHash(input, options), output);
    entry.dirty = true;
  }

  /** Writes the records that changed (atomically: a reader sees the old file or the new one) and keeps the newest few. */
  save(): void {
    for (const [key, entry] of this.entries) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      const outputs = [...entry.outputs].filter(([file]) => entry.clean.has(file));
      const data = { format: FORMAT, key, clean: [...entry.clean], outputs: Object.fromEntries(outputs), transpiled: Object.fromEntries(entry.transpiled) };
      try {
        writeFileAtomic(this.fileFor(key), JSON.stringify(data));
        this.prune();
      } catch {
        // a read-only or full disk costs the next start its speed, nothing else
      }
    }
  }

  private fileFor(key: string): string {
    return join(this.dir, `deps-${key.slice(0, 32)}.json`);
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(key) ?? { clean: new Set(), outputs: new Map(), transpiled: new Map(), dirty: false };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private load(key: string): Entry | undefined {
    const file = this.fileFor(key);
    if (!existsSync(file)) return undefined;
    try {
      const data = JSON.parse(readFileSync(file, "utf8")) as { format?: unknown; key?: unknown; clean?: unknown; outputs?: unknown; transpiled?: unknown };
      if (data.format !== FORMAT || data.key !== key || !isStringArray(data.clean) || !isRecord(data.outputs) || !isRecord(data.transpiled)) throw new Error("malformed");
      const outputs = new Map<string, [string, string][]>();
      for (const [name, list] of Object.entries(data.outputs)) {
        if (!Array.isArray(list) || !list.every((pair) => isStringArray(pair) && pair.length === 2)) throw new Error("malformed");
        outputs.set(name, list as [string, string][]);
      }
      const transpiled = new Map<string, string>();
      for (const [hash, text] of Object.entries(data.transpiled)) {
        if (typeof text !== "string") throw new Error("malformed");
        transpiled.set(hash, text);
      }
      return { clean: new Set(data.clean), outputs, transpiled, dirty: false };
    } catch {
      this.stats.unreadable += 1;
      return undefined;
    }
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((name) => /^deps-[0-9a-f]+\.json$/.test(name))
      .map((name) => ({ name, mtime: statSync(join(this.dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { name } of files.slice(KEEP)) rmSync(join(this.dir, name), { force: true });
  }
}

function isCellFile(fileName: string): boolean {
  const name = basename(fileName);
  return name === "__tslab__.ts" || name === "__tslab__.js" || name === "__prev__.d.ts";
}

function sha(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function transpileHash(input: string, options: TS.TranspileOptions): string {
  return sha(`${JSON.stringify(options)}\0${input}`);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
