// Maps an error thrown by step code back to the notebook cell and line it came from, using the
// source-mapped stack (.flow.ts lines) and the manifest's line map.
import type { CellRef, LineMapSegment } from '../../core/model';

export interface NotebookLocation {
  cell: CellRef;
  /** 1-based line within the cell. */
  line: number;
}

export function locateInNotebook(
  stack: string | undefined,
  moduleFilename: string,
  lineMap: LineMapSegment[],
): NotebookLocation | undefined {
  if (!stack) {
    return undefined;
  }
  for (const frame of stack.split('\n')) {
    const at = frame.lastIndexOf(moduleFilename + ':');
    if (at < 0) {
      continue;
    }
    const line = Number(frame.slice(at + moduleFilename.length + 1).split(':')[0]);
    const segment = lineMap.find((s) => line >= s.generatedStart && line <= s.generatedEnd);
    if (segment) {
      return { cell: segment.cell, line: segment.cellLine + (line - segment.generatedStart) };
    }
  }
  return undefined;
}

export function describeLocation(location: NotebookLocation | undefined, notebook: string): string {
  if (!location) {
    return notebook;
  }
  return `${notebook}: cell ${location.cell.index} (id ${location.cell.id}), line ${location.line}`;
}
