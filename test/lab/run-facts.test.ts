import type { RunDetailResult } from '../../src/core/protocol';
import { find, reproFacts, runFacts, taskPathspec } from '../../src/lab/run-facts';

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
  expect(facts.os).toBe('{"platform":"linux"}');
});

test('a run without a reproducibility record has no such facts', () => {
  expect(reproFacts({ ...run, source: undefined, lockfile: undefined, environment: undefined })).toEqual([]);
});

test('find follows the first path that exists', () => {
  expect(find({ a: { b: 1 } }, ['x'], ['a', 'b'])).toBe(1);
  expect(find({ a: [1] }, ['a', '0'])).toBeUndefined();
  expect(taskPathspec({ flow: 'F', runId: 'r', step: 's', taskId: 't' })).toBe('F/r/s/t');
});
