// Every rule id a diagnostic can carry, by the module that reports it. `LINT_RULES` (lint.ts) describes
// each lint rule and is typed by `LintRuleId`, so a rule cannot be added without its description and
// failing fixture (test/core/lint-rules.test.ts), and a typo in an id is a type error.

/** Notebook structure and tags (notebook.ts, tags.ts, flow.ts, parameters.ts). */
export type NotebookRuleId =
  | 'invalid-notebook'
  | 'invalid-tag'
  | 'comma-tag'
  | 'unknown-tag'
  | 'misspelled-tag'
  | 'conflicting-tags'
  | 'option-without-step'
  | 'tag-on-non-code-cell'
  | 'syntax-error'
  | 'invalid-parameter'
  | 'duplicate-parameter'
  | 'duplicate-step'
  | 'duplicate-endpoint';

/** The flow graph's structure (graph-rules.ts). */
export type GraphRuleId =
  | 'no-steps'
  | 'unknown-next-target'
  | 'no-end'
  | 'entry-has-parents'
  | 'switch-with-foreach'
  | 'switch-successors'
  | 'unreachable-step'
  | 'cycle'
  | 'cannot-reach-end'
  | 'foreach-successors'
  | 'end-is-join'
  | 'join-without-split'
  | 'join-mixes-splits'
  | 'join-arity'
  | 'empty-foreach'
  | 'split-not-joined'
  | 'loop-into-join'
  | 'loop-crosses-split';

/** The code in the flow's cells (code-rules.ts, bindings.ts). */
export type CodeRuleId =
  | 'export-in-cell'
  | 'await-in-prelude'
  | 'return-outside-function'
  | 'reserved-name'
  | 'duplicate-binding'
  | 'conflicting-imports'
  | 'unseeded-random'
  | 'wall-clock'
  | 'binding-across-steps'
  | 'parameter-as-binding'
  | 'binding-from-skipped-cell';

/** A step's code in its place in a sound graph (step-rules.ts). */
export type StepRuleId = 'catch-on-foreach' | 'catch-on-switch' | 'undefined-artifact';

/** Endpoints and serving metadata (endpoints.ts). */
export type EndpointRuleId = 'endpoint-signature' | 'endpoint-unknown-artifact' | 'invalid-serve-metadata';

/** The rules `cellflow lint` documents, each with a failing fixture under test/fixtures/lint. */
export type LintRuleId = NotebookRuleId | GraphRuleId | CodeRuleId | StepRuleId | EndpointRuleId;

/**
 * Every id a Diagnostic carries: the lint rules, plus `unresolved-import` (the runtime resolves a
 * flow's imports on disk, which core cannot) and `internal` (the extension's report of a crash in
 * analysis itself).
 */
export type RuleId = LintRuleId | 'unresolved-import' | 'internal';
