// Comparing two real runs of one notebook (run by the CLI into a temporary datastore, read as the
// kernel's `run-detail` reads them): parameters, per-step task counts, artifact hashes per step and
// name, and which differing values are small enough to show side by side.
import * as fs from 'fs';
import * as path from 'path';
import { Run } from '../../src/client';
import { runDetail } from '../../src/client/views';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { compareRuns, valuesToFetch } from '../../src/lab/run-compare';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

let work: string;
let home: string;

beforeAll(() => {
  work = tempDir('cellflow-compare-');
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(notebook: string, params: string[]): Promise<string> {
  const idFile = path.join(work, `run-id-${params.join('-')}`);
  const result = await cellflow(
    ['run', notebook, '-q', '--run-id-file', idFile, ...params.flatMap((p) => ['--param', p])],
    { env: { CELLFLOW_HOME: home } },
  );
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

test('two runs side by side: parameters, foreach task counts, artifacts equal or different', async () => {
  const nb = writeNotebook(work, 'sweep.ipynb', [
    { tags: ['parameters'], source: "const n = 2;\nconst label = 'base';" },
    {
      tags: ['step:start', 'foreach:items'],
      source:
        'self.items = Array.from({ length: self.n }, (_, i) => i + 1);\nself.name = self.label.toUpperCase();',
    },
    { tags: ['step:square'], source: 'self.sq = self.input * self.input;' },
    { tags: ['step:total'], source: 'self.total = inputs.reduce((s, i) => s + i.sq, 0);' },
    { tags: ['step:end'], source: 'self.done = true;' },
  ]);
  const a = await run(nb, ['n=2']);
  const b = await run(nb, ['n=3']);
  const store = Datastore.open({ root: home });
  const comparison = compareRuns(runDetail(Run.get(a, store)), runDetail(Run.get(b, store)));

  expect(comparison.a).toBe(a);
  expect(comparison.b).toBe(b);
  const run_ = Object.fromEntries(comparison.run.map((r) => [r.label, r]));
  expect(run_.status).toMatchObject({ a: 'succeeded', b: 'succeeded', same: true });
  // start, 2 or 3 squares, total, end.
  expect(run_.tasks).toMatchObject({ a: '5', b: '6', same: false });
  expect(run_.duration.a).toMatch(/\d/);

  expect(comparison.params).toEqual([
    { label: 'label', a: '"base"', b: '"base"', same: true },
    { label: 'n', a: '2', b: '3', same: false },
  ]);

  const steps = Object.fromEntries(comparison.steps.map((r) => [r.label, r]));
  expect(comparison.steps.map((r) => r.label)).toEqual(['start', 'square', 'total', 'end']);
  expect(steps.square.a).toMatch(/^2 tasks, succeeded/);
  expect(steps.square.b).toMatch(/^3 tasks, succeeded/);
  expect(steps.square.same).toBe(false);
  expect(steps.end.same).toBe(true);

  const verdict = (step: string, name: string) =>
    comparison.artifacts.find((r) => r.step === step && r.name === name)?.verdict;
  expect(verdict('start', 'name')).toBe('equal');
  expect(verdict('start', 'items')).toBe('different');
  // A foreach body's artifact is compared task by task: [1, 4] against [1, 4, 9].
  expect(verdict('square', 'sq')).toBe('different');
  expect(comparison.artifacts.find((r) => r.step === 'square' && r.name === 'sq')?.a).toBe(
    '2 tasks, 2 distinct',
  );
  expect(verdict('total', 'total')).toBe('different');
  expect(verdict('end', 'done')).toBe('equal');

  // Values worth showing side by side: differing, small, and held by one task in each run.
  const fetch = valuesToFetch(comparison, 1024).map((r) => `${r.step}.${r.name}`);
  expect(fetch).toContain('total.total');
  expect(fetch).toContain('start.items');
  expect(fetch).not.toContain('square.sq');
  expect(fetch).not.toContain('end.done');
  const total = comparison.artifacts.find((r) => r.step === 'total' && r.name === 'total')!;
  expect(total.taskA).toMatch(new RegExp(`^${a}/total/`));
  expect(total.taskB).toMatch(new RegExp(`^${b}/total/`));
  expect(valuesToFetch(comparison, 0)).toEqual([]);
}, 60_000);
