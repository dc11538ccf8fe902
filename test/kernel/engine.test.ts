// The engine driven from this process, without the Jupyter wire: what only the engine can tell.
import assert from "node:assert/strict";
import Module from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { Engine } from "../../kernel/engine";
import { startCompiler } from "../../kernel/startup";
import { root } from "./helpers";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MB = 2 ** 20;

// The kernel-level test (lifecycle.test.ts) sees only the kernel process's heap; tslab's converter lives in the
// compiler process, whose heap keeps every cell's declarations. Measured here: 82 MB after the first 1,000 cells
// (TypeScript's lib and @types included), then +0.3 MB per 1,000; the kernel's own heap -0.1 MB.
test("1,000 small cells after 1,000 more: the kernel's and the compiler's heaps after a full collection grow by less than 20 MB", { timeout: 300_000 }, async () => {
  const engine = new Engine(startCompiler({ root, cellDir: join(root, "notebooks") }, "lazy"));
  try {
    const heaps = async () => {
      gc();
      return { main: process.memoryUsage().heapUsed, compiler: await engine.compilerHeapAfterGc() };
    };
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) assert.equal((await engine.execute("n = n + 1;", `cell${i}.ts`)).status, "ok");
    };
    assert.equal((await engine.execute("let n = 0;", "cell0.ts")).status, "ok");
    await run(1000);
    const before = await heaps();
    await run(1000);
    const after = await heaps();
    const main = (after.main - before.main) / MB;
    const compiler = (after.compiler - before.compiler) / MB;
    console.log(`1,000 cells: main heap ${main.toFixed(1)} MB, compiler heap ${compiler.toFixed(1)} MB (of ${(after.compiler / MB).toFixed(0)} MB)`);
    assert.ok(main < 20, `the main thread's heap grew by ${main.toFixed(1)} MB`);
    assert.ok(compiler < 20, `the compiler process's heap grew by ${compiler.toFixed(1)} MB`);
    assert.deepEqual(await engine.execute("n", "last.ts"), { status: "ok", hasValue: true, value: 2000 });
  } finally {
    engine.close();
  }
});

// TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, as tfjs-node loads; the kernel loads it before any cell imports
// skiplib, so that load must make skiplib's choice (oneDNN on x86-64) unless the reader chose.
for (const [reader, expected] of [[undefined, process.arch === "x64" ? "1" : undefined], ["0", "0"]] as const) {
  test(`the kernel's ahead-of-time tfjs-node load sees TF_ENABLE_ONEDNN_OPTS=${expected} when the reader set ${reader ?? "nothing"}`, { timeout: 120_000 }, async () => {
    const saved = process.env.TF_ENABLE_ONEDNN_OPTS;
    if (reader === undefined) delete process.env.TF_ENABLE_ONEDNN_OPTS;
    else process.env.TF_ENABLE_ONEDNN_OPTS = reader;
    const engine = new Engine(startCompiler({ root, cellDir: join(root, "notebooks") }, "no-snapshot"));
    const seenAtLoad: (string | undefined)[] = [];
    const load = Module.prototype.require;
    Module.prototype.require = function (this: Module, id: string) {
      if (id === "@tensorflow/tfjs-node") seenAtLoad.push(process.env.TF_ENABLE_ONEDNN_OPTS);
      return load.call(this, id);
    } as typeof load;
    try {
      assert.ok(engine.aheadOfTime.includes("@tensorflow/tfjs-node"));
      engine.loadPackages();
      assert.deepEqual(seenAtLoad, [expected]);
    } finally {
      Module.prototype.require = load;
      engine.close();
      if (saved === undefined) delete process.env.TF_ENABLE_ONEDNN_OPTS;
      else process.env.TF_ENABLE_ONEDNN_OPTS = saved;
    }
  });
}
