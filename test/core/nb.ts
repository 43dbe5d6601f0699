// Builds notebook JSON text for core tests: a cell is [tags, source], or { md: text }.
export type Cell = [string[], string] | { md: string; tags?: string[] };

export function notebook(cells: Cell[], metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
      ...metadata,
    },
    cells: cells.map((cell, index) =>
      Array.isArray(cell)
        ? {
            cell_type: 'code',
            id: `c${index}`,
            metadata: { tags: cell[0] },
            source: cell[1],
            outputs: [],
            execution_count: null,
          }
        : { cell_type: 'markdown', id: `c${index}`, metadata: { tags: cell.tags ?? [] }, source: cell.md },
    ),
  });
}
