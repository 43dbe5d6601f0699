/** @jest-environment jsdom */
// A foreach run in the run detail view (examples/foreach.ipynb run by the CLI, read as the kernel's
// `run-detail` and `logs` read it): each step's task count, one row per foreach task naming its
// element, and a selected task's own stdout and stderr.
import * as fs from 'fs';
import * as path from 'path';
import type * as Lumino from '@lumino/widgets';
import { Run, Task } from '../../src/client';
import { artifactPreview, runDetail } from '../../src/client/views';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type * as DetailModule from '../../src/lab/run-detail-view';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';

(globalThis as { DragEvent?: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
const { Widget } = require('@lumino/widgets') as typeof Lumino;
const { RunDetailView } = require('../../src/lab/run-detail-view') as typeof DetailModule;

let work: string;
beforeAll(() => (work = tempDir('cellflow-detail-tasks-')));
afterAll(() => removeTempDir(work));

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a foreach run: task counts per step, one row per element, each task its own logs', async () => {
  const home = path.join(work, 'store');
  const idFile = path.join(work, 'id');
  const nb = path.join(work, 'foreach.ipynb');
  fs.copyFileSync(path.join(REPO, 'examples', 'foreach.ipynb'), nb);
  const result = await cellflow(['run', nb, '-q', '--run-id-file', idFile], { env: { CELLFLOW_HOME: home } });
  expect(result.code).toBe(0);
  const store = Datastore.open({ root: home });
  const detail = runDetail(Run.get(fs.readFileSync(idFile, 'utf8').trim(), store));
  const view = new RunDetailView({
    artifact: (task, name) => artifactPreview(Task.get(task, store), name),
    logs: async (pathspec) => {
      const task = Task.get(pathspec, store);
      const attempt = task.currentAttempt ?? 0;
      return {
        attempt,
        stdout: await task.log('stdout', attempt),
        stderr: await task.log('stderr', attempt),
      };
    },
  });
  Widget.attach(view, document.body);
  await view.showRun(detail);

  const counts = [...view.node.querySelectorAll<HTMLElement>('.cf-step-count')].map((s) => s.textContent);
  expect(counts).toEqual(['start: 1 task', 'train: 6 tasks', 'pick: 1 task', 'end: 1 task']);
  const trainRows = [...view.node.querySelectorAll<HTMLElement>('tr[data-task][data-step="train"]')];
  expect(trainRows.map((r) => r.dataset.element)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${i} of 6`));
  expect(view.node.querySelector<HTMLElement>('tr[data-task][data-step="pick"]')!.dataset.element).toBe('');

  // The third element's task: its own output (lr=0.05), not another element's.
  trainRows[2].click();
  const stdout = () => view.node.querySelector('.cf-run-task .cf-log-stdout')?.textContent ?? '';
  await until(() => stdout() !== '');
  expect(stdout()).toMatch(/^lr=0\.05 loss=/);
  expect(stdout()).not.toContain('lr=0.1 ');
  expect(view.node.querySelector('.cf-run-task .cf-log-stderr')!.textContent).toBe('(empty)');
  expect(view.node.querySelector('.cf-run-task h4')!.textContent).toBe(`Task ${trainRows[2].dataset.task}`);
  view.dispose();
}, 60_000);
