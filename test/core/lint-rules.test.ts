// One failing fixture per lint rule (test/fixtures/lint/<rule>.ipynb), each asserting the exact message
// and the cell it names, through core and through the CLI's lint command (in-process).
import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook, formatDiagnostic, LINT_RULES } from '../../src/core';
import { runCli } from '../../src/cli/main';
import { memoryIO } from '../../src/cli/io';

const FIXTURES = path.join('test', 'fixtures', 'lint');
const REPO = path.resolve(__dirname, '..', '..');

/** rule → the one diagnostic its fixture produces, formatted with the fixture's path. */
const EXPECTED: Record<string, string> = {
  'invalid-notebook': 'error [invalid-notebook]: the notebook has no cells; expected a list of cells.',
  'invalid-tag':
    "cell 0 (id start), step 'start': error [invalid-tag]: tag 'retry:x': retry must be a whole number of extra attempts from 0 to 100.",
  'comma-tag':
    "cell 0 (id start), step 'start': error [comma-tag]: tag 'next:a,b' contains ',', which nbformat forbids in a tag: write one value per tag. Use the tags 'next:a' and 'next:b' instead ('cellflow lint --fix' rewrites it).",
  'unknown-tag':
    "cell 0 (id start), step 'start': warning [unknown-tag]: tag 'retries:3' on a step cell is not a cellflow tag, so it is ignored. Did you mean 'retry:3'?",
  'undefined-artifact':
    "cell 1 (id train), step 'train', line 1: error [undefined-artifact]: step 'train' reads self.dta, which no step before it sets and no parameter declares. Did you mean 'self.data'?",
  'catch-on-foreach':
    "cell 0 (id start), step 'start': error [catch-on-foreach]: step 'start' has catch:failure and foreach:items: a foreach step cannot catch its failure (Metaflow refuses @catch on a foreach split). Move catch:failure to the step that runs once per element.",
  'catch-on-switch':
    "cell 0 (id start), step 'start': error [catch-on-switch]: step 'start' has catch:failure and switch:route: a switch step cannot catch its failure, since then no branch is chosen (Metaflow refuses @catch on a switch). Compute self.route in a step before 'start' and catch there.",
  'misspelled-tag':
    "cell 1 (id code), step 'start': error [misspelled-tag]: tag 'stp:train' is not a cellflow tag, but looks like one. Did you mean 'step:train'?",
  'conflicting-tags':
    "cell 0 (id start), step 'start': error [conflicting-tags]: tags 'step:start' and 'skip' conflict: a cell is a step, the parameters, an endpoint, or skipped.",
  'option-without-step':
    "cell 1 (id code), step 'start': error [option-without-step]: tag 'retry:2' only applies to a step: put it on the cell tagged step:NAME.",
  'tag-on-non-code-cell':
    'cell 1 (id notes): warning [tag-on-non-code-cell]: cellflow tags on a markdown cell are ignored: put them on a code cell.',
  'syntax-error':
    "cell 0 (id start), step 'start', line 2: error [syntax-error]: syntax error: Expression expected.",
  'invalid-parameter':
    "cell 0 (id code), line 2: error [invalid-parameter]: 'let beta = 2;' is not a parameter: the parameters cell may only declare `const name = literal`. A parameters cell holds only lines like `const name = 0.25`, `const label = 'x'`, `const flag = true` or a JSON array/object.",
  'duplicate-parameter':
    "cell 0 (id code), line 2: error [duplicate-parameter]: parameter 'alpha' is declared twice (first in cell 0, id code, line 1).",
  'duplicate-step':
    "cell 2 (id train-again), step 'train': error [duplicate-step]: step 'train' is already defined by cell 1 (id train); step names must be unique.",
  'no-steps':
    "error [no-steps]: the notebook has no steps: tag the first code cell of each step 'step:NAME' (e.g. step:start ... step:end).",
  'unknown-next-target':
    "cell 0 (id start), step 'start': error [unknown-next-target]: step 'start' has next:trian, but there is no step 'trian'. Did you mean 'train'?",
  'no-end':
    "cell 2 (id b), step 'b': error [no-end]: the last step 'b' has next:a, so the flow has no end step. The last step in the notebook is the end: remove its next: tag, or add an end step after it.",
  'entry-has-parents':
    "cell 1 (id again), step 'again': error [entry-has-parents]: step 'again' goes to 'start', the entry step: the first step of the notebook cannot have parents.",
  'unreachable-step':
    "cell 1 (id orphan), step 'orphan': error [unreachable-step]: step 'orphan' is never reached from the entry step 'start'. Name it in the next: tag of the step that should run before it.",
  cycle:
    "cell 2 (id b), step 'b': error [cycle]: steps form a cycle: a → b → a; a flow is acyclic unless the loop goes through a switch. To loop, make a step of the cycle a switch: tag it switch:ARTIFACT with one next: per case, one of which leaves the loop.",
  'switch-successors':
    "cell 0 (id start), step 'start': error [switch-successors]: step 'start' has switch:mode but one successor ('end'): a switch picks one of two or more next: steps. Add a next:STEP tag for every case, e.g. next:end next:other; self.mode names the one to run.",
  'switch-with-foreach':
    "cell 0 (id start), step 'start': error [switch-with-foreach]: step 'start' has both switch:mode and foreach:items: a step either fans out over every element or picks one successor. Split it in two: the foreach step, then a step in the body (or after the join) with the switch.",
  'loop-into-join':
    "cell 4 (id again), step 'again': error [loop-into-join]: step 'again' loops back to 'join', a join: a loop cannot go back into a join, which waits for one task from every branch. Loop back to the step that opens the split, or to a step after the join.",
  'loop-crosses-split':
    "cell 2 (id a), step 'a': error [loop-crosses-split]: step 'a' loops back to 'fan' across the split at step 'fan': a loop stays inside one branch (or one foreach element), or around the whole split and its join.",
  'cannot-reach-end':
    "cell 1 (id ping), step 'ping': error [cannot-reach-end]: steps 'ping', 'pong' can never reach the end step 'end': every path from them loops back without leaving. Give a switch in the loop a next: case that leads out of it, towards the end.",
  'foreach-successors':
    "cell 0 (id start), step 'start': error [foreach-successors]: step 'start' has foreach:items and 2 successors ('a', 'b'): a foreach runs exactly one step per element.",
  'end-is-join':
    "cell 3 (id end), step 'end': error [end-is-join]: the end step 'end' has 2 parents ('a', 'b'): the end step cannot be a join. Add a join step before the end step.",
  'join-without-split':
    "cell 1 (id middle), step 'middle': error [join-without-split]: step 'middle' reads 'inputs', which makes it a join, but no foreach is open before it. Read artifacts through 'self' here, or fan out with foreach:ARTIFACT before it.",
  'join-mixes-splits':
    "cell 5 (id mix), step 'mix': error [join-mixes-splits]: step 'mix' joins paths from different splits: 'a1' (inside 'a'), 'b' (inside 'start'); a join closes the innermost open split. Join the inner split first, then join the outer one.",
  'join-arity':
    "cell 4 (id ab), step 'ab': error [join-arity]: step 'ab' joins 2 paths (from 'a', 'b'), but the split at 'start' opened 3 ('a', 'b', 'c'); a join takes exactly one path from each branch.",
  'empty-foreach':
    "cell 1 (id gather), step 'gather': error [empty-foreach]: the foreach at 'start' goes straight to its join 'gather': there is no step to run once per element. Add a step between 'start' and 'gather'.",
  'split-not-joined':
    "cell 2 (id end), step 'end': error [split-not-joined]: the end step 'end' is reached while the foreach at step 'start' (cell 0, id start) is still open. Add a join step (one that reads 'inputs') after the foreach body, before the end.",
  'binding-across-steps':
    "cell 2 (id train), step 'train', line 2: error [binding-across-steps]: 'model' is declared in step 'fit' (cell 1, id fit) and read in step 'train'; pass it as an artifact: assign self.model in 'fit' and read self.model here.",
  'parameter-as-binding':
    "cell 1 (id start), step 'start', line 1: error [parameter-as-binding]: 'seed' is a parameter (cell 0, id code, line 1) and is read as a variable in step 'start'; read it as self.seed: in a flow, parameters are artifacts.",
  'binding-from-skipped-cell':
    "cell 1 (id start), step 'start', line 1: error [binding-from-skipped-cell]: 'scratch' is declared in a skipped cell (cell 0, id scratchpad) and read in step 'start'; skipped cells are not part of the flow: declare it in the prelude or in this step.",
  'export-in-cell':
    "cell 0 (id start), step 'start', line 1: error [export-in-cell]: cells cannot export: the compiled flow module owns its exports; remove 'export' here.",
  'await-in-prelude':
    'cell 0 (id setup), line 1: error [await-in-prelude]: the prelude cannot await at its top level (it becomes module code); move this into a step, or into an async helper a step awaits.',
  'return-outside-function':
    "cell 0 (id start), step 'start', line 2: error [return-outside-function]: 'return' outside a function in step 'start': a cell is not a function body.",
  'duplicate-binding':
    "cell 1 (id more-setup), line 1: error [duplicate-binding]: 'limit' is already declared in the prelude (cell 0, id setup, line 1); in the flow both cells share one scope, so rename one.",
  'conflicting-imports':
    "cell 1 (id start), step 'start', line 1: error [conflicting-imports]: this import binds 'fs', which cell 0 (id setup) imports differently; imports are hoisted into one module, so they must agree.",
  'reserved-name':
    "cell 0 (id setup), line 1: error [reserved-name]: the prelude declares 'steps', a name the compiled flow module uses; rename it.",
  'duplicate-endpoint':
    "cell 3 (id predict-again): error [duplicate-endpoint]: endpoint 'predict' is already defined by cell 2 (id predict); endpoint names must be unique.",
  'endpoint-signature':
    "cell 2 (id predict), line 1: error [endpoint-signature]: the cell is tagged 'endpoint:predict' but does not export a function named 'predict': define export function predict(request, artifacts).",
  'endpoint-unknown-artifact':
    "cell 2 (id predict), line 2: error [endpoint-unknown-artifact]: endpoint 'predict' reads artifact 'modle', which the flow does not have at its end (step 'end'); it has model. Did you mean 'artifacts.model'?",
  'invalid-serve-metadata':
    "error [invalid-serve-metadata]: notebook metadata cellflow.serve.reference names artifact 'modl', which the flow does not have at its end (step 'end'). Did you mean 'model'?",
  'unseeded-random':
    "cell 0 (id start), step 'start', line 2: warning [unseeded-random]: Math.random() is not seeded, so a reproduction draws other numbers; use current.random() (seeded by the run and recorded).",
  'wall-clock':
    "cell 0 (id start), step 'start', line 1: note [wall-clock]: this reads the wall clock, so a reproduction sees another time; pass the time as a parameter if results depend on it.",
};

const fixture = (rule: string): string => path.join(FIXTURES, `${rule}.ipynb`);

test('every rule has a fixture and an expected message, and every fixture a rule', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(LINT_RULES).sort());
  const files = fs.readdirSync(path.join(REPO, FIXTURES)).map((f) => f.replace(/\.ipynb$/, ''));
  expect(files.sort()).toEqual(Object.keys(LINT_RULES).sort());
});

describe.each(Object.keys(EXPECTED))('%s', (rule) => {
  test('its fixture gives exactly its message, naming the cell', () => {
    const file = fixture(rule);
    const { diagnostics } = analyzeNotebook(fs.readFileSync(path.join(REPO, file), 'utf8'), file);
    expect(diagnostics.map((d) => formatDiagnostic(d, file))).toEqual([`${file}: ${EXPECTED[rule]}`]);
    expect(diagnostics[0].rule).toBe(rule);
  });

  test('cellflow lint reports it with the exit code of its severity', async () => {
    const io = memoryIO();
    const cwd = process.cwd();
    process.chdir(REPO);
    try {
      const code = await runCli(['lint', fixture(rule)], io);
      const isError = !/ (warning|note) \[/.test(EXPECTED[rule]);
      expect(code).toBe(isError ? 2 : 0);
      expect(io.err).toContain(`${fixture(rule)}: ${EXPECTED[rule]}\n`);
      expect(io.err).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      process.chdir(cwd);
    }
  });
});

test('every example passes lint with no diagnostics at all', () => {
  for (const name of ['hello', 'foreach', 'churn', 'loop']) {
    const file = path.join('examples', `${name}.ipynb`);
    const analysis = analyzeNotebook(fs.readFileSync(path.join(REPO, file), 'utf8'), file);
    expect(analysis.diagnostics).toEqual([]);
  }
});
