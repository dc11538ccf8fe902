/** The part of Plotly's figure schema skiplib writes: enough types to catch a misspelt key, open for the rest. */
export interface Title {
  text: string;
}

export interface Axis {
  title?: Title;
  type?: "linear" | "log" | "category";
  exponentformat?: "power" | "e" | "none";
  visible?: boolean;
  [key: string]: unknown;
}

export interface Trace {
  type: "scatter" | "heatmap" | "contour" | "surface" | "bar";
  name?: string;
  x?: unknown[];
  y?: unknown[];
  z?: unknown[][];
  [key: string]: unknown;
}

export interface Layout {
  title: Title;
  xaxis?: Axis;
  yaxis?: Axis;
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout: Layout;
}
