// The public API of cellflow's core: notebook text in, diagnostics, graph and flow module out.
// Pure: no I/O, runs in Node and in the browser. The runtime, kernel, CLI and JupyterLab extension
// all go through analyzeNotebook / compileNotebook so they agree on what a notebook means.
import { compileFlow } from './compile';
import { lintEndpoints } from './endpoints';
import { groupNotebook } from './flow';
import { buildGraph } from './graph';
import { lintCode } from './code-rules';
import { lintSteps } from './step-rules';
import type { CompiledFlow, Diagnostic, FlowGraph, NotebookFlow } from './model';
import { parseNotebook } from './notebook';

export * from './model';
export {
  parseTag,
  formatTag,
  parseCellTags,
  splitCommaTag,
  fixCellTags,
  defaultStepOptions,
  isValidStepName,
  isValidArtifactName,
} from './tags';
export type { TagParse, TagProblem, CellTags, TagProblemAt, TagRule } from './tags';
export { fixNotebookTags } from './fix-tags';
export type { NotebookTagFix, TagFix } from './fix-tags';
export { parseNotebook } from './notebook';
export type { NotebookParse } from './notebook';
export { groupNotebook } from './flow';
export { parseParameters } from './parameters';
export { buildGraph, readsInputs } from './graph';
export { lintCode, LINT_RULES } from './lint';
export { lintSteps, STEP_RULES } from './step-rules';
export type {
  CodeRuleId,
  EndpointRuleId,
  GraphRuleId,
  LintRuleId,
  NotebookRuleId,
  RuleId,
  StepRuleId,
} from './rule-ids';
export { compileFlow } from './compile';
export { artifactsAtEnd } from './artifacts';
export { endpointManifests, withoutExportKeywords } from './endpoints';
export { renderGraph, GRAPH_FORMATS } from './render';
export type { GraphFormat } from './render';
export { flowNameOf, sanitizeFlowName } from './names';
export { cronProblem, scheduleOf } from './schedule';
export type { NotebookSchedule } from './schedule';
export { sha256, sha256Bytes } from './sha256';

export interface NotebookAnalysis {
  /** Present when the text is an nbformat 4 notebook. */
  flow?: NotebookFlow;
  /** Present when the notebook has at least one step; incomplete when there are errors. */
  graph?: FlowGraph;
  /** Errors and warnings, ordered by cell and line. */
  diagnostics: Diagnostic[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Parses, groups, builds the graph and lints. Never throws on bad input. */
export function analyzeNotebook(text: string, path: string): NotebookAnalysis {
  const parsed = parseNotebook(text);
  if (!parsed.notebook) {
    return { diagnostics: parsed.diagnostics };
  }
  const flow = groupNotebook(parsed.notebook, path);
  const built = buildGraph(flow);
  // Endpoint artifacts are checked against the graph only once its structure is sound.
  const endpointGraph = hasErrors(built.diagnostics) ? undefined : built.graph;
  const diagnostics = sortDiagnostics([
    ...flow.diagnostics,
    ...built.diagnostics,
    ...lintCode(flow),
    ...lintEndpoints(flow, endpointGraph),
    ...(endpointGraph ? lintSteps(flow, endpointGraph) : []),
  ]);
  flow.diagnostics = diagnostics;
  return { flow, ...(built.graph ? { graph: built.graph } : {}), diagnostics };
}

/** A notebook that cannot become a flow; `message` lists every error, formatted. */
export class NotebookError extends Error {
  constructor(
    readonly path: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(
      diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => formatDiagnostic(d, path))
        .join('\n'),
    );
    this.name = 'NotebookError';
  }
}

/** Notebook text → flow module; throws NotebookError when the notebook has errors. */
export function compileNotebook(text: string, path: string): CompiledFlow {
  const { flow, graph, diagnostics } = analyzeNotebook(text, path);
  if (!flow || !graph || hasErrors(diagnostics)) {
    throw new NotebookError(path, diagnostics);
  }
  return compileFlow(flow, graph, text, path);
}

/** `NB: cell 3 (id 9f2c), step 'train', line 2: error [rule]: message Hint.` */
export function formatDiagnostic(d: Diagnostic, notebookPath: string): string {
  const where = [notebookPath];
  const place: string[] = [];
  if (d.cell) {
    place.push(`cell ${d.cell.index} (id ${d.cell.id})`);
  }
  if (d.step) {
    place.push(`step '${d.step}'`);
  }
  if (d.line !== undefined) {
    place.push(`line ${d.line}`);
  }
  if (place.length > 0) {
    where.push(place.join(', '));
  }
  const message = /[.?!]$/.test(d.message) ? d.message : `${d.message}.`;
  const hint = d.hint ? ` ${d.hint}` : '';
  return `${where.join(': ')}: ${d.severity} [${d.rule}]: ${message}${hint}`;
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.cell?.index ?? -1) - (b.d.cell?.index ?? -1) || (a.d.line ?? 0) - (b.d.line ?? 0) || a.i - b.i,
    )
    .map(({ d }) => d);
}
