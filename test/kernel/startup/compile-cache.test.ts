// The on-disk record of clean project files (kernel/startup/compile-cache.ts): a second kernel skips their check and
// replays their emit, yet any change to a file, a type error or a corrupt cache file gives the full check again.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Engine } from "../../../kernel/engine";
import { startCompiler } from "../../../kernel/startup";
import { DependencyCache, type CacheStats } from "../../../kernel/startup/compile-cache";
import { ts } from "../../../kernel/startup/typescript";
import { root } from "../helpers";

const project = mkdtempSync(join(tmpdir(), "skipbook-compile-cache-"));
after(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, "package.json"), '{ "name": "cache-probe", "private": true }\n');
writeFileSync(join(project, "package-lock.json"), '{ "lockfileVersion": 3 }\n');
symlinkSync(join(root, "node_modules"), join(project, "node_modules"), "dir");
mkdirSync(join(project, "lib"));
writeFileSync(join(project, "lib", "scale.ts"), "export const factor: number = 3;\n");
writeFileSync(join(project, "lib", "index.ts"), 'import { factor } from "./scale";\nexport function triple(x: number): number {\n  return x * factor;\n}\n');
const cacheDir = join(project, ".cache", "kernel");
const CELL = 'import { triple } from "./lib/index";\ntriple(14)';

/** A fresh engine (as in a new kernel) runs `code`; its cache counters are read before it closes. */
async function runCell(code = CELL): Promise<{ stats: CacheStats; outcome: Awaited<ReturnType<Engine["execute"]>> }> {
  const engine = new Engine(startCompiler({ root: project, cellDir: project }, "lazy"));
  try {
    const outcome = await engine.execute(code, "cell1.ts");
    const stats = (await engine.cacheStats()) as CacheStats;
    assert.ok(stats, "the cache is on");
    return { stats, outcome };
  } finally {
    engine.close();
  }
}

test("a second kernel skips the check of unchanged clean files and replays their emit, with the same result", { timeout: 120_000 }, async () => {
  const first = await runCell();
  assert.deepEqual(first.outcome, { status: "ok", hasValue: true, value: 42 });
  assert.equal(first.stats.checksRun, 2, "both library files are checked the first time");
  assert.equal(readdirSync(cacheDir).filter((name) => /^deps-.*\.json$/.test(name)).length, 1);

  const second = await runCell();
  assert.deepEqual(second.outcome, { status: "ok", hasValue: true, value: 42 });
  assert.deepEqual(second.stats, { checksSkipped: 2, checksRun: 0, emitsReplayed: 2, unreadable: 0 });

  // the cell itself is always checked
  const wrong = await runCell('import { triple } from "./lib/index";\nconst s: string = triple(1);');
  assert.equal(wrong.outcome.status, "error");
  assert.match(wrong.outcome.status === "error" ? wrong.outcome.evalue : "", /TS2322: Type 'number' is not assignable to type 'string'/);
});

test("an edited library file is checked again and its type error reported, every time", { timeout: 120_000 }, async () => {
  writeFileSync(join(project, "lib", "scale.ts"), 'export const factor: number = "3";\n');
  for (let run = 0; run < 2; run++) {
    const { stats, outcome } = await runCell();
    assert.equal(outcome.status, "error", `run ${run}`);
    assert.match(outcome.status === "error" ? outcome.evalue : "", /TS2322: Type 'string' is not assignable to type 'number'\. \(lib\/scale\.ts line 1, column 14\)/);
    assert.ok(stats.checksRun >= 1, `run ${run}: the file with the error is never taken from the cache`);
  }
  writeFileSync(join(project, "lib", "scale.ts"), "export const factor: number = 2;\n");
  const fixed = await runCell();
  assert.deepEqual(fixed.outcome, { status: "ok", hasValue: true, value: 28 }, "the new text is compiled, not the cached output");
});

test("a corrupt cache file is ignored and rewritten (TypeScript's V8 code cache too)", { timeout: 120_000 }, async () => {
  rmSync(cacheDir, { recursive: true, force: true });
  await runCell();
  const records = () => readdirSync(cacheDir).filter((name) => /^deps-.*\.json$/.test(name));
  assert.equal(records().length, 1);
  // the code cache, when the thread has written it yet, is garbage now too: V8 rejects it and TypeScript compiles
  for (const name of readdirSync(cacheDir)) writeFileSync(join(cacheDir, name), '{"format":1,"key":');
  const { stats, outcome } = await runCell();
  assert.deepEqual(outcome, { status: "ok", hasValue: true, value: 28 });
  assert.equal(stats.unreadable, 1);
  assert.equal(stats.checksRun, 2);
  for (const name of records()) assert.doesNotThrow(() => JSON.parse(readFileSync(join(cacheDir, name), "utf8")));
  const again = await runCell();
  assert.equal(again.stats.checksSkipped, 2);
});

test("cells that augment the global scope turn the cache off (they could change how library files check)", () => {
  const options = { noEmit: true, skipLibCheck: true, noLib: true };
  const keyWith = (cell: string) => {
    writeFileSync(join(project, "__tslab__.ts"), cell);
    const cache = new DependencyCache(cacheDir, project);
    return cache.keyOf(ts.createProgram([join(project, "__tslab__.ts"), join(project, "lib", "index.ts")], options));
  };
  try {
    const plain = keyWith("export const a = 1;\n");
    assert.match(plain ?? "", /^[0-9a-f]{64}$/);
    assert.equal(keyWith("export const a = 2;\n"), plain, "the cell's own text is not part of the key");
    assert.equal(keyWith("export {};\ndeclare global {\n  interface Number {\n    unit?: string;\n  }\n}\n"), undefined);
    assert.equal(keyWith('export {};\ndeclare module "./lib/scale" {\n  export const extra: number;\n}\n'), undefined);
  } finally {
    rmSync(join(project, "__tslab__.ts"), { force: true });
  }
});
