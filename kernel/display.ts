// A Run or Task as a cell's result: the cellflow MIME type (rendered by the JupyterLab extension) and
// an escaped text/html fallback (status, DAG, artifacts, times) for any other frontend.
import { Run } from '../src/client/run';
import { Task } from '../src/client/task';
import { CELLFLOW_MIMETYPE, type CellflowDisplay, type TaskView } from '../src/core/protocol';
import { asJson, runDetail, taskDetail } from './run-views';

export function richDisplay(value: unknown): Record<string, unknown> | undefined {
  let display: CellflowDisplay;
  if (value instanceof Run) display = { kind: 'run', ...runDetail(value) };
  else if (value instanceof Task) display = { kind: 'task', task: taskDetail(value) };
  else return undefined;
  return {
    [CELLFLOW_MIMETYPE]: asJson(display),
    'text/html': displayHtml(display),
    'text/plain': String(value),
  };
}

export function escapeHtml(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export function displayHtml(display: CellflowDisplay): string {
  if (display.kind === 'task') return taskHtml(display.task);
  const { run, tasks } = display;
  const statusOf = (step: string) => {
    const mine = tasks.filter((t) => t.step === step);
    if (mine.length === 0) return 'not run';
    const counts = new Map<string, number>();
    for (const t of mine) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    return [...counts].map(([status, n]) => (mine.length > 1 ? `${n} ${status}` : status)).join(', ');
  };
  const dag = run.graph.order
    .map((step) => {
      const node = run.graph.nodes[step];
      const next = node.next.length ? ` → ${node.next.map(escapeHtml).join(', ')}` : '';
      return `<tr><td>${escapeHtml(step)}</td><td>${escapeHtml(node.kind)}${next}</td><td>${escapeHtml(statusOf(step))}</td></tr>`;
    })
    .join('');
  const end = tasks.find((t) => t.step === run.graph.end && t.status === 'succeeded');
  return (
    `<div class="cellflow-run"><p><b>${escapeHtml(`${run.flow}/${run.runId}`)}</b> ` +
    `status <b>${escapeHtml(run.status)}</b>, started ${escapeHtml(run.createdAt)}` +
    `${run.finishedAt ? `, finished ${escapeHtml(run.finishedAt)}` : ''}` +
    `${run.tags.length ? `, tags ${escapeHtml(run.tags.join(', '))}` : ''}</p>` +
    `<table><thead><tr><th>step</th><th>kind → next</th><th>tasks</th></tr></thead><tbody>${dag}</tbody></table>` +
    (end ? artifactsHtml(end) : '') +
    `</div>`
  );
}

function taskHtml(task: TaskView): string {
  return (
    `<div class="cellflow-task"><p><b>${escapeHtml(`${task.flow}/${task.runId}/${task.step}/${task.taskId}`)}</b> ` +
    `status <b>${escapeHtml(task.status)}</b>` +
    `${task.startedAt ? `, started ${escapeHtml(task.startedAt)}` : ''}` +
    `${task.finishedAt ? `, finished ${escapeHtml(task.finishedAt)}` : ''}</p>` +
    artifactsHtml(task) +
    `</div>`
  );
}

function artifactsHtml(task: TaskView): string {
  const rows = Object.entries(task.artifacts)
    .map(
      ([name, ref]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(ref.codec)}</td><td>${escapeHtml(ref.bytes)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>artifact</th><th>codec</th><th>bytes</th></tr></thead><tbody>${rows}</tbody></table>`;
}
