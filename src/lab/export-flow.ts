// "Export notebook to flow": saves the notebook, compiles the saved file with core exactly as
// `cellflow export` would (same bytes in, same module out, notebook sha256 included) and writes
// NAME.flow.ts beside it through the Contents API, so it works wherever the notebook is served from.
import { PathExt } from '@jupyterlab/coreutils';
import type { Contents } from '@jupyterlab/services';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { compileNotebook, formatDiagnostic, NotebookError } from '../core';
import { ensureTypeScript } from './lazy-chunks';
import type { Diagnostic } from '../core/model';

/** `dir/hello.ipynb` → `dir/hello.flow.ts` (DESIGN: `NB.flow.ts` beside the notebook). */
export function flowPathFor(notebookPath: string): string {
  const stem = notebookPath.replace(/\.ipynb$/i, '');
  return `${stem}.flow.ts`;
}

export class ExportError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[]) {
    super(message);
    this.diagnostics = diagnostics;
  }
}

/** Compiles and saves; returns the written path. Throws ExportError listing the notebook's errors. */
export async function exportFlow(panel: NotebookPanel, contents: Contents.IManager): Promise<string> {
  const path = panel.context.path;
  await Promise.all([panel.context.save(), ensureTypeScript()]);
  const saved = await contents.get(path, { type: 'file', format: 'text', content: true });
  let source: string;
  try {
    // The module records the notebook's path relative to itself: it sits beside the notebook.
    source = compileNotebook(saved.content as string, PathExt.basename(path)).source;
  } catch (error) {
    if (!(error instanceof NotebookError)) {
      throw error;
    }
    const lines = error.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => formatDiagnostic(d, path));
    throw new ExportError(`${path} cannot be exported:\n${lines.join('\n')}`, error.diagnostics);
  }
  const target = flowPathFor(path);
  await contents.save(target, { type: 'file', format: 'text', content: source });
  return target;
}
