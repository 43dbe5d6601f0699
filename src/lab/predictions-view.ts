// A served run's predictions in the run browser: the newest ones as a table, and the input drift of
// each endpoint as a bar chart of PSI per feature (KS beside each bar), colored by level. Data comes
// from the kernel's `predictions` comm op; strings only ever go through textContent.
import type { PredictionsResult } from '../core/protocol';
import { el, svg } from './dom';

const BAR_WIDTH = 220;
const ROW_HEIGHT = 22;
const LABEL_WIDTH = 150;
/** PSI at which the bar reaches full width (a major shift is 0.25 and over). */
const PSI_SCALE = 0.5;

export function renderPredictions(result: PredictionsResult): HTMLElement {
  const root = el('div', { className: 'cf-predictions', dataset: { total: String(result.total) } });
  if (result.total === 0) {
    root.append(
      el('p', { className: 'cf-empty', text: 'Not served yet: no predictions logged for this run.' }),
    );
    return root;
  }
  root.append(
    el('p', { text: `${result.total} predictions logged; the newest ${result.predictions.length}:` }),
  );
  const table = el('table', { className: 'cf-table cf-predictions-table' }, [
    el('thead', {}, [
      el(
        'tr',
        {},
        ['id', 'time', 'endpoint', 'status', 'latency', 'response'].map((h) => el('th', { text: h })),
      ),
    ]),
  ]);
  const body = el('tbody');
  for (const p of result.predictions) {
    body.append(
      el('tr', { dataset: { prediction: p.id, status: String(p.status) } }, [
        el('td', { text: p.id }),
        el('td', { text: p.time }),
        el('td', { text: p.endpoint }),
        el('td', { text: String(p.status) }),
        el('td', { text: `${p.latencyMs.toFixed(2)} ms` }),
        el('td', { text: JSON.stringify(p.response) }),
      ]),
    );
  }
  table.append(body);
  root.append(table);
  for (const endpoint of result.drift) {
    root.append(driftChart(endpoint));
  }
  for (const { endpoint, reason } of result.noDrift ?? []) {
    root.append(
      el('p', {
        className: 'cf-empty',
        dataset: { noDrift: endpoint },
        text: `No drift for /${endpoint}: ${reason}`,
      }),
    );
  }
  return root;
}

function driftChart(endpoint: PredictionsResult['drift'][number]): HTMLElement {
  const height = endpoint.features.length * ROW_HEIGHT + 4;
  const chart = svg('svg', {
    class: 'cf-drift-chart',
    width: LABEL_WIDTH + BAR_WIDTH + 130,
    height,
    role: 'img',
    'aria-label': `input drift of ${endpoint.endpoint}`,
  });
  endpoint.features.forEach((f, i) => {
    const y = i * ROW_HEIGHT + 2;
    const width = Math.max(1, Math.min(1, f.psi / PSI_SCALE) * BAR_WIDTH);
    const row = svg('g', { 'data-feature': f.feature, 'data-level': f.level, class: `cf-drift-${f.level}` });
    const label = svg('text', { x: 0, y: y + 15 });
    label.textContent = f.feature;
    const bar = svg('rect', { x: LABEL_WIDTH, y: y + 3, width: width.toFixed(1), height: ROW_HEIGHT - 6 });
    const value = svg('text', { x: LABEL_WIDTH + BAR_WIDTH + 6, y: y + 15 });
    value.textContent = `PSI ${f.psi.toFixed(3)} · KS ${f.ks.toFixed(3)}`;
    row.append(label, bar, value);
    chart.append(row);
  });
  return el('div', { className: 'cf-drift', dataset: { endpoint: endpoint.endpoint } }, [
    el('h4', {
      text: `Input drift of /${endpoint.endpoint}: ${endpoint.requests} requests against '${endpoint.reference}'`,
    }),
    chart,
  ]);
}
