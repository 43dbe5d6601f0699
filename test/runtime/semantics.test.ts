// Metaflow's step semantics where cellflow once differed (issue #13): mergeArtifacts, catch, timeout,
// resume of a partly failed foreach, parameters, `current`, `inputs.STEP`, foreach over any iterable,
// joins by graph. Real `cellflow run`/`resume` processes and real task processes; each run checks
// many things at once to keep the suite short.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { RunRecord, TaskRecord } from '../../src/runtime/records';
import { schemaErrors } from '../helpers/run-schema';

let work: string;
let home: string;
const env = (extra: Record<string, string> = {}) => ({
  CELLFLOW_HOME: home,
  CELLFLOW_RETRY_BACKOFF_MS: '20',
  CELLFLOW_USER: 'ada',
  ...extra,
});

beforeAll(() => {
  work = tempDir();
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(args: string[], extraEnv: Record<string, string> = {}) {
  const idFile = path.join(work, `run-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow([...args, '--run-id-file', idFile], {
    env: env(extraEnv),
    timeoutMs: 120_000,
  });
  const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
  return { ...result, pathspec };
}

function records(pathspec: string): { run: RunRecord; tasks: TaskRecord[] } {
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  const run = ds.readRun(flow, runId);
  const tasks = ds.listTasks(flow, runId);
  expect(schemaErrors('run', run)).toEqual([]);
  for (const task of tasks) {
    expect(schemaErrors('task', task)).toEqual([]);
  }
  return { run, tasks };
}

function artifactsOf(task: TaskRecord): Record<string, unknown> {
  const ds = Datastore.open({ root: home });
  return Object.fromEntries(
    Object.entries(task.artifacts).map(([name, ref]) => [name, ds.loadArtifactSync(ref)]),
  );
}

function stepArtifacts(pathspec: string, step: string): Record<string, unknown> {
  const task = records(pathspec).tasks.find((t) => t.step === step && t.status === 'succeeded');
  if (!task) {
    throw new Error(`no succeeded task for ${step} in ${pathspec}`);
  }
  return artifactsOf(task);
}

test('mergeArtifacts is atomic and checked; inputs by step name; current; parameters; foreach over iterables; joins by graph', async () => {
  const nb = writeNotebook(work, 'semantics.ipynb', [
    {
      tags: ['parameters'],
      source: [
        'const alpha = 0.5; // learning rate of the model',
        'const maybe = null; // anything, or nothing',
        'const flag = false;',
      ].join('\n'),
    },
    {
      tags: ['step:start', 'next:a', 'next:b'],
      source: [
        "self.shared = 'same'; self.differ = 'start'; self.ignore_me = 'd';",
        'self.seen = { originRunId: current.originRunId, parameterNames: current.parameterNames, user: current.user,',
        '  namespace: current.namespace, tags: current.tags, pathspec: current.pathspec, seed: current.seed ?? null,',
        '  foreachStack: current.foreachStack };',
        'try { self.alpha = 2; self.assignError = null; } catch (e) { self.assignError = (e as Error).message; }',
        'try { delete self.flag; self.deleteError = null; } catch (e) { self.deleteError = (e as Error).message; }',
        'self.values = [self.alpha, self.maybe, self.flag];',
      ].join('\n'),
    },
    { tags: ['step:a', 'next:join'], source: "self.differ = 'a'; self.only_a = 1;" },
    { tags: ['step:b', 'next:join'], source: "self.differ = 'b'; self.ignore_me = 'b';" },
    {
      tags: ['step:join'],
      source: [
        'const errors: Record<string, unknown> = {};',
        'try { mergeArtifacts(inputs); } catch (e) { errors.conflict = [(e as Error).name, (e as Error).message]; }',
        "errors.setAfterConflict = ['shared', 'only_a'].filter((n) => n in self);",
        "try { mergeArtifacts(inputs, { include: ['shared'], exclude: ['differ'] }); } catch (e) { errors.both = (e as Error).message; }",
        "try { mergeArtifacts(inputs, { include: ['shared', 'foobar'] }); } catch (e) { errors.missing = (e as Error).message; }",
        "errors.setAfterMissing = ['shared'].filter((n) => n in self);",
        'self.merge_errors = errors;',
        'self.byName = [inputs.a.differ, inputs.b.differ, inputs.length, Object.keys(inputs).length, inputs.map((i) => i.step)];',
        "self.differ = 'joined';",
        "mergeArtifacts(inputs, { exclude: ['ignore_me'] });",
      ].join('\n'),
    },
    {
      tags: ['step:fork', 'next:c', 'next:d'],
      source: [
        "// A comment that says inputs and a string 'inputs' do not make a step a join.",
        "self.word = 'inputs';",
        'try { mergeArtifacts([]); } catch (e) { self.outside = (e as Error).message; }',
      ].join('\n'),
    },
    { tags: ['step:c', 'next:meet'], source: "self.branch = 'c';" },
    { tags: ['step:d', 'next:meet'], source: "self.branch = 'd';" },
    // Two parents make a join whatever its code mentions: it starts from the parameters only.
    {
      tags: ['step:meet'],
      source: "self.meetSees = ['shared', 'branch', 'alpha'].filter((n) => n in self);",
    },
    {
      tags: ['step:outer', 'foreach:pairs'],
      source: "self.pairs = new Map([['x', 1], ['y', 2]]);",
    },
    {
      tags: ['step:mid', 'foreach:gen'],
      source: 'self.gen = (function* () { yield 10; yield 20; })();',
    },
    {
      tags: ['step:inner'],
      source: 'self.frames = current.foreachStack.map((f) => [f.step, f.index, f.count, f.input]);',
    },
    { tags: ['step:mid_join'], source: 'self.innerFrames = inputs.map((i) => i.frames);' },
    { tags: ['step:outer_join'], source: 'self.allFrames = inputs.map((i) => i.innerFrames);' },
    { tags: ['step:letters', 'foreach:word'], source: "self.word = 'hé';" },
    { tags: ['step:letter'], source: 'self.letter = self.input;' },
    { tags: ['step:letters_join'], source: 'self.letters = inputs.map((i) => i.letter);' },
    {
      tags: ['step:rows', 'foreach:table'],
      source:
        "import { tableFromArrays } from 'apache-arrow';\nself.table = tableFromArrays({ id: Int32Array.from([7, 8]), name: ['p', 'q'] });",
    },
    { tags: ['step:row'], source: 'self.row = self.input;' },
    { tags: ['step:rows_join'], source: 'self.rows = inputs.map((i) => i.row);' },
    { tags: ['step:members', 'foreach:set'], source: "self.set = new Set(['s1', 's2', 's1']);" },
    { tags: ['step:member'], source: 'self.member = self.input;' },
    { tags: ['step:members_join'], source: 'self.members = inputs.map((i) => i.member);' },
    {
      tags: ['step:end'],
      source: 'try { mergeArtifacts([]); } catch (e) { self.endOutside = (e as Error).name; }',
    },
  ]);

  // --list-params and show --format json carry the help text.
  const listed = await cellflow(['run', nb, '--list-params'], { env: env() });
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/--param alpha=NUMBER\s+learning rate of the model; default 0.5/);
  expect(listed.stdout).toMatch(/--param maybe=VALUE\s+anything, or nothing; default null/);
  expect(listed.stdout).toMatch(/--param flag=BOOLEAN\s+default false/);
  const shown = JSON.parse((await cellflow(['show', nb, '--format', 'json'])).stdout);
  expect(shown.parameters.map((p: { help?: string }) => p.help)).toEqual([
    'learning rate of the model',
    'anything, or nothing',
    undefined,
  ]);

  const result = await run([
    'run',
    nb,
    '--param',
    'maybe={"any":[1]}',
    '--param',
    'flag=YES',
    '--tag',
    'nightly',
    '--seed',
    '5',
  ]);
  expect(result.stdout).toContain('run succeeded');
  expect(result.code).toBe(0);
  const [flow, runId] = result.pathspec.split('/');

  const start = stepArtifacts(result.pathspec, 'start');
  const startTask = records(result.pathspec).tasks.find((t) => t.step === 'start')!;
  expect(start.seen).toEqual({
    originRunId: null,
    parameterNames: ['alpha', 'maybe', 'flag'],
    user: 'ada',
    namespace: 'user:ada',
    tags: ['nightly'],
    pathspec: `${flow}/${runId}/start/${startTask.taskId}`,
    seed: 5,
    foreachStack: [],
  });
  expect(start.assignError).toMatch(/self\.alpha is a parameter of the flow and is read-only/);
  expect(start.deleteError).toMatch(/self\.flag is a parameter/);
  expect(start.values).toEqual([0.5, { any: [1] }, true]);

  const join = stepArtifacts(result.pathspec, 'join');
  const errors = join.merge_errors as Record<string, unknown>;
  expect(errors.conflict).toEqual([
    'MergeArtifactsError',
    expect.stringMatching(/inputs disagree on 'differ', 'ignore_me'; nothing was merged/),
  ]);
  expect(errors.setAfterConflict).toEqual([]);
  expect(errors.both).toMatch(/`include` and `exclude` are mutually exclusive/);
  expect(errors.missing).toMatch(/include names 'foobar', which no input has/);
  expect(errors.setAfterMissing).toEqual([]);
  expect(join.byName).toEqual(['a', 'b', 2, 2, ['a', 'b']]);
  expect(join.differ).toBe('joined');
  expect(join.shared).toBe('same');
  expect(join.only_a).toBe(1); // an artifact only one input carries is merged (as Metaflow)
  expect('ignore_me' in join).toBe(false);

  const { run: runRecord } = records(result.pathspec);
  expect(runRecord.graph.nodes.fork.isJoin).toBe(false);
  expect(runRecord.graph.nodes.meet.isJoin).toBe(true);
  expect(stepArtifacts(result.pathspec, 'fork').outside).toMatch(
    /mergeArtifacts can only be called in a join, and step 'fork' is not one/,
  );
  expect(stepArtifacts(result.pathspec, 'meet').meetSees).toEqual(['alpha']);

  expect(stepArtifacts(result.pathspec, 'outer_join').allFrames).toEqual(
    [0, 1].map((i) =>
      [0, 1].map((j) => [
        ['outer', i, 2, [['x', 'y'][i], i + 1]],
        ['mid', j, 2, [10, 20][j]],
      ]),
    ),
  );
  // A generator cannot be stored: the artifact holds its elements; a Map stays a Map.
  expect(stepArtifacts(result.pathspec, 'mid').gen).toEqual([10, 20]);
  const pairs = stepArtifacts(result.pathspec, 'outer').pairs as Map<string, number>;
  expect(Object.prototype.toString.call(pairs)).toBe('[object Map]');
  expect([...pairs]).toEqual([
    ['x', 1],
    ['y', 2],
  ]);
  expect(stepArtifacts(result.pathspec, 'letters_join').letters).toEqual(['h', 'é']);
  expect(stepArtifacts(result.pathspec, 'rows_join').rows).toEqual([
    { id: 7, name: 'p' },
    { id: 8, name: 'q' },
  ]);
  expect(stepArtifacts(result.pathspec, 'members_join').members).toEqual(['s1', 's2']);
  expect(stepArtifacts(result.pathspec, 'end').endOutside).toBe('MergeArtifactsError');
});

test('catch keeps what the failed attempt set and records the error; null on success; SIGKILL retries then catches', async () => {
  const nb = writeNotebook(work, 'catching.ipynb', [
    { tags: ['step:start', 'catch:start_error'], source: 'self.x = 1;' },
    {
      tags: ['step:risky', 'catch:failure', 'retry:1'],
      source: [
        'class DataProblem extends Error {}',
        'self.x = 2;',
        'self.attempt_seen = current.attempt;',
        "throw new DataProblem('bad luck');",
      ].join('\n'),
    },
    {
      tags: ['step:killed', 'catch:crash', 'retry:2'],
      source: "self.before_kill = current.attempt;\nprocess.kill(process.pid, 'SIGKILL');",
    },
    { tags: ['step:end'], source: 'self.summary = [self.failure.type, self.crash.type, self.x];' },
  ]);
  const result = await run(['run', nb]);
  expect(result.code).toBe(0);
  expect(stepArtifacts(result.pathspec, 'start').start_error).toBeNull();
  const risky = records(result.pathspec).tasks.find((t) => t.step === 'risky')!;
  expect(risky.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
  const riskyArtifacts = artifactsOf(risky);
  expect(riskyArtifacts.x).toBe(2);
  expect(riskyArtifacts.attempt_seen).toBe(1);
  const failure = riskyArtifacts.failure as Record<string, unknown>;
  expect(failure).toMatchObject({
    type: 'DataProblem',
    message: 'bad luck',
    step: 'risky',
    attempts: 2,
    cell: { index: 1, id: 'c1' },
    line: 4,
  });
  expect(failure.stack).toMatch(/bad luck\n\s+at risky/);

  const killed = records(result.pathspec).tasks.find((t) => t.step === 'killed')!;
  expect(killed.attempts).toHaveLength(3);
  expect(killed.attempts.every((a) => /killed by SIGKILL/.test(a.error?.message ?? ''))).toBe(true);
  const crash = artifactsOf(killed).crash as Record<string, unknown>;
  expect(crash).toMatchObject({ type: 'TaskProcessDied', step: 'killed', attempts: 3 });
  expect('before_kill' in artifactsOf(killed)).toBe(false); // a killed process left nothing
  expect(stepArtifacts(result.pathspec, 'end').summary).toEqual(['DataProblem', 'TaskProcessDied', 2]);
});

test('timeout throws into an awaiting step (catch keeps its artifacts); a busy loop is killed; the record says which', async () => {
  const nb = writeNotebook(work, 'timeouts.ipynb', [
    {
      tags: ['step:start', 'timeout:1', 'catch:late'],
      source:
        "self.progress = 'half';\nawait new Promise((resolve) => setTimeout(resolve, 60_000));\nself.progress = 'done';",
    },
    { tags: ['step:busy', 'timeout:1', 'catch:stuck'], source: 'self.spun = true;\nfor (;;) {}' },
    { tags: ['step:end'], source: '' },
  ]);
  const result = await run(['run', nb]);
  expect(result.code).toBe(0);
  const tasks = records(result.pathspec).tasks;
  const start = tasks.find((t) => t.step === 'start')!;
  expect(start.attempts[0].error).toMatchObject({ type: 'StepTimeoutError', timeout: 'in-process' });
  expect(start.attempts[0].error?.message).toMatch(/step 'start' timed out after 1 s/);
  const startArtifacts = artifactsOf(start);
  expect(startArtifacts.progress).toBe('half');
  expect(startArtifacts.late).toMatchObject({ type: 'StepTimeoutError' });
  const busy = tasks.find((t) => t.step === 'busy')!;
  expect(busy.attempts[0].error).toMatchObject({ type: 'StepTimeoutError', timeout: 'killed' });
  expect(busy.attempts[0].error?.message).toMatch(/timed out after 1 s .* was killed/);
  expect('spun' in artifactsOf(busy)).toBe(false);
});

test('resume clones the successful tasks of the failed foreach step: one failed element re-runs alone', async () => {
  const nb = writeNotebook(work, 'wide.ipynb', [
    {
      tags: ['step:start', 'foreach:items'],
      source: 'self.items = Array.from({ length: 24 }, (_, i) => i);',
    },
    {
      tags: ['step:body'],
      source: [
        // The last element fails: every other element has started (and finishes) by then.
        "if (self.input === 23 && process.env.FAIL_ELEMENT === '23') throw new Error('element 23 fails');",
        'self.square = self.input * self.input;',
      ].join('\n'),
    },
    { tags: ['step:join'], source: 'self.total = inputs.reduce((sum, i) => sum + i.square, 0);' },
    { tags: ['step:end'], source: '' },
  ]);
  const failed = await run(['run', nb, '--max-workers', '2'], { FAIL_ELEMENT: '23' });
  expect(failed.code).toBe(1);
  const resumed = await run(['resume', failed.pathspec]);
  // The failure line of a resume names the notebook file, as run's does (none here: it succeeds).
  expect(resumed.code).toBe(0);
  const { run: record, tasks } = records(resumed.pathspec);
  expect(record.origin).toMatchObject({ kind: 'resume', pathspec: failed.pathspec, fromStep: 'body' });
  const bodies = tasks.filter((t) => t.step === 'body');
  expect(bodies).toHaveLength(24);
  const rerun = bodies.filter((t) => !t.reusedFrom);
  expect(rerun.map((t) => t.foreachStack[0].index)).toEqual([23]);
  expect(stepArtifacts(resumed.pathspec, 'join').total).toBe(
    Array.from({ length: 24 }, (_, i) => i * i).reduce((a, b) => a + b),
  );
  // current.originRunId in the resumed run.
  expect(tasks.find((t) => t.step === 'join')!.reusedFrom).toBeUndefined();

  // --from re-runs the named step entirely.
  const again = await run(['resume', resumed.pathspec, '--from', 'body']);
  expect(again.code).toBe(0);
  expect(records(again.pathspec).tasks.filter((t) => t.step === 'body' && !t.reusedFrom)).toHaveLength(24);
});

test("resume's failure line names the notebook file, and current.originRunId is the resumed run", async () => {
  const nb = writeNotebook(work, 'fails-twice.ipynb', [
    { tags: ['step:start'], source: 'self.x = 1;' },
    {
      tags: ['step:end'],
      source:
        "self.origin = current.originRunId;\nif (process.env.STILL_BROKEN) throw new Error('still broken');",
    },
  ]);
  const first = await run(['run', nb], { STILL_BROKEN: '1' });
  expect(first.stdout).toMatch(/failed at fails-twice\.ipynb: cell 1 \(id c1\), line 2: still broken/);
  const second = await run(['resume', first.pathspec], { STILL_BROKEN: '1' });
  expect(second.code).toBe(1);
  expect(second.stdout).toMatch(/failed at fails-twice\.ipynb: cell 1 \(id c1\), line 2: still broken/);
  const third = await run(['resume', second.pathspec]);
  expect(third.code).toBe(0);
  expect(stepArtifacts(third.pathspec, 'end').origin).toBe(second.pathspec.split('/')[1]);
});
