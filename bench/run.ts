/**
 * `npm run bench [-- --quick] [name...]`: runs every bench/<name>.bench.ts (or those named), prints one table last
 * (ours, peer, ours/peer, goal, pass/fail) and writes bench/results/bench.json atomically.
 * A bench that throws is reported as a failed row, so one broken peer does not hide the other figures.
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../src/files/atomic-write";
import type { BenchContext, BenchRow } from "./types";

export type Verdict = "pass" | "FAIL" | "-";

export interface JudgedRow extends BenchRow {
  ratio?: number;
  verdict: Verdict;
}

/** Parses a goal such as "ratio ≤ 2", "≤ 30 s" or "≤ 2.5 (linear: ≈ 2)"; null when it names no bound. */
export function parseGoal(goal: string): { onRatio: boolean; op: "≤" | "≥"; bound: number } | null {
  const m = /^\s*(ratio\s*)?(≤|<=|<|≥|>=|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)/i.exec(goal);
  if (!m) return null;
  const op = m[2].startsWith("≤") || m[2].startsWith("<") ? "≤" : "≥";
  return { onRatio: Boolean(m[1]), op, bound: Number(m[3]) };
}

/** Adds ours/peer and a verdict against the row's goal ("-" when there is no goal or nothing to compare). */
export function judge(row: BenchRow): JudgedRow {
  const ratio = row.peer !== undefined && row.peer !== 0 && Number.isFinite(row.ours) ? row.ours / row.peer : undefined;
  const goal = row.goal ? parseGoal(row.goal) : null;
  let verdict: Verdict = "-";
  if (row.goal && !Number.isFinite(row.ours)) verdict = "FAIL";
  else if (goal) {
    const value = goal.onRatio ? ratio : row.ours;
    if (value !== undefined) verdict = (goal.op === "≤" ? value <= goal.bound : value >= goal.bound) ? "pass" : "FAIL";
  }
  return { ...row, ...(ratio !== undefined ? { ratio } : {}), verdict };
}

function fmt(value: number | undefined): string {
  if (value === undefined) return "";
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 0.01 || abs === 0 ? value.toFixed(3) : value.toExponential(2);
}

/** The plain-text table: one line per row, columns padded, notes after. */
export function formatTable(rows: JudgedRow[]): string {
  const header = ["group", "name", "ours", "peer", "ours/peer", "goal", "result"];
  const lines = rows.map((r) => [
    r.group,
    r.name,
    `${fmt(r.ours)} ${r.unit}`,
    r.peer !== undefined ? `${fmt(r.peer)} ${r.unit}${r.peerName ? ` (${r.peerName})` : ""}` : "",
    r.ratio !== undefined ? fmt(r.ratio) : "",
    r.goal ?? "",
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.group} / ${r.name}: ${r.note}`);
  if (notes.length) out.push("", "notes:", ...notes);
  return out.join("\n");
}

/** Bench names available under dir: "training" for training.bench.ts. */
export function benchNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".bench.ts")).map((f) => f.slice(0, -".bench.ts".length)).sort();
}

export async function runBenches(root: string, names: string[], quick: boolean, log: (m: string) => void): Promise<JudgedRow[]> {
  const dir = join(root, "bench");
  const available = benchNames(dir);
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length) throw new Error(`Unknown bench ${unknown.map((n) => `"${n}"`).join(", ")}; available: ${available.join(", ")}`);
  const selected = names.length ? names : available;
  const rows: JudgedRow[] = [];
  for (const name of selected) {
    const ctx: BenchContext = { root, quick, log: (m) => log(`[${name}] ${m}`) };
    const start = Date.now();
    log(`[${name}] start${quick ? " (quick)" : ""}`);
    try {
      const mod = await import(join(dir, `${name}.bench.ts`));
      const fn = (mod.default?.default ?? mod.default) as (c: BenchContext) => Promise<BenchRow[]>;
      if (typeof fn !== "function") throw new Error(`bench/${name}.bench.ts has no default export function`);
      for (const row of await fn(ctx)) rows.push(judge(row));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`[${name}] failed: ${message}`);
      rows.push({ group: name, name: "bench threw", ours: NaN, unit: "", lowerIsBetter: true, goal: "runs", verdict: "FAIL", note: message.split("\n")[0] });
    }
    log(`[${name}] done in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const bad = args.filter((a) => a.startsWith("-") && a !== "--quick");
  if (bad.length) throw new Error(`Unknown option ${bad.join(", ")}; usage: npm run bench -- [--quick] [name...]`);
  const names = args.filter((a) => !a.startsWith("-")).map((a) => a.replace(/^bench\//, "").replace(/\.bench\.ts$/, ""));
  const root = resolve(__dirname, "..");
  const started = new Date();
  const rows = await runBenches(root, names, quick, (m) => console.error(m));
  writeFileAtomic(join(root, "bench", "results", "bench.json"), JSON.stringify({ started: started.toISOString(), quick, node: process.version, rows }, null, 2) + "\n");
  console.log("\n" + formatTable(rows));
  // A missed goal is a figure to read, not a crash; only a bench that could not run fails the command.
  if (rows.some((r) => r.name === "bench threw")) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
