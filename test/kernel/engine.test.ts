// The engine in this process, without the Jupyter wire: what only its two threads can tell.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { Engine } from "../../kernel/engine";
import { root } from "./helpers";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MB = 2 ** 20;

// The kernel-level test (lifecycle.test.ts) sees only the main thread's heap; tslab's converter lives on the
// compiler thread, with a heap of its own that keeps every cell's declarations. Measured here: 78 MB after
// the first cell (TypeScript's lib and @types), +0.5 MB per 1,000 cells after the first 1,000; main thread +1.3 MB.
test("1,000 small cells after 1,000 more: both threads' heaps after a full collection grow by less than 20 MB", { timeout: 300_000 }, async () => {
  const engine = new Engine(root, join(root, "notebooks"));
  try {
    const heaps = () => {
      gc();
      return { main: process.memoryUsage().heapUsed, compiler: engine.compilerHeapAfterGc() };
    };
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) assert.equal((await engine.execute("n = n + 1;", `cell${i}.ts`)).status, "ok");
    };
    assert.equal((await engine.execute("let n = 0;", "cell0.ts")).status, "ok");
    await run(1000);
    const before = heaps();
    await run(1000);
    const after = heaps();
    const main = (after.main - before.main) / MB;
    const compiler = (after.compiler - before.compiler) / MB;
    console.log(`1,000 cells: main heap ${main.toFixed(1)} MB, compiler heap ${compiler.toFixed(1)} MB (of ${(after.compiler / MB).toFixed(0)} MB)`);
    assert.ok(main < 20, `the main thread's heap grew by ${main.toFixed(1)} MB`);
    assert.ok(compiler < 20, `the compiler thread's heap grew by ${compiler.toFixed(1)} MB`);
    assert.deepEqual(await engine.execute("n", "last.ts"), { status: "ok", hasValue: true, value: 2000 });
  } finally {
    engine.close();
  }
});
