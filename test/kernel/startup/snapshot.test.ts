// The compiler's startup snapshot (kernel/startup/snapshot.ts): built once for a project, it starts the compiler
// with the ahead-of-time imports already checked; any change to a file the build read, to the module list or to a
// lock file retires it, and a damaged one falls back to a start from source without losing the cell.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Engine } from "../../../kernel/engine";
import { AHEAD_OF_TIME_MODULES, buildCompilerSnapshot, findCompilerSnapshot, snapshotDir, startCompiler, type StartupLevel } from "../../../kernel/startup";
import { delay, ofType, root, startKernel } from "../helpers";

const project = mkdtempSync(join(tmpdir(), "skipbook-snapshot-"));
after(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, "package.json"), '{ "name": "snapshot-probe", "private": true }\n');
writeFileSync(join(project, "package-lock.json"), '{ "lockfileVersion": 3 }\n');
symlinkSync(join(root, "node_modules"), join(project, "node_modules"), "dir");
mkdirSync(join(project, "src", "skiplib"), { recursive: true });
const library = join(project, "src", "skiplib", "index.ts");
const LIBRARY = "export function triple(x: number): number {\n  return 3 * x;\n}\n";
writeFileSync(library, LIBRARY);
// "skiplib" resolves through the project's path alias, as in this checkout
const TSCONFIG = JSON.stringify({ compilerOptions: { baseUrl: ".", paths: { skiplib: ["src/skiplib/index.ts"] } } });
writeFileSync(join(project, "tsconfig.json"), TSCONFIG);
const WARM = ["skiplib"];
const CELL = 'import { triple } from "skiplib";\ntriple(14)';

/** An engine as a kernel at `level` makes it, for this project. */
function engineAt(level: StartupLevel): Engine {
  return new Engine(startCompiler({ root: project, cellDir: project }, level, WARM));
}

async function runCell(): Promise<{ fromSnapshot: boolean; outcome: Awaited<ReturnType<Engine["execute"]>> }> {
  const engine = engineAt("full");
  try {
    return { fromSnapshot: engine.fromSnapshot, outcome: await engine.execute(CELL, "cell1.ts") };
  } finally {
    engine.close();
  }
}

test("a snapshot built for a project starts its compiler with the imports checked; the cell runs as from source", { timeout: 180_000 }, async () => {
  assert.equal(findCompilerSnapshot(project, WARM), undefined, "none before the build");
  const blob = await buildCompilerSnapshot(project, WARM);
  assert.equal(findCompilerSnapshot(project, WARM), blob);
  const restored = await runCell();
  assert.equal(restored.fromSnapshot, true);
  assert.deepEqual(restored.outcome, { status: "ok", hasValue: true, value: 42 });
  // the snapshot holds TypeScript's lib and @types/node (a bundle once hid them, and only the compile cache's
  // skipped checks kept that quiet): cells using them check, and a type error is still one
  const engine = engineAt("full");
  try {
    assert.equal(engine.fromSnapshot, true);
    const lib = await engine.execute('const seen = new Map<string, number>([["a", 1]]);\n[1, 2, 3].map((x) => Math.max(x, 2)).join(",") + seen.size + process.platform.length', "cell1.ts");
    assert.deepEqual(lib, { status: "ok", hasValue: true, value: `2,2,31${process.platform.length}` });
    const wrong = await engine.execute('const n: number = "three";', "cell2.ts");
    assert.equal(wrong.status, "error");
    assert.match(wrong.status === "error" ? wrong.evalue : "", /TS2322/);
  } finally {
    engine.close();
  }
});

test("an edited file the build read, or its tsconfig.json, retires the snapshot; its old text brings it back; other modules find none; below level full it is not used", { timeout: 180_000 }, async () => {
  if (!findCompilerSnapshot(project, WARM)) await buildCompilerSnapshot(project, WARM);
  writeFileSync(join(project, "tsconfig.json"), TSCONFIG.replace("baseUrl", "baseUrl\u0020"));
  assert.equal(findCompilerSnapshot(project, WARM), undefined, "tsconfig.json edited");
  writeFileSync(join(project, "tsconfig.json"), TSCONFIG);
  writeFileSync(library, LIBRARY.replace("3 * x", "4 * x"));
  try {
    assert.equal(findCompilerSnapshot(project, WARM), undefined);
    // a kernel at level full would now build a new one in the background; this engine is made without that
    const engine = engineAt("no-snapshot");
    try {
      assert.equal(engine.fromSnapshot, false);
      assert.deepEqual(await engine.execute(CELL, "cell1.ts"), { status: "ok", hasValue: true, value: 56 }, "the new text, not the snapshot's");
    } finally {
      engine.close();
    }
  } finally {
    writeFileSync(library, LIBRARY);
  }
  assert.ok(findCompilerSnapshot(project, WARM));
  assert.equal(findCompilerSnapshot(project, ["skiplib", "skipbook"]), undefined);
  for (const level of ["no-snapshot", "lazy", "off"] as const) {
    const engine = engineAt(level);
    try {
      assert.equal(engine.fromSnapshot, false, level);
      assert.deepEqual(await engine.execute(CELL, "cell1.ts"), { status: "ok", hasValue: true, value: 42 }, level);
    } finally {
      engine.close();
    }
  }
});

test("a damaged snapshot: the compiler starts again from source and the cell still runs", { timeout: 180_000 }, async () => {
  const blob = findCompilerSnapshot(project, WARM) ?? (await buildCompilerSnapshot(project, WARM));
  writeFileSync(blob, "not a snapshot");
  try {
    const { outcome } = await runCell();
    assert.deepEqual(outcome, { status: "ok", hasValue: true, value: 42 });
  } finally {
    rmSync(blob);
  }
});

test("a kernel with no up-to-date snapshot builds one in the background, and the next kernel starts from it", { timeout: 240_000 }, async () => {
  rmSync(snapshotDir(project), { recursive: true, force: true });
  const first = engineAt("full");
  try {
    assert.equal(first.fromSnapshot, false);
    assert.deepEqual(await first.execute(CELL, "cell1.ts"), { status: "ok", hasValue: true, value: 42 });
    let waited = 0;
    while (!findCompilerSnapshot(project, WARM) && waited < 180_000) {
      await delay(500);
      waited += 500;
    }
  } finally {
    first.close();
  }
  assert.ok(findCompilerSnapshot(project, WARM), "built within 3 min");
  assert.deepEqual(readdirSync(snapshotDir(project)).filter((name) => name.endsWith(".tmp") || name === "build.lock"), [], "no temp files or lock left");
  const second = await runCell();
  assert.equal(second.fromSnapshot, true);
  assert.deepEqual(second.outcome, { status: "ok", hasValue: true, value: 42 });
});

test("the skipbook kernel on this checkout starts its compiler from the snapshot set-up built; a skiplib cell runs", { timeout: 180_000 }, async () => {
  if (!findCompilerSnapshot(root, AHEAD_OF_TIME_MODULES)) await buildCompilerSnapshot(root, AHEAD_OF_TIME_MODULES);
  const kernel = await startKernel({ startup: "full" });
  try {
    const { reply, iopub } = await kernel.client.execute('import { tf } from "skiplib";\ntf.tensor1d([1, 2]).sum().dataSync()[0]', { timeoutMs: 60_000 });
    assert.equal(reply.content.status, "ok", JSON.stringify(reply.content));
    assert.equal(ofType(iopub, "execute_result")[0].content.data["text/plain"], "3");
    assert.match(kernel.logTail(), /compiler started from its snapshot .*ahead-of-time imports \(@tensorflow\/tfjs-node, skiplib, skipbook\) checked when it was built/);
    assert.doesNotMatch(kernel.logTail(), /starting it from source|warm-up failed/);
  } finally {
    await kernel.shutdown();
  }
});
