// --shard K/N: a deterministic split, balanced by recorded durations when every notebook has one, by name otherwise;
// N shards written to one --out folder hold what one run writes there.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { parseShard, recordedDurations, runNotebook, shardPaths, type Notebook } from "../../src/runner";
import { fixtures, hasPythonKernel, pythonKernelDirs, root } from "./kernels";

const scratch = mkdtempSync(join(tmpdir(), "skipbook-shard-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("shards", () => {
  test("K/N is parsed, and anything else is refused naming the form", () => {
    assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
    for (const bad of ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"]) assert.throws(() => parseShard(bad), /--shard must be K\/N with 1 ≤ K ≤ N/, bad);
  });

  test("by name: every notebook in exactly one shard, the same split wherever the project lives and whatever the order given", () => {
    const names = ["00-a", "01-b", "02-c", "03-d", "04-e", "05-f", "06-g"].map((n) => `${n}.ipynb`);
    const here = names.map((n) => `/home/x/book/notebooks/${n}`);
    const there = [...names].reverse().map((n) => `/builds/job-7/notebooks/${n}`);
    const split = (paths: string[]) => [1, 2, 3].map((k) => shardPaths(paths, { index: k, count: 3 }));
    const mine = split(here);
    assert.deepEqual(mine.map((s) => s.by), ["name", "name", "name"]);
    assert.deepEqual(mine.flatMap((s) => s.paths).sort(), [...here].sort());
    const base = (paths: string[]) => paths.map((p) => p.split("/").pop()).sort();
    assert.deepEqual(split(there).map((s) => base(s.paths)), mine.map((s) => base(s.paths)));
    assert.deepEqual(base(mine[0].paths), ["00-a.ipynb", "03-d.ipynb", "06-g.ipynb"]);
    assert.deepEqual(shardPaths(here.slice(0, 2), { index: 3, count: 3 }).paths, [], "more shards than notebooks: an empty one");
  });

  test("by recorded durations: longest first onto the lightest shard; a notebook without one means by name", () => {
    const durations = new Map([["a", 10], ["b", 9], ["c", 2], ["d", 1]]);
    const paths = ["a", "b", "c", "d"];
    assert.deepEqual(shardPaths(paths, { index: 1, count: 2 }, durations), { paths: ["a", "d"], by: "durations" });
    assert.deepEqual(shardPaths(paths, { index: 2, count: 2 }, durations), { paths: ["b", "c"], by: "durations" });
    assert.equal(shardPaths([...paths, "e"], { index: 1, count: 2 }, durations).by, "name");
  });

  describe("on ipykernel", { skip: !hasPythonKernel && "no .venvs/jupyter (run node scripts/setup.mjs)" }, () => {
    const kernelDirs = hasPythonKernel ? pythonKernelDirs() : [];
    const notebooks = ["py-outputs.ipynb", "py-cache.ipynb", "py-parameters.ipynb"].map((n) => join(fixtures, n));

    test("the cache records each notebook's duration, for the next split", async () => {
      const cacheDir = join(scratch, "durations");
      assert.equal(recordedDurations(notebooks, cacheDir).size, 0);
      const { summary } = await runNotebook(notebooks[1], { kernelName: "pyk", kernelDirs, cacheDir });
      const recorded = recordedDurations(notebooks, cacheDir);
      assert.deepEqual([...recorded.keys()], [notebooks[1]]);
      assert.equal(recorded.get(notebooks[1]), summary.durationMs);
    });

    function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
      return new Promise((resolveRun) => {
        const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), "run", ...args, "--kernel", "pyk"], {
          env: { ...process.env, JUPYTER_PATH: dirname(kernelDirs[0]) },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (c) => (stderr += c));
        child.on("close", (exit) => resolveRun({ code: exit, stderr }));
      });
    }
    const written = (dir: string) =>
      Object.fromEntries(readdirSync(dir).sort().map((name) => {
        const nb = JSON.parse(readFileSync(join(dir, name), "utf8")) as Notebook;
        for (const cell of nb.cells) delete cell.metadata.execution; // timing differs from run to run
        // the project's part of the run's identity hashes this repository's src/, which other work may edit meanwhile
        const run = (nb.metadata.skipbook as { run: Record<string, unknown> }).run;
        assert.match(String(run.project), /^[0-9a-f]{64}$/);
        delete run.project;
        delete run.key;
        return [name, nb];
      }));

    test("CLI: shards 1/2 and 2/2 together write what one run writes", async () => {
      const whole = join(scratch, "whole");
      const sharded = join(scratch, "sharded");
      mkdirSync(sharded);
      const one = await cli([...notebooks, "--out", whole, "--cache-dir", join(scratch, "c0")]);
      assert.equal(one.code, 0, one.stderr);
      const first = await cli([...notebooks, "--out", sharded, "--cache-dir", join(scratch, "c1"), "--shard", "1/2"]);
      const second = await cli([...notebooks, "--out", sharded, "--cache-dir", join(scratch, "c2"), "--shard", "2/2"]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.match(first.stderr, /^shard 1\/2: 2 of 3 notebooks, dealt out by name\n/);
      assert.match(second.stderr, /^shard 2\/2: 1 of 3 notebooks, dealt out by name\n/);
      assert.deepEqual(written(sharded), written(whole));
      const bad = await cli([...notebooks, "--shard", "3/2"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--shard must be K\/N with 1 ≤ K ≤ N .*got "3\/2"/);
    });
  });
});
