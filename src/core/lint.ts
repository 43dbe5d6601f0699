// The catalogue of lint rules: every rule cellflow reports, with what it checks. `cellflow lint` and
// the docs key on these ids; the rules themselves live with what they check (tags.ts, flow.ts,
// graph-rules.ts, code-rules.ts, bindings.ts, step-rules.ts, endpoints.ts).
import type { LintRuleId } from './rule-ids';
import { STEP_RULES } from './step-rules';

export { lintCode } from './code-rules';

/** Every rule cellflow reports, with what it checks. Each has a failing fixture under test/fixtures/lint. */
export const LINT_RULES: Record<LintRuleId, string> = {
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
