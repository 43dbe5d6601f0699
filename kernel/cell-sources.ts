// Where a line of executed JavaScript came from. tslab transpiles each cell (types erased, top-level
// bindings rewritten to `exports.x`, blank lines dropped) and runs it without a file name, so stack
// frames say only `evalmachine.<anonymous>:36`. The kernel names every cell's script with a
// `//# sourceURL=` comment and maps a generated line back to the cell line whose code it is.
import type { CellRef } from '../src/core/model';

export interface CellSource {
  name: string;
  code: string;
  output: string;
  cell?: CellRef;
  step?: string;
}

export interface CellLocation {
  source: CellSource;
  /** 1-based line in the cell, when it could be matched. */
  line?: number;
}

const URL_PREFIX = 'cellflow-cell-';
const FRAME = new RegExp(`${URL_PREFIX}(\\d+):(\\d+)(?::\\d+)?`);
/** Keep the sources of this many recent cells (functions defined in them can throw later). */
const KEEP = 500;

export class CellSources {
  private readonly sources = new Map<number, CellSource>();
  private counter = 0;
  pending: Omit<CellSource, 'name' | 'output'> | undefined;

  /** Tags a transpiled cell with its source URL and remembers it. */
  register(output: string): string {
    const id = ++this.counter;
    const name = `${URL_PREFIX}${id}`;
    const info = this.pending ?? { code: '' };
    this.sources.set(id, { ...info, name, output });
    this.sources.delete(id - KEEP);
    return `${output}\n//# sourceURL=${name}\n`;
  }

  /** The first stack frame that lies in a cell, mapped to the cell's line. */
  locate(stack: string | undefined): CellLocation | undefined {
    if (!stack) {
      return undefined;
    }
    for (const frame of stack.split('\n')) {
      const match = FRAME.exec(frame);
      if (!match) {
        continue;
      }
      const source = this.sources.get(Number(match[1]));
      if (!source) {
        continue;
      }
      return { source, line: mapGeneratedLine(source.output, source.code, Number(match[2])) };
    }
    return undefined;
  }

  /** Replaces script names in a stack with "cell N, line L" where known. */
  describeStack(stack: string): string {
    return stack
      .split('\n')
      .filter((line) => !/^\s+at .*(node:vm|tslab[/\\]dist[/\\]executor|kernel[/\\]handler)/.test(line))
      .map((line) =>
        line.replace(
          new RegExp(`${URL_PREFIX}(\\d+):(\\d+)(:\\d+)?`, 'g'),
          (whole, id: string, gen: string) => {
            const source = this.sources.get(Number(id));
            if (!source) {
              return whole;
            }
            const cellLine = mapGeneratedLine(source.output, source.code, Number(gen));
            return `${describeCell(source)}${cellLine ? `, line ${cellLine}` : ''}`;
          },
        ),
      )
      .join('\n');
  }
}

export function describeCell(source: Pick<CellSource, 'cell' | 'step'>): string {
  const cell = source.cell ? `cell ${source.cell.index} (id ${source.cell.id})` : 'this cell';
  return source.step ? `step '${source.step}', ${cell}` : cell;
}

/**
 * The cell line a generated line came from: the same code once `exports.` and whitespace are set
 * aside, else the cell line that contains it (or that it contains); the nearest match to the line's
 * relative position wins. Undefined when nothing matches.
 */
export function mapGeneratedLine(output: string, code: string, generatedLine: number): number | undefined {
  const outLines = output.split('\n');
  const target = normalise(outLines[generatedLine - 1] ?? '');
  if (!target) {
    return undefined;
  }
  const cellLines = code.split('\n').map(normalise);
  const expected = (generatedLine / Math.max(1, outLines.length)) * cellLines.length;
  const pick = (matches: number[]): number | undefined =>
    matches.length === 0
      ? undefined
      : matches.reduce((best, i) => (Math.abs(i - expected) < Math.abs(best - expected) ? i : best)) + 1;
  const exact = cellLines.flatMap((line, i) => (line === target ? [i] : []));
  if (exact.length > 0) {
    return pick(exact);
  }
  const contained = cellLines.flatMap((line, i) =>
    line.length >= 4 && (target.includes(line) || line.includes(target)) ? [i] : [],
  );
  return pick(contained);
}

function normalise(line: string): string {
  return line
    .replace(/\bexports\./g, '')
    .replace(/\s+/g, '')
    .replace(/;+$/, '');
}
