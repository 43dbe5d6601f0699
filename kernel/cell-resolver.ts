// Decides what an executed cell is — a step's first cell, a step's continuation, the parameters cell,
// or plain code — from, in order: the cell's own tags in the request metadata (JupyterLab 4 sends
// them), the analysed notebook (by cell id, else by identical source: nbclient and papermill), and
// last the step of the most recent step cell (an untagged cell the saved notebook does not know yet).
import type { CellRef, FlowGraph } from '../src/core/model';
import { parseCellTags } from '../src/core/tags';
import type { LocatedCell, NotebookIndex } from './notebook-index';

export interface ResolvedCell {
  kind: 'step' | 'parameters' | 'plain';
  step?: string;
  /** For an `endpoint:NAME` cell: NAME (the kernel runs it as plain code without its `export`). */
  endpoint?: string;
  /** The `step:` cell itself (a fresh copy of the parent's artifacts) rather than a continuation. */
  startsStep?: boolean;
  cell?: CellRef;
  notebook?: string;
  graph?: FlowGraph;
  /** The flow's name, when the notebook is known. */
  flowName?: string;
  /** Tags as the frontend sent them (undefined: the cell has none, or the frontend sent no metadata). */
  tags?: string[];
  /** The frontend sent cell metadata (JupyterLab sends the cell's id even for a cell without tags). */
  fromFrontend?: boolean;
  /** How the step was learnt, for messages. */
  source: 'tags' | 'notebook' | 'previous-step' | 'none';
}

export interface RequestMetadata {
  tags?: unknown;
  cellId?: unknown;
}

export function resolveCell(
  metadata: RequestMetadata,
  code: string,
  index: NotebookIndex,
  lastStep: string | undefined,
): ResolvedCell {
  const tags = Array.isArray(metadata.tags) ? metadata.tags.filter((t) => typeof t === 'string') : undefined;
  const cellId = typeof metadata.cellId === 'string' ? metadata.cellId : undefined;
  // JupyterLab sends a cell's metadata, where `tags` is absent on a cell without tags, and its id.
  const fromFrontend = tags !== undefined || cellId !== undefined;
  const located = lookup(index, cellId, code);
  const where = {
    ...(located
      ? { cell: located.cell, notebook: located.notebook, graph: located.graph, flowName: located.flow.name }
      : {}),
    ...(fromFrontend ? { fromFrontend } : {}),
  };
  if (tags) {
    const parsed = parseCellTags(tags);
    if (parsed.step) {
      const known = located?.graph?.nodes[parsed.step] ? located : index.notebookWithStep(parsed.step);
      return {
        kind: 'step',
        step: parsed.step,
        startsStep: true,
        ...where,
        graph: known?.graph,
        flowName: known?.flow.name,
        tags,
        source: 'tags',
      };
    }
    if (parsed.parameters) {
      return { kind: 'parameters', ...where, tags, source: 'tags' };
    }
    // An endpoint cell defines a function for `cellflow serve`: plain code here, never a step's.
    if (parsed.endpoint) {
      return { kind: 'plain', endpoint: parsed.endpoint, ...where, tags, source: 'tags' };
    }
    if (parsed.skip) {
      return { kind: 'plain', ...where, tags, source: 'tags' };
    }
  }
  if (located) {
    if (located.role === 'step') {
      return {
        kind: 'step',
        step: located.step,
        startsStep: located.startsStep,
        ...where,
        tags,
        source: 'notebook',
      };
    }
    if (located.role === 'parameters') {
      return { kind: 'parameters', ...where, tags, source: 'notebook' };
    }
    if (located.role === 'endpoint') {
      return { kind: 'plain', endpoint: located.endpoint, ...where, tags, source: 'notebook' };
    }
    return { kind: 'plain', ...where, tags, source: 'notebook' };
  }
  // JupyterLab sent metadata for an untagged cell the saved notebook does not have yet: it continues
  // the step run last, as an untagged cell below a step cell does.
  if (fromFrontend && lastStep) {
    const known = index.notebookWithStep(lastStep);
    return {
      kind: 'step',
      step: lastStep,
      startsStep: false,
      graph: known?.graph,
      flowName: known?.flow.name,
      tags,
      fromFrontend,
      source: 'previous-step',
    };
  }
  return { kind: 'plain', tags, ...(fromFrontend ? { fromFrontend } : {}), source: 'none' };
}

function lookup(index: NotebookIndex, cellId: string | undefined, code: string): LocatedCell | undefined {
  try {
    return index.locate(cellId, code);
  } catch {
    // A notebook that cannot be read or analysed only means the kernel knows less about the cell.
    return undefined;
  }
}
