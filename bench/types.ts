/** One measured figure of `npm run bench`, ideally beside the same figure for a peer measured in the same run. */
export interface BenchRow {
  group: string;
  name: string;
  ours: number;
  /** The peer's figure (PyTorch, stock tslab, nbclient…), measured in the same run on the same machine. */
  peer?: number;
  peerName?: string;
  /** "ms", "s" or a rate such as "points/s". */
  unit: string;
  lowerIsBetter: boolean;
  /** "ratio ≤ 2" compares ours/peer; "≤ 30 s" or "≤ 5 ms" compares ours itself. */
  goal?: string;
  note?: string;
}

export interface BenchContext {
  root: string;
  log(message: string): void;
  /** Fewer repeats and smaller sizes, for a smoke run. */
  quick: boolean;
}

export type Bench = (ctx: BenchContext) => Promise<BenchRow[]>;
