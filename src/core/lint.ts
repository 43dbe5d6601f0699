// Rules about the code in a flow's cells that the compiled module depends on: no `export`s (the module
// owns its exports), no top-level await/return where they cannot work, no name declared twice in one
// scope, imports that agree, and bindings that stay inside their step (bindings.ts).
import { analyzeCode } from './analysis';
import { checkBindings } from './bindings';
import { STEP_RULES } from './step-rules';
import type { CodeChunk, Diagnostic, NotebookFlow } from './model';

/** Every rule cellflow reports, with what it checks. Each has a failing fixture under test/fixtures/lint. */
export const LINT_RULES: Record<string, string> = {
  ...STEP_RULES,
  'invalid-notebook': 'the file is nbformat 4 JSON with a list of well-formed cells',
  'invalid-tag': 'cellflow tags have well-formed values (step names, retry:N, resources:cpu=N, ...)',
  'comma-tag': "one value per tag: nbformat forbids ',' in tags, so next:a,b is next:a next:b (lint --fix)",
  'unknown-tag': 'a word:value tag on a step cell is a cellflow tag (a warning with a "did you mean")',
  'misspelled-tag': 'a tag that looks like a misspelt cellflow tag gets a "did you mean"',
  'conflicting-tags': 'a cell is one of step, parameters or skip, with each option once',
  'option-without-step': 'next:, foreach:, switch: and step options sit on a step: cell',
  'tag-on-non-code-cell': 'cellflow tags sit on code cells (a warning: they are ignored elsewhere)',
  'syntax-error': 'every cell of the flow parses as TypeScript',
  'invalid-parameter': 'a parameters cell holds only `const name = literal` lines',
  'duplicate-parameter': 'a parameter is declared once',
  'duplicate-step': 'step names are unique',
  'no-steps': 'the notebook has at least one step',
  'unknown-next-target': 'next: names existing steps',
  'no-end': 'the last step has no next: and is the end',
  'entry-has-parents': 'nothing goes back to the first step',
  'unreachable-step': 'every step is reachable from the entry',
  cycle: 'every cycle goes through a switch (a loop that can leave)',
  'switch-successors': 'a switch step has two or more next: successors',
  'switch-with-foreach': 'a step is not both a switch and a foreach',
  'loop-into-join': 'a loop does not go back into a join',
  'loop-crosses-split': 'a loop stays inside one branch or foreach element',
  'cannot-reach-end': 'every step can reach the end (a loop has a case that leaves it)',
  'foreach-successors': 'a foreach step has exactly one successor',
  'end-is-join': 'the end step is not a join',
  'join-without-split': 'a join closes an open split or foreach',
  'join-mixes-splits': 'a join closes the innermost open split only',
  'join-arity': 'a join takes one path from each branch of its split',
  'empty-foreach': 'a foreach has a step between it and its join',
  'split-not-joined': 'every split and foreach is joined before the end',
  'binding-across-steps': 'a top-level binding is not read outside its step',
  'parameter-as-binding': 'parameters are read as self.NAME',
  'binding-from-skipped-cell': 'nothing in the flow reads a binding from a skipped cell',
  'export-in-cell': 'cells do not export',
  'await-in-prelude': 'the prelude has no top-level await',
  'return-outside-function': 'no cell returns at its top level',
  'duplicate-binding': 'a let/const/class is declared once per scope',
  'conflicting-imports': 'imports that bind the same name agree',
  'reserved-name': "the prelude does not declare the module's own exports",
  'duplicate-endpoint': 'endpoint names are unique',
  'endpoint-signature': 'an endpoint:NAME cell exports exactly `function NAME(request, artifacts)`',
  'endpoint-unknown-artifact': 'every artifact an endpoint reads exists at the end of the flow',
  'invalid-serve-metadata': 'metadata.cellflow.serve.reference names an artifact the flow ends with',
  'unseeded-random':
    'a step draws random numbers with current.random() (seeded, recorded), not Math.random() (a warning)',
  'wall-clock':
    'a note where a step reads the wall clock (Date.now(), new Date()): a reproduction sees another time',
};

/** Names the compiled module itself declares at top level. */
const MODULE_NAMES = new Set(['steps', 'manifest', 'endpoints']);

export function lintCode(flow: NotebookFlow): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const scopes: { step?: string; endpoint?: string; chunks: CodeChunk[] }[] = [
    { chunks: flow.prelude },
    ...flow.steps.map((s) => ({ step: s.name, chunks: s.code })),
    // Each endpoint cell becomes a function scope of its own; its one export is checked in endpoints.ts.
    ...flow.endpoints.map((e) => ({ endpoint: e.name, chunks: [e.code] })),
  ];
  const imports = new Map<string, { text: string; chunk: CodeChunk }>();
  for (const scope of scopes) {
    const seen = new Map<string, { kind: string; chunk: CodeChunk; line: number }>();
    for (const chunk of scope.chunks) {
      const facts = analyzeCode(chunk.source);
      const at = (rule: string, line: number, message: string): void => {
        diagnostics.push({
          severity: 'error',
          rule,
          message,
          cell: chunk.cell,
          line,
          ...(scope.step ? { step: scope.step } : {}),
        });
      };
      const where = scope.step
        ? `step '${scope.step}'`
        : scope.endpoint
          ? `endpoint '${scope.endpoint}'`
          : 'the prelude';
      if (scope.step) {
        for (const line of facts.unseededRandomLines) {
          diagnostics.push({
            severity: 'warning',
            rule: 'unseeded-random',
            message:
              'Math.random() is not seeded, so a reproduction draws other numbers; use current.random() (seeded by the run and recorded)',
            cell: chunk.cell,
            line,
            step: scope.step,
          });
        }
        for (const line of facts.clockLines) {
          diagnostics.push({
            severity: 'note',
            rule: 'wall-clock',
            message:
              'this reads the wall clock, so a reproduction sees another time; pass the time as a parameter if results depend on it',
            cell: chunk.cell,
            line,
            step: scope.step,
          });
        }
      }
      for (const line of scope.endpoint ? [] : facts.exportLines) {
        at(
          'export-in-cell',
          line,
          `cells cannot export: the compiled flow module owns its exports; remove 'export' here`,
        );
      }
      if (!scope.step && !scope.endpoint) {
        for (const line of facts.topLevelAwaitLines) {
          at(
            'await-in-prelude',
            line,
            'the prelude cannot await at its top level (it becomes module code); move this into a step, or into an async helper a step awaits',
          );
        }
      }
      for (const line of facts.topLevelReturnLines) {
        at(
          'return-outside-function',
          line,
          `'return' outside a function in ${where}: a cell is not a function body`,
        );
      }
      for (const binding of facts.topLevel) {
        if (!scope.step && !scope.endpoint && MODULE_NAMES.has(binding.name)) {
          at(
            'reserved-name',
            binding.line,
            `the prelude declares '${binding.name}', a name the compiled flow module uses; rename it`,
          );
        }
        const earlier = seen.get(binding.name);
        if (earlier && (earlier.kind === 'lexical' || binding.kind === 'lexical')) {
          at(
            'duplicate-binding',
            binding.line,
            `'${binding.name}' is already declared in ${where} (cell ${earlier.chunk.cell.index}, id ${earlier.chunk.cell.id}, line ${earlier.line}); in the flow both cells share one scope, so rename one`,
          );
        } else if (!earlier) {
          seen.set(binding.name, { kind: binding.kind, chunk, line: binding.line });
        }
      }
      facts.imports.forEach((range, i) => {
        const text = normalize(range.text);
        for (const name of importedNamesOf(facts, i)) {
          const other = imports.get(name);
          if (other && other.text !== text) {
            at(
              'conflicting-imports',
              lineAt(chunk.source, range.start),
              `this import binds '${name}', which cell ${other.chunk.cell.index} (id ${other.chunk.cell.id}) imports differently; imports are hoisted into one module, so they must agree`,
            );
          } else if (!other) {
            imports.set(name, { text, chunk });
          }
        }
      });
    }
  }
  return [...diagnostics, ...checkBindings(flow)];
}

function normalize(importText: string): string {
  return importText.replace(/\s+/g, ' ').replace(/;$/, '').trim();
}

/** The names bound by the i-th import of a cell, recomputed from its own text. */
function importedNamesOf(facts: ReturnType<typeof analyzeCode>, i: number): string[] {
  return analyzeCode(facts.imports[i].text).importedNames;
}

function lineAt(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
}
