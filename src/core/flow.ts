// Groups a notebook's cells into the parts of a flow: prelude, parameters, steps and skipped cells
// (DESIGN.md "Tag grammar"), collecting tag and per-cell problems on the way.
import { analyzeCode } from './analysis';
import type { CellRef, Diagnostic, Notebook, NotebookCell, NotebookFlow, StepSource } from './model';
import { flowNameOf } from './names';
import { parseParameters } from './parameters';
import { parseCellTags } from './tags';

function refOf(cell: NotebookCell): CellRef {
  return { index: cell.index, id: cell.id };
}

export function groupNotebook(notebook: Notebook, path: string): NotebookFlow {
  const flow: NotebookFlow = {
    name: flowNameOf(notebook.metadata, path),
    notebook,
    prelude: [],
    parameters: [],
    steps: [],
    endpoints: [],
    skipped: [],
    diagnostics: [],
  };
  const report = (d: Diagnostic): void => {
    flow.diagnostics.push(d);
  };
  const stepCells = new Map<string, CellRef>();
  let current: StepSource | undefined;
  let pendingDocs: string[] = [];

  for (const cell of notebook.cells) {
    const ref = refOf(cell);
    const tags = parseCellTags(cell.tags);
    const stepOfCell = tags.step ?? current?.name;
    for (const p of tags.problems) {
      report({
        severity: p.severity,
        rule: p.rule,
        message: p.message,
        cell: ref,
        step: stepOfCell,
        hint: p.hint,
      });
    }
    if (cell.cellType !== 'code') {
      if (tags.step !== undefined || tags.parameters || tags.hasStepOptions) {
        report({
          severity: 'warning',
          rule: 'tag-on-non-code-cell',
          message: `cellflow tags on a ${cell.cellType} cell are ignored: put them on a code cell`,
          cell: ref,
        });
      }
      if (cell.cellType === 'markdown' && !tags.skip) {
        pendingDocs.push(cell.source);
      }
      continue;
    }
    // Markdown documents the code that follows it: a new step, or more of the current one.
    const docs = pendingDocs;
    pendingDocs = [];
    if (tags.skip) {
      flow.skipped.push(ref);
      continue;
    }
    for (const error of analyzeCode(cell.source).syntaxErrors.slice(0, 1)) {
      report({
        severity: 'error',
        rule: 'syntax-error',
        message: `syntax error: ${error.message}`,
        cell: ref,
        step: stepOfCell,
        line: error.line,
      });
    }
    if (tags.parameters) {
      const parsed = parseParameters(cell.source, ref);
      parsed.diagnostics.forEach(report);
      for (const parameter of parsed.parameters) {
        const earlier = flow.parameters.find((p) => p.name === parameter.name);
        if (earlier) {
          report({
            severity: 'error',
            rule: 'duplicate-parameter',
            message: `parameter '${parameter.name}' is declared twice (first in cell ${earlier.cell.index}, id ${earlier.cell.id}, line ${earlier.line})`,
            cell: ref,
            line: parameter.line,
          });
        } else {
          flow.parameters.push(parameter);
        }
      }
      continue;
    }
    if (tags.endpoint !== undefined && tags.step === undefined) {
      // An endpoint cell stands alone: it is not step code, and the cells after it go on as before.
      const earlier = flow.endpoints.find((e) => e.name === tags.endpoint);
      if (earlier) {
        report({
          severity: 'error',
          rule: 'duplicate-endpoint',
          message: `endpoint '${tags.endpoint}' is already defined by cell ${earlier.code.cell.index} (id ${earlier.code.cell.id}); endpoint names must be unique`,
          cell: ref,
        });
      } else {
        flow.endpoints.push({ name: tags.endpoint, code: { cell: ref, source: cell.source } });
      }
      continue;
    }
    if (tags.step !== undefined) {
      const earlier = stepCells.get(tags.step);
      if (earlier) {
        report({
          severity: 'error',
          rule: 'duplicate-step',
          message: `step '${tags.step}' is already defined by cell ${earlier.index} (id ${earlier.id}); step names must be unique`,
          cell: ref,
          step: tags.step,
        });
      } else {
        stepCells.set(tags.step, ref);
      }
      current = {
        name: tags.step,
        cell: ref,
        code: [{ cell: ref, source: cell.source }],
        docs,
        next: tags.next,
        foreach: tags.foreach,
        ...(tags.switch !== undefined ? { switch: tags.switch } : {}),
        options: tags.options,
      };
      // A duplicate's cells stay out of the flow (attached to a step nobody sees) so analysis goes on.
      if (!earlier) {
        flow.steps.push(current);
      }
      continue;
    }
    if (current) {
      current.docs.push(...docs);
      current.code.push({ cell: ref, source: cell.source });
    } else {
      flow.prelude.push({ cell: ref, source: cell.source });
    }
  }
  // Markdown after the last code cell closes the notebook: it belongs to the last step.
  current?.docs.push(...pendingDocs);
  return flow;
}
