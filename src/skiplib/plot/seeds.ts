/**
 * Figures that show the spread over seeds: one faint line per seed under a bold mean line, or the mean with
 * error bars spanning the range (min to max) over seeds.
 */
import type { Figure, Trace } from "./figure";
import { summarize } from "../stats/seeds";

/** Plotly.js's default colour sequence, so a family's seed lines and its mean line share a colour. */
const COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** One family (an arm of a comparison): the same x for every seed, one y series per seed. */
export interface SeedSeries {
  name: string;
  /** Depths, epochs, or category names (bars). */
  x: Array<number | string>;
  /** perSeed[i] is seed i's y values, one per x. */
  perSeed: number[][];
}

export interface SeedPlotOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  logY?: boolean;
  /** Labels of the seeds, for the faint lines' hover text (default "seed 1", "seed 2", …). */
  seeds?: number[];
}

function checkSeries(s: SeedSeries): void {
  if (s.perSeed.length === 0) throw new Error(`${s.name}: perSeed must hold at least one seed's values`);
  for (const [i, ys] of s.perSeed.entries()) {
    if (ys.length !== s.x.length) throw new Error(`${s.name}: seed ${i} has ${ys.length} values for ${s.x.length} x values`);
  }
}

const clean = (ys: number[], logY: boolean) => ys.map((v) => (Number.isFinite(v) && (!logY || v > 0) ? v : null));

/** Each family as one faint line per seed and a bold line through the mean over seeds. */
export function plotSeedLines(series: SeedSeries[], options: SeedPlotOptions): Figure {
  const logY = options.logY ?? false;
  const data: Trace[] = series.flatMap((s, f) => {
    checkSeries(s);
    const color = COLORWAY[f % COLORWAY.length];
    const means = s.x.map((_, j) => summarize(s.perSeed.map((ys) => ys[j]).filter(Number.isFinite)).mean);
    const faint: Trace[] = s.perSeed.map((ys, i) => ({
      type: "scatter", mode: "lines", name: `${s.name}, seed ${options.seeds?.[i] ?? i + 1}`, x: s.x, y: clean(ys, logY),
      line: { color, width: 1 }, opacity: 0.35, legendgroup: s.name, showlegend: false, hoverinfo: "name+x+y",
    }));
    const mean: Trace = {
      type: "scatter", mode: "lines+markers", name: `${s.name} (mean of ${s.perSeed.length})`, x: s.x, y: clean(means, logY),
      line: { color, width: 2.5 }, legendgroup: s.name,
    };
    return [...faint, mean];
  });
  return {
    data,
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: options.xTitle } },
      yaxis: { title: { text: options.yTitle }, type: logY ? "log" : "linear", exponentformat: "power" },
    },
  };
}

/** Each family's mean over seeds at every x, with an error bar from the minimum to the maximum seed. */
export function plotMeanRange(series: SeedSeries[], options: SeedPlotOptions & { bars?: boolean }): Figure {
  const logY = options.logY ?? false;
  const data: Trace[] = series.map((s, f) => {
    checkSeries(s);
    const stats = s.x.map((_, j) => summarize(s.perSeed.map((ys) => ys[j])));
    const common = {
      name: `${s.name} (mean, range over ${s.perSeed.length} seeds)`, x: s.x, y: clean(stats.map((t) => t.mean), logY),
      marker: { color: COLORWAY[f % COLORWAY.length] },
      error_y: { type: "data", symmetric: false, array: stats.map((t) => t.max - t.mean), arrayminus: stats.map((t) => t.mean - t.min), visible: true },
    };
    return options.bars ? { type: "bar", ...common } : { type: "scatter", mode: "lines+markers", ...common };
  });
  return {
    data,
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: options.xTitle }, ...(options.bars ? { type: "category" } : {}) },
      yaxis: { title: { text: options.yTitle }, type: logY ? "log" : "linear", exponentformat: "power" },
      ...(options.bars ? { barmode: "group" } : {}),
    },
  };
}
