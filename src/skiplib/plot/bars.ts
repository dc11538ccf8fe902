import type { Figure } from "./figure";

/** One bar per model: parameter counts, accuracies, timings. */
export function plotBars(bars: Record<string, number>, options: { title: string; yTitle: string; xTitle?: string; logY?: boolean }): Figure {
  return {
    data: [{ type: "bar", x: Object.keys(bars), y: Object.values(bars) }],
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: options.xTitle ?? "model" } },
      yaxis: { title: { text: options.yTitle }, type: options.logY ? "log" : "linear" },
    },
  };
}
