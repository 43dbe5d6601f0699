// Rules about the code in a flow's cells that the compiled module depends on: no `export`s (the module
// owns its exports), no top-level await/return where they cannot work, no name declared twice in one
// scope, imports that agree, and bindings that stay inside their step (bindings.ts). Each rule is one
// function over one cell of one scope (the prelude, a step, an endpoint) with its message; what a rule
// needs from other cells (the first declaration of a name, the first import of a name) is gathered
// once beforehand, so the rules are independent of each other and of the order they run in.
import { analyzeCode, type CodeFacts, type TopLevelBinding } from './analysis';
import { checkBindings } from './bindings';
import type { CodeChunk, Diagnostic, NotebookFlow, Severity } from './model';
import type { CodeRuleId } from './rule-ids';

/** Names the compiled module itself declares at top level. */
const MODULE_NAMES = new Set(['steps', 'manifest', 'endpoints']);

interface Scope {
  step?: string;
  endpoint?: string;
  /** `step 'x'`, `endpoint 'y'` or `the prelude`, as messages name it. */
  where: string;
  chunks: { chunk: CodeChunk; facts: CodeFacts }[];
  /** The first declaration of each top-level name in the scope. */
  declared: Map<string, { binding: TopLevelBinding; chunk: CodeChunk }>;
}

interface ImportSeen {
  /** The import's text, whitespace collapsed, so that formatting alone is no disagreement. */
  text: string;
  chunk: CodeChunk;
}

/** One cell of one scope, with what the rules need from the rest of the flow. */
interface CellContext {
  scope: Scope;
  chunk: CodeChunk;
  facts: CodeFacts;
  /** The first import of each name in the whole flow (imports are hoisted into one module). */
  imported: Map<string, ImportSeen>;
}

type CellRule = (cell: CellContext) => Diagnostic[];
type BindingRule = (binding: TopLevelBinding, cell: CellContext) => Diagnostic | undefined;

function at(
  rule: CodeRuleId,
  { scope, chunk }: CellContext,
  line: number,
  message: string,
  severity: Severity = 'error',
): Diagnostic {
  return { severity, rule, message, cell: chunk.cell, line, ...(scope.step ? { step: scope.step } : {}) };
}

const isPrelude = (scope: Scope): boolean => !scope.step && !scope.endpoint;

/** A step draws random numbers with current.random() (seeded, recorded): a warning. */
const unseededRandom: CellRule = (cell) =>
  cell.scope.step
    ? cell.facts.unseededRandomLines.map((line) =>
        at(
          'unseeded-random',
          cell,
          line,
          'Math.random() is not seeded, so a reproduction draws other numbers; use current.random() (seeded by the run and recorded)',
          'warning',
        ),
      )
    : [];

/** A note where a step reads the wall clock. */
const wallClock: CellRule = (cell) =>
  cell.scope.step
    ? cell.facts.clockLines.map((line) =>
        at(
          'wall-clock',
          cell,
          line,
          'this reads the wall clock, so a reproduction sees another time; pass the time as a parameter if results depend on it',
          'note',
        ),
      )
    : [];

/** Cells do not export (an endpoint cell's one export is checked in endpoints.ts). */
const exportInCell: CellRule = (cell) =>
  cell.scope.endpoint
    ? []
    : cell.facts.exportLines.map((line) =>
        at(
          'export-in-cell',
          cell,
          line,
          `cells cannot export: the compiled flow module owns its exports; remove 'export' here`,
        ),
      );

/** The prelude becomes module code: no top-level await. */
const awaitInPrelude: CellRule = (cell) =>
  isPrelude(cell.scope)
    ? cell.facts.topLevelAwaitLines.map((line) =>
        at(
          'await-in-prelude',
          cell,
          line,
          'the prelude cannot await at its top level (it becomes module code); move this into a step, or into an async helper a step awaits',
        ),
      )
    : [];

/** No cell returns at its top level. */
const returnOutsideFunction: CellRule = (cell) =>
  cell.facts.topLevelReturnLines.map((line) =>
    at(
      'return-outside-function',
      cell,
      line,
      `'return' outside a function in ${cell.scope.where}: a cell is not a function body`,
    ),
  );

/** The prelude does not declare the module's own exports. */
const reservedName: BindingRule = (binding, cell) =>
  isPrelude(cell.scope) && MODULE_NAMES.has(binding.name)
    ? at(
        'reserved-name',
        cell,
        binding.line,
        `the prelude declares '${binding.name}', a name the compiled flow module uses; rename it`,
      )
    : undefined;

/** A let/const/class is declared once per scope (a var or function may be redeclared). */
const duplicateBinding: BindingRule = (binding, cell) => {
  const first = cell.scope.declared.get(binding.name)!;
  const isFirst = first.chunk === cell.chunk && first.binding === binding;
  if (isFirst || (first.binding.kind !== 'lexical' && binding.kind !== 'lexical')) {
    return undefined;
  }
  return at(
    'duplicate-binding',
    cell,
    binding.line,
    `'${binding.name}' is already declared in ${cell.scope.where} (cell ${first.chunk.cell.index}, id ${first.chunk.cell.id}, line ${first.binding.line}); in the flow both cells share one scope, so rename one`,
  );
};

/** Imports that bind the same name agree. */
const conflictingImports: CellRule = (cell) =>
  cell.facts.imports.flatMap((range) => {
    const text = normalizeImport(range.text);
    return analyzeCode(range.text)
      .importedNames.map((name) => ({ name, first: cell.imported.get(name)! }))
      .filter(({ first }) => first.text !== text)
      .map(({ name, first }) =>
        at(
          'conflicting-imports',
          cell,
          lineAt(cell.chunk.source, range.start),
          `this import binds '${name}', which cell ${first.chunk.cell.index} (id ${first.chunk.cell.id}) imports differently; imports are hoisted into one module, so they must agree`,
        ),
      );
  });

/** Runs the checks on every top-level binding of the cell, in order. */
function eachBinding(...checks: BindingRule[]): CellRule {
  return (cell) =>
    cell.facts.topLevel.flatMap((binding) =>
      checks.map((check) => check(binding, cell)).filter((d): d is Diagnostic => d !== undefined),
    );
}

/** In the order their diagnostics come out for one cell. */
const CELL_RULES: CellRule[] = [
  unseededRandom,
  wallClock,
  exportInCell,
  awaitInPrelude,
  returnOutsideFunction,
  eachBinding(reservedName, duplicateBinding),
  conflictingImports,
];

export function lintCode(flow: NotebookFlow): Diagnostic[] {
  const scopes = scopesOf(flow);
  const imported = firstImports(scopes);
  const diagnostics = scopes.flatMap((scope) =>
    scope.chunks.flatMap(({ chunk, facts }) =>
      CELL_RULES.flatMap((rule) => rule({ scope, chunk, facts, imported })),
    ),
  );
  return [...diagnostics, ...checkBindings(flow)];
}

/** The prelude, each step and each endpoint cell (a function scope of its own). */
function scopesOf(flow: NotebookFlow): Scope[] {
  const scope = (where: string, chunks: CodeChunk[], names: { step?: string; endpoint?: string }): Scope => {
    const analysed = chunks.map((chunk) => ({ chunk, facts: analyzeCode(chunk.source) }));
    const declared: Scope['declared'] = new Map();
    for (const { chunk, facts } of analysed) {
      for (const binding of facts.topLevel) {
        if (!declared.has(binding.name)) {
          declared.set(binding.name, { binding, chunk });
        }
      }
    }
    return { ...names, where, chunks: analysed, declared };
  };
  return [
    scope('the prelude', flow.prelude, {}),
    ...flow.steps.map((s) => scope(`step '${s.name}'`, s.code, { step: s.name })),
    ...flow.endpoints.map((e) => scope(`endpoint '${e.name}'`, [e.code], { endpoint: e.name })),
  ];
}

/** The first import of each name, over every cell of the flow in order. */
function firstImports(scopes: Scope[]): Map<string, ImportSeen> {
  const imported = new Map<string, ImportSeen>();
  for (const { chunks } of scopes) {
    for (const { chunk, facts } of chunks) {
      for (const range of facts.imports) {
        for (const name of analyzeCode(range.text).importedNames) {
          if (!imported.has(name)) {
            imported.set(name, { text: normalizeImport(range.text), chunk });
          }
        }
      }
    }
  }
  return imported;
}

function normalizeImport(importText: string): string {
  return importText.replace(/\s+/g, ' ').replace(/;$/, '').trim();
}

function lineAt(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
}
