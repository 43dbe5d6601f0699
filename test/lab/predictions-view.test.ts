/** @jest-environment jsdom */
// A served run's predictions and drift chart in the run browser: what the kernel's `predictions` op
// returns, drawn as a table and one bar per feature, with every string set as text.
import type { PredictionsResult, RunDetailResult } from '../../src/core/protocol';
import { featureDrift } from '../../src/core/drift';
import { renderPredictions } from '../../src/lab/predictions-view';

(globalThis as { DragEvent?: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
const { RunDetailView } =
  require('../../src/lab/run-detail-view') as typeof import('../../src/lab/run-detail-view');

const reference = new Map([
  ['tenure', Array.from({ length: 100 }, (_, i) => i)],
  ['calls', Array.from({ length: 100 }, (_, i) => i % 5)],
]);
const requests = new Map([
  ['tenure', Array.from({ length: 50 }, (_, i) => i * 2)], // the same spread: stable
  ['calls', Array.from({ length: 50 }, () => 9)], // all beyond the reference: major
]);

const result: PredictionsResult = {
  run: 'churn/1',
  total: 2,
  predictions: [
    {
      id: '1796000000001-000000000001',
      time: '2026-12-01T10:00:01Z',
      endpoint: 'predict',
      status: 200,
      latencyMs: 0.5,
      response: { label: '<img src=x onerror=alert(1)>' },
    },
    {
      id: '1796000000000-000000000000',
      time: '2026-12-01T10:00:00Z',
      endpoint: 'predict',
      status: 400,
      latencyMs: 0.1,
      response: { error: 'x is missing' },
    },
  ],
  drift: [
    {
      endpoint: 'predict',
      reference: 'reference',
      requests: 50,
      features: featureDrift(reference, requests),
    },
  ],
};

test('the table lists the newest predictions and the chart draws one bar per feature, by level', () => {
  const node = renderPredictions(result);
  const rows = [...node.querySelectorAll('tbody tr')] as HTMLElement[];
  expect(rows.map((r) => [r.dataset.prediction, r.dataset.status])).toEqual([
    ['1796000000001-000000000001', '200'],
    ['1796000000000-000000000000', '400'],
  ]);
  // A response is text, never markup.
  expect(node.querySelector('img')).toBeNull();
  expect(rows[0].textContent).toContain('<img src=x onerror=alert(1)>');
  const bars = [...node.querySelectorAll('.cf-drift-chart g')] as SVGGElement[];
  expect(bars.map((g) => [g.getAttribute('data-feature'), g.getAttribute('data-level')])).toEqual([
    ['tenure', 'stable'],
    ['calls', 'major'],
  ]);
  const width = (g: SVGGElement) => Number(g.querySelector('rect')!.getAttribute('width'));
  expect(width(bars[1])).toBeGreaterThan(width(bars[0]));
  expect(bars[1].textContent).toMatch(/calls.*PSI \d+\.\d{3} · KS 1\.000/);
  expect(node.querySelector('h4')!.textContent).toBe(
    "Input drift of /predict: 50 requests against 'reference'",
  );
});

test('a run never served says so; the run detail view asks the kernel and shows the section only when served', async () => {
  expect(renderPredictions({ ...result, total: 0, predictions: [], drift: [] }).textContent).toContain(
    'Not served yet',
  );
  const asked: string[] = [];
  const view = new RunDetailView({
    artifact: () => Promise.reject(new Error('unused')),
    logs: () => Promise.reject(new Error('unused')),
    predictions: async (pathspec) => {
      asked.push(pathspec);
      return result;
    },
  });
  const detail = {
    run: {
      flow: 'churn',
      runId: '1',
      status: 'succeeded',
      tags: [],
      params: {},
      user: 'u',
      createdAt: '2026-12-01T10:00:00Z',
    },
    tasks: [],
  } as unknown as RunDetailResult;
  await view.showRun(detail);
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(asked).toEqual(['churn/1']);
  expect(view.node.querySelector('.cf-run-predictions h3')?.textContent).toBe('Predictions');
  expect(view.node.querySelectorAll('.cf-run-predictions .cf-drift-chart g')).toHaveLength(2);
});
