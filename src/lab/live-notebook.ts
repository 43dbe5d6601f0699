// The notebook as the kernel needs it to place cells: nbformat JSON of the live model with outputs
// and execution counts left out (they can be large, and the kernel reads only sources, ids and tags).
import type { INotebookModel } from '@jupyterlab/notebook';

/** The kernelspec name `cellflow kernel install` writes; other kernels know no `cellflow` comm. */
export const CELLFLOW_KERNEL = 'cellflow';

export function notebookLayout(model: INotebookModel): string {
  const notebook = model.toJSON() as { cells?: Record<string, unknown>[] };
  const cells = (notebook.cells ?? []).map((cell) =>
    cell.cell_type === 'code' ? { ...cell, outputs: [], execution_count: null } : cell,
  );
  return JSON.stringify({ ...notebook, cells });
}
