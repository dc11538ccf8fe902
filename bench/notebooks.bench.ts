/**
 * How long each chapter takes to execute headlessly with the project's runner and kernel, against the book's
 * budget: ≤ 5 minutes per chapter, and the nine together within 20 minutes two at a time (`npm start`), which
 * one at a time is at most twice that. Always a fresh run (force), one at a time, so the figures are per-notebook
 * times, not shares of a parallel batch. Nets a later chapter shares with an earlier one come from the trained-net
 * cache as in `npm start`.
 * `quick` times only the introduction.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runNotebook } from "../src/runner";
import type { BenchContext, BenchRow } from "./types";

const NOTEBOOK_BUDGET_S = 300;
const BOOK_BUDGET_S = 2400;

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = join(ctx.root, "notebooks");
  let files = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
  if (ctx.quick) files = files.slice(0, 1);
  const rows: BenchRow[] = [];
  let total = 0;
  for (const file of files) {
    ctx.log(`notebooks: executing ${file}`);
    const { summary } = await runNotebook(join(dir, file), { force: true, timeoutSeconds: NOTEBOOK_BUDGET_S });
    const seconds = summary.durationMs / 1000;
    total += seconds;
    rows.push({
      group: "notebooks",
      name: file.replace(/\.ipynb$/, ""),
      ours: seconds,
      unit: "s",
      lowerIsBetter: true,
      goal: `≤ ${NOTEBOOK_BUDGET_S} s`,
      note: summary.ok ? `${summary.cellsExecuted} cells` : `FAILED: ${summary.error?.ename ?? summary.failure}: ${summary.error?.evalue ?? summary.message ?? ""}`.slice(0, 200),
    });
  }
  if (!ctx.quick) {
    rows.push({ group: "notebooks", name: "whole book (sequential)", ours: total, unit: "s", lowerIsBetter: true, goal: `≤ ${BOOK_BUDGET_S} s` });
  }
  return rows;
}
