// Comparing two real runs of one notebook (run by the CLI into a temporary datastore, read as the
// kernel's `run-detail` reads them): parameters, per-step task counts, artifact hashes per step and
// name, and which differing values are small enough to show side by side; three runs, their numeric
// scalars as series and the chart's marks.
import * as fs from 'fs';
import * as path from 'path';
import { Run, Task } from '../../src/client';
import { artifactPreview, runDetail } from '../../src/client/views';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { compareRuns, scalarCandidates, valuesToFetch } from '../../src/lab/run-compare';
import { layoutChart, numericSeries, previewKey } from '../../src/lab/run-compare-numbers';
import type { ArtifactPreview } from '../../src/core/protocol';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

let work: string;
let home: string;
/** The sweep notebook and its first two runs (n=2, n=3), which the three-run test compares with a third. */
let nb: string;
const sweep: string[] = [];

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
  nb = writeNotebook(work, 'sweep.ipynb', [
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
  sweep.push(a, b);
  const store = Datastore.open({ root: home });
  const comparison = compareRuns([runDetail(Run.get(a, store)), runDetail(Run.get(b, store))]);

  expect(comparison.runs).toEqual([a, b]);
  const run_ = Object.fromEntries(comparison.run.map((r) => [r.label, r]));
  expect(run_.status).toMatchObject({ values: ['succeeded', 'succeeded'], same: true });
  // start, 2 or 3 squares, total, end.
  expect(run_.tasks).toMatchObject({ values: ['5', '6'], same: false });
  expect(run_.duration.values[0]).toMatch(/\d/);

  expect(comparison.params).toEqual([
    { label: 'label', values: ['"base"', '"base"'], same: true },
    { label: 'n', values: ['2', '3'], same: false },
  ]);

  const steps = Object.fromEntries(comparison.steps.map((r) => [r.label, r]));
  expect(comparison.steps.map((r) => r.label)).toEqual(['start', 'square', 'total', 'end']);
  expect(steps.square.values[0]).toMatch(/^2 tasks, succeeded/);
  expect(steps.square.values[1]).toMatch(/^3 tasks, succeeded/);
  expect(steps.square.same).toBe(false);
  expect(steps.end.same).toBe(true);

  const verdict = (step: string, name: string) =>
    comparison.artifacts.find((r) => r.step === step && r.name === name)?.verdict;
  expect(verdict('start', 'name')).toBe('equal');
  expect(verdict('start', 'items')).toBe('different');
  // A foreach body's artifact is compared task by task: [1, 4] against [1, 4, 9].
  expect(verdict('square', 'sq')).toBe('different');
  expect(comparison.artifacts.find((r) => r.step === 'square' && r.name === 'sq')?.values[0]).toBe(
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
  expect(total.tasks[0]).toMatch(new RegExp(`^${a}/total/`));
  expect(total.tasks[1]).toMatch(new RegExp(`^${b}/total/`));
  expect(valuesToFetch(comparison, 0)).toEqual([]);
}, 60_000);

test('three runs, picked out of order: columns oldest first, a row differs unless all agree, numbers as series', async () => {
  const [a, b] = sweep;
  expect(b).toBeDefined();
  const c = await run(nb, ['n=3', 'label=other']);
  const store = Datastore.open({ root: home });
  const comparison = compareRuns([c, a, b].map((p) => runDetail(Run.get(p, store))));
  expect(comparison.runs).toEqual([a, b, c]);

  expect(comparison.params).toEqual([
    { label: 'label', values: ['"base"', '"base"', '"other"'], same: false },
    { label: 'n', values: ['2', '3', '3'], same: false },
  ]);
  const run_ = Object.fromEntries(comparison.run.map((r) => [r.label, r]));
  expect(run_.status).toMatchObject({ values: ['succeeded', 'succeeded', 'succeeded'], same: true });
  expect(run_.tasks).toMatchObject({ values: ['5', '6', '6'], same: false });
  expect(run_.duration.values).toHaveLength(3);
  expect(comparison.durationsMs.every((ms) => ms !== undefined && ms > 0)).toBe(true);

  const artifact = (step: string, name: string) =>
    comparison.artifacts.find((r) => r.step === step && r.name === name)!;
  // b and c agree on the total (n=3), a does not: the row differs.
  expect(artifact('total', 'total').verdict).toBe('different');
  expect(artifact('total', 'total').keys[1]).toBe(artifact('total', 'total').keys[2]);
  expect(artifact('start', 'name').verdict).toBe('different');
  expect(artifact('end', 'done').verdict).toBe('equal');
  expect(artifact('total', 'total').json).toBe(true);
  // The foreach body's `sq` has three tasks in b and c: no single value to preview or chart.
  expect(artifact('square', 'sq').tasks).toEqual([undefined, undefined, undefined]);
  expect(valuesToFetch(comparison, 1024).map((r) => `${r.step}.${r.name}`)).toContain('total.total');

  // The scalars worth reading for numbers: each value once (end's copy of `total` is total's).
  const candidates = scalarCandidates(comparison, 32);
  const labels = candidates.map(
    (r) => `${r.step}${r.element === undefined ? '' : `[${r.element + 1}]`}.${r.name}`,
  );
  expect(labels).toContain('total.total');
  expect(labels).not.toContain('end.total');
  expect(labels).not.toContain('square.sq');
  // The foreach body's numbers element by element: the i-th task of each run.
  expect(labels.filter((l) => l.startsWith('square['))).toEqual([
    'square[1].sq',
    'square[2].sq',
    'square[3].sq',
  ]);
  const previews = new Map<string, ArtifactPreview>();
  for (const row of candidates) {
    for (const task of row.tasks) {
      if (task) {
        previews.set(previewKey(task, row.name), await artifactPreview(Task.get(task, store), row.name));
      }
    }
  }
  const series = numericSeries(comparison, candidates, previews);
  const byLabel = Object.fromEntries(series.map((s) => [s.label, s]));
  expect(series[0].label).toBe('duration (s)');
  // Durations always differ: charted, but not marked as a difference (as in the run table).
  expect(series[0]).toMatchObject({ source: 'run', same: true });
  expect(byLabel.n).toMatchObject({ source: 'parameter', values: [2, 3, 3], same: false });
  // 1 + 4, then 1 + 4 + 9 twice.
  expect(byLabel['total.total']).toMatchObject({
    source: 'artifact',
    values: [5, 14, 14],
    same: false,
    varies: true,
  });
  // Element 3 exists only where n=3 (a difference); elements 1 and 2 square the same numbers in every run.
  expect(byLabel['square[3].sq']).toMatchObject({ values: [undefined, 9, 9], same: false, varies: true });
  expect(byLabel['square[2].sq']).toMatchObject({ values: [4, 4, 4], same: true, varies: false });
  expect(byLabel['end.done']).toBeUndefined(); // a boolean is not a number
  expect(byLabel.label).toBeUndefined();
  expect(byLabel['start.n']).toBeUndefined(); // the parameter's own row stands for it

  // The chart: a mark per run, left to right in start order, the highest value on top.
  const chart = layoutChart(byLabel['total.total'].values);
  expect(chart.marks.map((m) => m.run)).toEqual([0, 1, 2]);
  expect(chart.marks[0].x).toBeLessThan(chart.marks[1].x);
  expect(chart.marks[1].x).toBeLessThan(chart.marks[2].x);
  expect(chart.marks[0].y).toBe(chart.plot.bottom);
  expect(chart.marks[1].y).toBe(chart.plot.top);
  expect(chart.segments).toHaveLength(2);
  expect(chart.yLabels.map((l) => l.text)).toEqual(['14', '5']);
  expect(chart.xLabels.map((l) => l.text)).toEqual(['1', '2', '3']);
}, 60_000);

test('a chart of a series some runs lack: no mark and no line for them; equal values on one line', () => {
  const gap = layoutChart([1, undefined, 3, 4]);
  expect(gap.marks.map((m) => m.run)).toEqual([0, 2, 3]);
  expect(gap.segments).toHaveLength(1);
  const flat = layoutChart([7, 7, 7]);
  expect(new Set(flat.marks.map((m) => m.y)).size).toBe(1);
  expect(flat.yLabels.map((l) => l.text)).toEqual(['7']);
});
