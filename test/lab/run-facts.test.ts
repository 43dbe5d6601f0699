import type { RunDetailResult } from '../../src/core/protocol';
import type { TaskView } from '../../src/core/protocol';
import { find, reproFacts, runFacts, taskPathspec, tasksInStepOrder } from '../../src/lab/run-facts';

const run: RunDetailResult['run'] = {
  flow: 'Hello',
  runId: '1700000000000-ab12',
  user: 'ada',
  tags: ['nightly', 'interactive'],
  params: { alpha: 0.5 },
  status: 'succeeded',
  createdAt: '2024-01-01T00:00:00Z',
  finishedAt: '2024-01-01T00:00:03Z',
  graph: { entry: 'start', end: 'end', order: [], nodes: {} },
  source: { git: { commit: 'abc123', branch: 'main', dirty: ['a.ipynb'] } },
  lockfile: { sha256: 'f00d', drift: { changed: [], missing: [{ name: 'x' }], extraneous: [] } },
  environment: { node: 'v20.1.0', os: { platform: 'linux' }, arch: 'x64' },
};

test('run facts: status, parameters, tags and duration', () => {
  const facts = Object.fromEntries(runFacts(run));
  expect(facts.status).toBe('succeeded');
  expect(facts.parameters).toBe('alpha=0.5');
  expect(facts.tags).toBe('nightly, interactive');
  expect(facts.duration).toBe('3.0 s');
});

test('the reproducibility record yields commit, branch, dirty files, lockfile hash and drift, Node', () => {
  const facts = Object.fromEntries(reproFacts(run));
  expect(facts['git commit']).toBe('abc123');
  expect(facts['git branch']).toBe('main');
  expect(facts['dirty files']).toBe('a.ipynb');
  expect(facts['lockfile sha256']).toBe('f00d');
  expect(facts['lockfile drift']).toBe('0 changed, 1 missing, 0 extraneous');
  expect(facts.node).toBe('v20.1.0');
  expect(facts.os).toBe('linux');
});

// The record as the runtime writes it (src/runtime: source, lockfile and environment of run.json).
const recorded: RunDetailResult['run'] = {
  ...run,
  source: {
    notebook: { path: 'hello.ipynb', sha256: 'a1'.repeat(32) },
    module: { path: 'hello.flow.ts', sha256: 'b2'.repeat(32) },
    git: {
      head: '9b3a9d0a1db501303d6161161534d418252bc30d',
      branch: 'master',
      dirty: ['?? a', '?? b', ' M c', ' M d', ' M e', '?? f', '?? g'],
      snapshot: { commit: 'd80683a1', ref: 'refs/cellflow/runs/hello/1795645091830-583b8d013538' },
    },
  },
  lockfile: {
    path: null,
    sha256: 'eabf',
    derived: true,
    drift: { checked: false, changed: [], missing: [], extraneous: [] },
  },
  environment: {
    node: 'v20.20.2',
    os: { platform: 'linux', type: 'Linux', release: '6.18.44', version: '#1 SMP' },
    arch: 'x64',
    cpus: { model: 'Intel(R) Xeon(R)', count: 2 },
    timeZone: 'UTC',
    versions: { cellflow: '0.1.0', typescript: '5.9.3', tslab: '1.0.22' },
  },
};

test('the record as the runtime writes it: HEAD, snapshot, derived lockfile, unchecked drift, readable os', () => {
  expect(Object.fromEntries(reproFacts(recorded))).toEqual({
    'git commit': '9b3a9d0a1db501303d6161161534d418252bc30d',
    'git branch': 'master',
    'dirty files': '7: ?? a, ?? b,  M c,  M d,  M e, …',
    'snapshot commit': 'd80683a1',
    'snapshot ref': 'refs/cellflow/runs/hello/1795645091830-583b8d013538',
    'notebook sha256': 'a1'.repeat(32),
    'module sha256': 'b2'.repeat(32),
    lockfile: 'none (derived from node_modules)',
    'lockfile sha256': 'eabf',
    'lockfile drift': 'not checked',
    node: 'v20.20.2',
    os: 'Linux 6.18.44',
    arch: 'x64',
    cpus: '2 × Intel(R) Xeon(R)',
    'time zone': 'UTC',
    cellflow: '0.1.0',
    typescript: '5.9.3',
    tslab: '1.0.22',
  });
});

test('a run without a reproducibility record has no such facts', () => {
  expect(reproFacts({ ...run, source: undefined, lockfile: undefined, environment: undefined })).toEqual([]);
});

test('find follows the first path that exists', () => {
  expect(find({ a: { b: 1 } }, ['x'], ['a', 'b'])).toBe(1);
  expect(find({ a: [1] }, ['a', '0'])).toBeUndefined();
  expect(taskPathspec({ flow: 'F', runId: 'r', step: 's', taskId: 't' })).toBe('F/r/s/t');
});

test('tasks are listed in notebook step order, then by numeric task id', () => {
  const task = (step: string, taskId: string) =>
    ({ flow: 'F', runId: 'r', step, taskId, status: 'succeeded', attempts: [], artifacts: {} }) as TaskView;
  const tasks = [
    task('end', '12'),
    task('join', '11'),
    task('body', '10'),
    task('body', '9'),
    task('start', '1'),
  ];
  expect(
    tasksInStepOrder(tasks, ['start', 'body', 'join', 'end']).map((t) => `${t.step}/${t.taskId}`),
  ).toEqual(['start/1', 'body/9', 'body/10', 'join/11', 'end/12']);
  // Without a graph: by step name.
  expect(tasksInStepOrder(tasks).map((t) => t.step)).toEqual(['body', 'body', 'end', 'join', 'start']);
});
