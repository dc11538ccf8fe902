/**
 * `--shard K/N`: which of the given notebooks this job runs, so that N CI jobs together run each notebook once.
 * Deterministic: every job computes the same split from the same inputs. When the cache holds a recorded duration for
 * every notebook, the split balances them (longest first, each to the shard with the least work so far); otherwise it
 * deals the notebooks out in name order.
 */
import { basename } from "node:path";
import { cachedNotebookPath, cacheRecordPath, defaultCacheDir, type CacheRecord } from "./cache";
import { readFileSync } from "node:fs";

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** "2/3" → { index: 2, count: 3 }; throws naming the expected form. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard must be K/N with 1 ≤ K ≤ N (this job's share of N), got "${text}"`);
  }
  return { index, count };
}

export interface ShardPlan {
  /** this shard's notebooks, in the order given */
  paths: string[];
  /** how the split was made */
  by: "durations" | "name";
}

/** This shard's share of `paths`; `durations` (ms by path) balance the split when every path has one. */
export function shardPaths(paths: string[], shard: Shard, durations: Map<string, number> = new Map()): ShardPlan {
  // name order must not depend on where the project lives: file name first, the path only to break ties
  const byName = [...new Set(paths)].sort((a, b) => compare(basename(a), basename(b)) || compare(a, b));
  const timed = byName.every((p) => durations.has(p));
  const mine = new Set<string>();
  if (timed) {
    const loads = new Array<number>(shard.count).fill(0);
    const longestFirst = [...byName].sort((a, b) => durations.get(b)! - durations.get(a)!); // stable: ties keep name order
    for (const path of longestFirst) {
      const lightest = loads.indexOf(Math.min(...loads));
      loads[lightest] += durations.get(path)!;
      if (lightest === shard.index - 1) mine.add(path);
    }
  } else {
    byName.forEach((path, i) => i % shard.count === shard.index - 1 && mine.add(path));
  }
  return { paths: paths.filter((p, i) => mine.has(p) && paths.indexOf(p) === i), by: timed ? "durations" : "name" };
}

/** The durations the cache recorded for the last successful default run of each notebook (ms), where there is one. */
export function recordedDurations(paths: string[], cacheDir?: string, root?: string): Map<string, number> {
  const durations = new Map<string, number>();
  for (const path of paths) {
    try {
      const copy = cachedNotebookPath(path, cacheDir ?? defaultCacheDir(root), root);
      const record = JSON.parse(readFileSync(cacheRecordPath(copy), "utf8")) as CacheRecord;
      if (record.ok && !record.summary.cached && record.summary.durationMs > 0) durations.set(path, record.summary.durationMs);
    } catch {
      // never run here: no duration
    }
  }
  return durations;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
