// Runs core's analysis on a live notebook model: the model as nbformat JSON text is exactly what core
// reads from disk, so JupyterLab and the CLI see the same flow, graph and lint problems.
import type { INotebookModel } from '@jupyterlab/notebook';
import { analyzeNotebook } from '../core';
import { typeScriptProvided } from '../core/typescript';
import type { Diagnostic, FlowGraph, NotebookFlow } from '../core/model';

export interface FlowAnalysis {
  /** The notebook's path relative to the server root, as core was given it. */
  path: string;
  flow?: NotebookFlow;
  graph?: FlowGraph;
  diagnostics: Diagnostic[];
}

export function notebookText(model: INotebookModel): string {
  return JSON.stringify(model.toJSON(), null, 1);
}

/** Core's analysis of the model; call it only once `ensureTypeScript()` has resolved. */
export function analyzeModel(model: INotebookModel, path: string): FlowAnalysis {
  // A bug, not a state a user can reach: every caller waits for the compiler first.
  if (!typeScriptProvided()) {
    throw new Error('cellflow: analysis asked for before the TypeScript compiler loaded');
  }
  try {
    const { flow, graph, diagnostics } = analyzeNotebook(notebookText(model), path);
    return { path, flow, graph, diagnostics };
  } catch (error) {
    // Core reports problems as diagnostics; anything thrown is a bug, shown rather than lost.
    const message = error instanceof Error ? error.message : String(error);
    return { path, diagnostics: [{ severity: 'error', rule: 'internal', message }] };
  }
}

export function errorCount(analysis: FlowAnalysis): number {
  return analysis.diagnostics.filter((d) => d.severity === 'error').length;
}
