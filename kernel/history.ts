/**
 * The inputs this kernel session executed, for history_request (tail, range, search). Kept in memory: the
 * protocol lets a kernel answer from the current session only, and a notebook is its own long-term history.
 */
export type HistoryEntry = [session: number, line: number, input: string | [input: string, output: string | null]];

export interface HistoryRequest {
  hist_access_type?: "tail" | "range" | "search";
  n?: number;
  session?: number;
  start?: number;
  stop?: number;
  pattern?: string;
  unique?: boolean;
}

export class History {
  private readonly entries: Array<[session: number, line: number, input: string]> = [];
  private readonly outputs = new Map<number, string>();

  add(line: number, input: string): void {
    this.entries.push([1, line, input]);
  }

  /** The text/plain result of line `line`, for requests with `output: true`. */
  setOutput(line: number, output: string): void {
    this.outputs.set(line, output);
  }

  query(request: HistoryRequest & { output?: boolean }): HistoryEntry[] {
    const found = this.select(request);
    return request.output ? found.map(([session, line, input]) => [session, line, [input, this.outputs.get(line) ?? null]]) : found;
  }

  private select(request: HistoryRequest): Array<[number, number, string]> {
    const type = request.hist_access_type ?? "tail";
    if (type === "range") {
      const start = request.start ?? 0;
      const stop = request.stop ?? Number.POSITIVE_INFINITY;
      return this.entries.filter(([, line]) => line >= start && line < stop);
    }
    let found = this.entries;
    if (type === "search") {
      const pattern = globToRegExp(request.pattern ?? "*");
      found = found.filter(([, , input]) => pattern.test(input));
      if (request.unique) {
        const seen = new Set<string>();
        found = [...found].reverse().filter(([, , input]) => !seen.has(input) && seen.add(input) !== undefined).reverse();
      }
    }
    const n = request.n ?? (type === "tail" ? 10 : found.length);
    return n > 0 ? found.slice(-n) : found;
  }
}

/** IPython's history search takes glob patterns (`*` and `?`), matched against the whole input. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}
