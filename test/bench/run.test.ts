import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTable, judge, parseGoal, runBenches } from "../../bench/run";

test("goals the bench modules use are parsed", () => {
  assert.deepEqual(parseGoal("ratio ≤ 2"), { onRatio: true, op: "≤", bound: 2 });
  assert.deepEqual(parseGoal("ratio ≥ 0.5"), { onRatio: true, op: "≥", bound: 0.5 });
  assert.deepEqual(parseGoal("≤ 30 s"), { onRatio: false, op: "≤", bound: 30 });
  assert.deepEqual(parseGoal("≤ 2.5 (linear: ≈ 2)"), { onRatio: false, op: "≤", bound: 2.5 });
  assert.equal(parseGoal("as fast as possible"), null);
});

test("verdicts compare the ratio or the figure itself against the goal", () => {
  const base = { group: "g", name: "n", unit: "s", lowerIsBetter: true };
  assert.equal(judge({ ...base, ours: 3, peer: 2, goal: "ratio ≤ 2" }).verdict, "pass");
  assert.equal(judge({ ...base, ours: 5, peer: 2, goal: "ratio ≤ 2" }).verdict, "FAIL");
  assert.equal(judge({ ...base, ours: 5, peer: 2, goal: "ratio ≤ 2" }).ratio, 2.5);
  assert.equal(judge({ ...base, ours: 40, goal: "≤ 30 s" }).verdict, "FAIL");
  assert.equal(judge({ ...base, ours: 1, peer: 4, goal: "ratio ≥ 0.5" }).verdict, "FAIL");
  assert.equal(judge({ ...base, ours: 1 }).verdict, "-");
  assert.equal(judge({ ...base, ours: NaN, goal: "≤ 1 s" }).verdict, "FAIL");
});

test("runs the named benches, reports a throwing one as a failed row, and rejects unknown names", async () => {
  const root = mkdtempSync(join(tmpdir(), "bench-run-"));
  try {
    mkdirSync(join(root, "bench"));
    writeFileSync(join(root, "bench", "good.bench.ts"), `export default async function bench(ctx: any) { return [{ group: "good", name: ctx.quick ? "quick" : "full", ours: 1, peer: 2, peerName: "p", unit: "ms", lowerIsBetter: true, goal: "ratio ≤ 1" }]; }\n`);
    writeFileSync(join(root, "bench", "bad.bench.ts"), `export default async function bench() { throw new Error("peer missing"); }\n`);
    const rows = await runBenches(root, [], true, () => {});
    assert.deepEqual(rows.map((r) => [r.group, r.name, r.verdict]), [["bad", "bench threw", "FAIL"], ["good", "quick", "pass"]]);
    const table = formatTable(rows);
    assert.match(table, /good\s+quick\s+1\.000 ms\s+2\.000 ms \(p\)\s+0\.500\s+ratio ≤ 1\s+pass/);
    assert.match(table, /peer missing/);
    const only = await runBenches(root, ["good"], false, () => {});
    assert.deepEqual(only.map((r) => r.name), ["full"]);
    await assert.rejects(runBenches(root, ["nope"], false, () => {}), /Unknown bench "nope"; available: bad, good/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
