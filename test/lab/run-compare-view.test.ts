/** @jest-environment jsdom */
// The comparison view on two real runs (CLI runs in a temporary datastore, previews read by the
// Client API as the kernel reads them): differing rows are marked and the small differing values are
// fetched and shown side by side, escaped.
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

let work: string;
beforeAll(() => (work = tempDir('cellflow-compare-view-')));
afterAll(() => removeTempDir(work));

test('two runs: differing rows marked, small differing values side by side as text', async () => {
  const home = path.join(work, 'store');
  const nb = writeNotebook(work, 'greet.ipynb', [
    { tags: ['parameters'], source: "const who = 'ada';" },
    { tags: ['step:start'], source: 'self.greeting = `<b>hi</b> ${self.who}`;\nself.fixed = 1;' },
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
  view.showRuns(a, b);

  const row = (selector: string) => view.node.querySelector<HTMLElement>(selector)!;
  expect(row('[data-section="params"] tr[data-row="who"]').dataset.same).toBe('false');
  expect(row('tr[data-artifact="start.fixed"]').dataset.verdict).toBe('equal');
  const greeting = row('tr[data-artifact="start.greeting"]');
  expect(greeting.dataset.verdict).toBe('different');
  expect(greeting.classList.contains('cf-differs')).toBe(true);
  // Only the differing small values are fetched, once per run.
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (greeting.querySelectorAll('[data-value="shown"]').length === 2) {
        resolve();
      } else {
        setTimeout(check, 20);
      }
    };
    check();
  });
  // Every task holds what its ancestors set (start's `greeting` and the parameter `who` reach end too).
  expect(new Set(asked.map((q) => q.split(':')[1]))).toEqual(new Set(['greeting', 'who']));
  for (const p of pathspecs) {
    expect(asked).toContainEqual(expect.stringMatching(new RegExp(`^${p}/start/\\d+:greeting$`)));
  }
  expect(greeting.querySelector('.cf-compare-a .cf-compare-value')!.textContent).toContain('<b>hi</b> ada');
  expect(greeting.querySelector('.cf-compare-b .cf-compare-value')!.textContent).toContain('<b>hi</b> bob');
  expect(greeting.querySelector('b')).toBeNull();
  view.dispose();
}, 60_000);
