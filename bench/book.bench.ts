/**
 * Book build time from executed notebooks (issue 7: ≤ 30 s on this machine): conversion plus `vitepress build`.
 * Uses the project's chapters when every one has an executed copy in the runner's cache, else the fixture book.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBook, cachedExecutedNotebook, type BuildResult } from "../src/book/build";
import { loadBookConfig } from "../src/book/config";
import { loadSummary } from "../src/book/summary";
import type { BenchContext, BenchRow } from "./types";

function projectChaptersCached(root: string): boolean {
  const config = loadBookConfig(join(root, "book.toml"));
  const entries = loadSummary(join(config.src, "SUMMARY.md")).entries.filter((e) => e.path?.endsWith(".ipynb"));
  return entries.every((e) => {
    const file = join(config.src, e.path!);
    return existsSync(file) && cachedExecutedNotebook(root, file) !== undefined;
  });
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const stagingDir = join(ctx.root, ".cache", "bench-book-site");
  const outDir = join(ctx.root, "build", "bench-book");
  let result: BuildResult;
  let which: string;
  if (projectChaptersCached(ctx.root)) {
    which = "project book";
    ctx.log("book: building the project's book from cached executed notebooks");
    result = await buildBook({ root: ctx.root, execute: false, stagingDir, outDir, log: ctx.log });
  } else {
    which = "fixture book";
    ctx.log("book: not every chapter has a cached executed copy; timing the fixture book instead");
    const fixture = join(ctx.root, "test", "fixtures", "book");
    const chapters = ["01-residual.ipynb", "02-identity.ipynb"];
    const executed = new Map(chapters.map((c) => [c, JSON.parse(readFileSync(join(fixture, "src", c), "utf8"))]));
    result = await buildBook({ root: ctx.root, configFile: join(fixture, "book.toml"), executed, stagingDir, outDir, log: () => undefined });
  }
  const pages = result.pages.length;
  const figures = result.pages.reduce((n, p) => n + p.figures, 0);
  const note = `${which}: ${pages} pages, ${figures} figures`;
  return [
    { group: "book", name: "build from executed notebooks", ours: result.timings.totalMs / 1000, unit: "s", lowerIsBetter: true, goal: "≤ 30 s", note },
    { group: "book", name: "notebook → chapter conversion", ours: result.timings.convertMs / 1000, unit: "s", lowerIsBetter: true, note },
    { group: "book", name: "vitepress build", ours: result.timings.vitepressMs / 1000, unit: "s", lowerIsBetter: true, note },
  ];
}
