// Builds small nbformat 4.5 notebooks for tests: each cell is [tags, source] or a markdown string.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type CellSpec = { tags?: string[]; source: string; markdown?: boolean };

export function notebookJson(cells: CellSpec[], flowName?: string): string {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
      language_info: { name: 'typescript' },
      ...(flowName ? { cellflow: { flow: flowName } } : {}),
    },
    cells: cells.map((cell, index) =>
      cell.markdown
        ? { cell_type: 'markdown', id: `md${index}`, metadata: {}, source: cell.source }
        : {
            cell_type: 'code',
            id: `c${index}`,
            metadata: { tags: cell.tags ?? [] },
            source: cell.source,
            outputs: [],
            execution_count: null,
          },
    ),
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

/** A fresh temporary directory, removed by the caller's afterAll via `removeTempDir`. */
export function tempDir(prefix = 'cellflow-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeNotebook(dir: string, name: string, cells: CellSpec[], flowName?: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, notebookJson(cells, flowName));
  return file;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
