/** What a live experiment gets and gives: settings in, series to plot (as they come) and a few numbers out. */
import type { Settings } from "../specs";

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface LiveOutput {
  series: Series[];
  /** A line for the reader about where the run is ("training the residual net, epoch 3 of 30"). */
  note?: string;
  /** Figures a test or a reader may want besides the plotted ones. */
  numbers?: Record<string, number | number[]>;
}

export interface RunContext {
  /** Shows a partial result; the last one reported before the run returns is the first thing drawn. */
  report(output: LiveOutput): void;
  /** True once the reader pressed Stop: the experiment returns what it has at its next check. */
  stopped(): boolean;
  /** Lets the page (or the worker's message queue) in between steps. */
  pause(): Promise<void>;
}

export type Experiment = (settings: Settings, ctx: RunContext) => Promise<LiveOutput>;
