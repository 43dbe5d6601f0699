// A Run or Task as a cell's result: the cellflow MIME type (rendered by the JupyterLab extension) and
// the escaped text/html fallback of core's renderer (status, steps, tasks, artifacts, times) for any
// other frontend.
import { Run } from '../src/client/run';
import { Task } from '../src/client/task';
import { runDetail, taskView } from '../src/client/views';
import { CELLFLOW_MIMETYPE, type CellflowDisplay } from '../src/core/protocol';
import { renderDisplayHtml } from '../src/core/run-html';
import { asJson } from './json';

export function richDisplay(value: unknown): Record<string, unknown> | undefined {
  let display: CellflowDisplay;
  if (value instanceof Run) {
    display = { kind: 'run', ...runDetail(value) };
  } else if (value instanceof Task) {
    display = { kind: 'task', task: taskView(value.record) };
  } else {
    return undefined;
  }
  return {
    [CELLFLOW_MIMETYPE]: asJson(display),
    'text/html': renderDisplayHtml(display),
    'text/plain': String(value),
  };
}
