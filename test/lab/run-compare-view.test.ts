/** @jest-environment jsdom */
// The comparison view on two real runs (CLI runs in a temporary datastore, previews read by the
// Client API as the kernel reads them): differing rows are marked, the small differing values are
// fetched and shown side by side, escaped, and a number that differs is charted, a mark per run.
import * as fs from 'fs';
import * as path from 'path';
import type * as Lumino from '@lumino/widgets';
import { Run, Task } from '../../src/client';
import { artifactPreview, runDetail } from '../../src/client/views';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type * as CompareViewModule from '../../src/lab/run-compare-view';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

// jsdom has no DragEvent, which Lumino's drag-and-drop module subclasses when it loads.
(globalThis as { DragEvent?: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
const { Widget } = require('@lumino/widgets') as typeof Lumino;
const { RunCompareView } = require('../../src/lab/run-compare-view') as typeof CompareViewModule;

/** Resolves once `done()` holds, checking every 20 ms. */
function until(done: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (done()) {
        resolve();
      } else {
        setTimeout(check, 20);
      }
    };
    check();
  });
}

let work: string;
beforeAll(() => (work = tempDir('cellflow-compare-view-')));
afterAll(() => removeTempDir(work));

test('two runs: differing rows marked, small differing values side by side as text, numbers charted', async () => {
  const home = path.join(work, 'store');
  const nb = writeNotebook(work, 'greet.ipynb', [
    { tags: ['parameters'], source: "const who = 'ada';" },
    {
      tags: ['step:start'],
      source:
        'self.greeting = `<b>hi</b> ${self.who}`;\nself.fixed = 1;\nself.score = self.who.charCodeAt(0);',
    },
    { tags: ['step:end'], source: 'self.done = true;' },
  ]);
  const pathspecs: string[] = [];
  for (const who of ['ada', 'bob']) {
    const idFile = path.join(work, `id-${who}`);
    const result = await cellflow(['run', nb, '-q', '--run-id-file', idFile, '--param', `who=${who}`], {
      env: { CELLFLOW_HOME: home },
    });
    expect(result.code).toBe(0);
    pathspecs.push(fs.readFileSync(idFile, 'utf8').trim());
  }
  const store = Datastore.open({ root: home });
  const [a, b] = pathspecs.map((p) => runDetail(Run.get(p, store)));
  const asked: string[] = [];
  const view = new RunCompareView(async (task, name) => {
    asked.push(`${task}:${name}`);
    return artifactPreview(Task.get(task, store), name);
  });
  Widget.attach(view, document.body);
  view.showRuns([a, b]);

  const row = (selector: string) => view.node.querySelector<HTMLElement>(selector)!;
  expect(row('[data-section="params"] tr[data-row="who"]').dataset.same).toBe('false');
  expect(row('tr[data-artifact="start.fixed"]').dataset.verdict).toBe('equal');
  const greeting = row('tr[data-artifact="start.greeting"]');
  expect(greeting.dataset.verdict).toBe('different');
  expect(greeting.classList.contains('cf-differs')).toBe(true);
  // The differing small values are fetched, once per run, and so are the small JSON values (what
  // may be a number for the numbers section); only the differing ones are shown in their rows.
  await until(() => greeting.querySelectorAll('[data-value="shown"]').length === 2);
  await until(() => !!view.node.querySelector('.cf-compare-numbers[data-state="ready"]'));
  // Every task holds what its ancestors set (start's `greeting` and the parameter `who` reach end too).
  expect(new Set(asked.map((q) => q.split(':')[1]))).toEqual(
    new Set(['greeting', 'who', 'fixed', 'score', 'done']),
  );
  expect(asked.length).toBe(new Set(asked).size);
  for (const shown of view.node.querySelectorAll('[data-value="shown"]')) {
    expect(shown.closest('tr')!.classList.contains('cf-differs')).toBe(true);
  }
  for (const p of pathspecs) {
    expect(asked).toContainEqual(expect.stringMatching(new RegExp(`^${p}/start/\\d+:greeting$`)));
  }
  const cell = (run: string) => greeting.querySelector(`td[data-run="${run}"] .cf-compare-value`)!;
  expect(cell(pathspecs[0]).textContent).toContain('<b>hi</b> ada');
  expect(cell(pathspecs[1]).textContent).toContain('<b>hi</b> bob');
  expect(greeting.querySelector('b')).toBeNull();
  // 97 and 98: a row in the numbers table, marked, and a chart with a mark per run.
  const score = row('[data-section="numbers"] tr[data-row="start.score"]');
  expect(score.dataset.same).toBe('false');
  expect([...score.querySelectorAll('td')].map((td) => td.textContent)).toEqual(['97', '98']);
  const chart = row('figure[data-series="start.score"] svg.cf-compare-chart');
  expect([...chart.querySelectorAll('circle.cf-chart-mark')].map((m) => m.getAttribute('data-run'))).toEqual(
    pathspecs,
  );
  expect(chart.querySelectorAll('line.cf-chart-line')).toHaveLength(1);
  // `fixed` is 1 in both: a row, not a chart.
  expect(row('[data-section="numbers"] tr[data-row="start.fixed"]').dataset.same).toBe('true');
  expect(view.node.querySelector('figure[data-series="start.fixed"]')).toBeNull();
  view.dispose();
}, 60_000);
