// The kernel's input history for `history_request` (messaging spec): tail, range and search over the
// cells executed with store_history in this kernel's one session. Outputs are the cells' plain-text
// results, kept only for the `output: true` form.
export interface HistoryRequest {
  output?: boolean;
  hist_access_type?: 'tail' | 'range' | 'search';
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

type Entry = { line: number; input: string; output: string | null };
export type HistoryItem = [number, number, string | [string, string | null]];

/** Every kernel process is one history session. */
const SESSION = 1;

export class History {
  private readonly entries: Entry[] = [];

  add(line: number, input: string): void {
    this.entries.push({ line, input, output: null });
  }

  setOutput(line: number, output: string): void {
    const entry = this.entries.find((e) => e.line === line);
    if (entry) {
      entry.output = output;
    }
  }

  query(request: HistoryRequest): HistoryItem[] {
    let found: Entry[];
    switch (request.hist_access_type) {
      case 'range': {
        if (request.session !== undefined && request.session !== SESSION && request.session !== 0) {
          return [];
        }
        const start = request.start ?? 0;
        const stop = request.stop ?? Infinity;
        found = this.entries.filter((e) => e.line >= start && e.line < stop);
        break;
      }
      case 'search': {
        const pattern = globToRegExp(request.pattern ?? '*');
        found = this.entries.filter((e) => pattern.test(e.input));
        if (request.unique) {
          const seen = new Set<string>();
          found = found
            .reverse()
            .filter((e) => !seen.has(e.input) && seen.add(e.input))
            .reverse();
        }
        if (request.n !== undefined) {
          found = found.slice(-request.n);
        }
        break;
      }
      default:
        found = this.entries.slice(-(request.n ?? 10));
    }
    return found.map((e) => [SESSION, e.line, request.output ? [e.input, e.output] : e.input]);
  }
}

/** IPython's history search takes a glob: `*` any text, `?` one character. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}
