// The rule that keeps the notebook and the flow from disagreeing: a top-level binding declared in one
// step is a global in the kernel but a local of that step's function in the flow, so reading it from
// another step works interactively and fails (or differs) in a run. Such values travel as artifacts
// (`self.NAME`). The same holds for parameters (artifacts in a flow) and for skipped cells.
import { analyzeCode } from './analysis';
import type { CellRef, CodeChunk, Diagnostic, NotebookFlow } from './model';

interface Declaration {
  /** Where it is declared: a step name, 'parameters' or 'skip'. */
  owner: string;
  cell: CellRef;
  line: number;
}

/** A scope whose reads are checked: the prelude or one step. */
interface ReadingScope {
  step?: string;
  /** An endpoint cell: it runs in the server, long after the steps, and sees only their artifacts. */
  endpoint?: string;
  chunks: CodeChunk[];
}

const where = (cell: CellRef): string => `cell ${cell.index}, id ${cell.id}`;

export function checkBindings(flow: NotebookFlow): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const cellsById = new Map(flow.notebook.cells.map((c) => [c.id, c]));

  // Names everyone may read: the prelude's top-level bindings and every hoisted import.
  const shared = new Set<string>();
  for (const chunk of flow.prelude) {
    const facts = analyzeCode(chunk.source);
    facts.topLevel.forEach((b) => shared.add(b.name));
    facts.importedNames.forEach((n) => shared.add(n));
  }
  for (const step of flow.steps) {
    for (const chunk of step.code) {
      analyzeCode(chunk.source).importedNames.forEach((n) => shared.add(n));
    }
  }

  // Names that exist only in one place of the notebook, first declaration wins.
  const declared = new Map<string, Declaration>();
  const declare = (name: string, d: Declaration): void => {
    if (!declared.has(name)) {
      declared.set(name, d);
    }
  };
  for (const step of flow.steps) {
    for (const chunk of step.code) {
      for (const b of analyzeCode(chunk.source).topLevel) {
        declare(b.name, { owner: step.name, cell: chunk.cell, line: b.line });
      }
    }
  }
  for (const p of flow.parameters) {
    declare(p.name, { owner: 'parameters', cell: p.cell, line: p.line });
  }
  for (const ref of flow.skipped) {
    const cell = cellsById.get(ref.id);
    if (!cell) {
      continue;
    }
    for (const b of analyzeCode(cell.source).topLevel) {
      declare(b.name, { owner: 'skip', cell: ref, line: b.line });
    }
  }

  const scopes: ReadingScope[] = [
    { chunks: flow.prelude },
    ...flow.steps.map((s) => ({ step: s.name, chunks: s.code })),
    ...flow.endpoints.map((e) => ({ endpoint: e.name, chunks: [e.code] })),
  ];
  for (const scope of scopes) {
    const facts = scope.chunks.map((chunk) => ({ chunk, facts: analyzeCode(chunk.source) }));
    const local = new Set<string>();
    for (const { facts: f } of facts) {
      f.declaredAnywhere.forEach((n) => local.add(n));
      f.topLevel.forEach((b) => local.add(b.name));
    }
    const reported = new Set<string>();
    for (const { chunk, facts: f } of facts) {
      for (const [name, line] of f.reads) {
        const origin = declared.get(name);
        if (!origin || reported.has(name) || local.has(name)) {
          continue;
        }
        // A step's own bindings are fine, and so is whatever the prelude or an import provides.
        if (origin.owner === scope.step || shared.has(name)) {
          continue;
        }
        reported.add(name);
        diagnostics.push(describe(name, origin, scope, chunk.cell, line));
      }
    }
  }
  return diagnostics;
}

function describe(
  name: string,
  origin: Declaration,
  scope: ReadingScope,
  cell: CellRef,
  line: number,
): Diagnostic {
  const reader = scope.step
    ? `step '${scope.step}'`
    : scope.endpoint
      ? `endpoint '${scope.endpoint}'`
      : 'the prelude';
  const base = { severity: 'error' as const, cell, line, ...(scope.step ? { step: scope.step } : {}) };
  if (origin.owner === 'parameters') {
    return {
      ...base,
      rule: 'parameter-as-binding',
      message: `'${name}' is a parameter (${where(origin.cell)}, line ${origin.line}) and is read as a variable in ${reader}; read it as self.${name}: in a flow, parameters are artifacts.`,
    };
  }
  if (origin.owner === 'skip') {
    return {
      ...base,
      rule: 'binding-from-skipped-cell',
      message: `'${name}' is declared in a skipped cell (${where(origin.cell)}) and read in ${reader}; skipped cells are not part of the flow: declare it in the prelude or in this step.`,
    };
  }
  if (scope.endpoint) {
    return {
      ...base,
      rule: 'binding-across-steps',
      message: `'${name}' is declared in step '${origin.owner}' (${where(origin.cell)}) and read in endpoint '${scope.endpoint}'; an endpoint sees the run's artifacts, not the steps' variables: assign self.${name} in '${origin.owner}' and read artifacts.${name} here.`,
    };
  }
  return {
    ...base,
    rule: 'binding-across-steps',
    message: scope.step
      ? `'${name}' is declared in step '${origin.owner}' (${where(origin.cell)}) and read in step '${scope.step}'; pass it as an artifact: assign self.${name} in '${origin.owner}' and read self.${name} here.`
      : `'${name}' is declared in step '${origin.owner}' (${where(origin.cell)}) and read in the prelude; the prelude runs before any step: declare it in the prelude, or pass it to the helper as an argument.`,
  };
}
