// Shared set-up for the kernel tests: the kernelspec installed by the real CLI into a temp prefix,
// example notebooks copied to a temp directory, and cells sent with their tags as JupyterLab does.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { findKernelspec, JupyterClient, type Outcome } from '../helpers/jupyter-client';

export interface NotebookCellJson {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: { tags?: string[] };
}

/**
 * Installs the kernelspec with `cellflow kernel install --prefix`, then finds it as Jupyter would, on
 * JUPYTER_PATH=<prefix>/share/jupyter; returns the kernelspec directory.
 */
export async function installKernel(prefix: string): Promise<string> {
  const result = await cellflow(['kernel', 'install', '--prefix', prefix]);
  if (result.code !== 0) {
    throw new Error(`kernel install failed: ${result.stderr}`);
  }
  return findKernelspec('cellflow', path.join(prefix, 'share', 'jupyter'));
}

/** A temp directory with copies of the example notebooks (and their data). */
export function copyExamples(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-kernel-nb-'));
  fs.cpSync(path.join(REPO, 'examples'), dir, { recursive: true });
  return dir;
}

export function readCells(notebook: string): NotebookCellJson[] {
  return (JSON.parse(fs.readFileSync(notebook, 'utf8')) as { cells: NotebookCellJson[] }).cells;
}

export function sourceOf(cell: NotebookCellJson): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Runs every code cell with `metadata: { tags, cellId }`, as JupyterLab 4 sends it. */
export async function runAllCells(client: JupyterClient, notebook: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const cell of readCells(notebook)) {
    if (cell.cell_type !== 'code') {
      continue;
    }
    const outcome = await client.execute(sourceOf(cell), { tags: cell.metadata.tags ?? [], cellId: cell.id });
    if (outcome.reply.content.status !== 'ok') {
      throw new Error(`cell ${cell.id} failed: ${JSON.stringify(outcome.iopub.map((m) => m.content))}`);
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
