/** @jest-environment jsdom */
// The rich display of a Run from the cellflow kernel renders in a notebook output, escaped.
import type { GraphNode } from '../../src/core/model';
import { CELLFLOW_MIMETYPE, type CellflowDisplay } from '../../src/core/protocol';
import type * as Mime from '../../src/lab/mime';

// jsdom has no DragEvent, which Lumino's drag-and-drop module subclasses when it loads.
(globalThis as { DragEvent?: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
const { CellflowOutput, rendererFactory } = require('../../src/lab/mime') as typeof Mime;

const XSS = '<img src=x onerror=alert(1)>';

function node(name: string, next: string[], parents: string[], kind: GraphNode['kind']): GraphNode {
  return {
    name,
    kind,
    next,
    parents,
    isJoin: false,
    foreachDepth: 0,
    cell: { index: 0, id: name },
    options: { retry: 0, resources: {}, env: {} },
  };
}

const display: CellflowDisplay = {
  kind: 'run',
  run: {
    flow: 'hello',
    runId: '42',
    user: XSS,
    tags: [XSS],
    params: { who: XSS },
    status: 'failed',
    createdAt: '2024-01-01T00:00:00Z',
    finishedAt: '2024-01-01T00:00:01Z',
    graph: {
      entry: 'start',
      end: 'end',
      order: ['start', 'end'],
      nodes: { start: node('start', ['end'], [], 'entry'), end: node('end', [], ['start'], 'end') },
    },
  },
  tasks: [
    {
      flow: 'hello',
      runId: '42',
      step: 'start',
      taskId: '1',
      status: 'succeeded',
      attempts: [],
      artifacts: { x: { sha256: 'ab'.repeat(32), codec: 'json', bytes: 1 } },
    },
    {
      flow: 'hello',
      runId: '42',
      step: 'end',
      taskId: '2',
      status: 'failed',
      attempts: [
        {
          attempt: 0,
          status: 'failed',
          startedAt: '2024-01-01T00:00:00Z',
          error: { message: XSS, cell: { index: 3, id: 'end' }, line: 2 },
        },
      ],
      artifacts: {},
    },
  ],
};

function model(data: unknown) {
  return {
    data: { [CELLFLOW_MIMETYPE]: data },
    metadata: {},
    trusted: false,
    setData: () => undefined,
  } as never;
}

test('the renderer is registered for the cellflow mimetype and safe for untrusted outputs', () => {
  expect(rendererFactory.mimeTypes).toEqual([CELLFLOW_MIMETYPE]);
  expect(rendererFactory.safe).toBe(true);
});

test('a displayed run shows its facts, tasks and DAG colored by task status, all as text', async () => {
  // JupyterLab renders the model before it attaches the renderer to the page.
  const output = new CellflowOutput();
  await output.renderModel(model(display));
  document.body.appendChild(output.node);
  const root = output.node;
  expect(root.querySelectorAll('img')).toHaveLength(0);
  expect(root.querySelector('.cf-run-detail')!.getAttribute('data-run')).toBe('hello/42');
  expect(root.querySelector('[data-fact="user"] td')!.textContent).toBe(XSS);
  expect(root.querySelector('[data-fact="parameters"] td')!.textContent).toBe(`who=${JSON.stringify(XSS)}`);
  expect([...root.querySelectorAll('tr[data-task]')].map((r) => r.getAttribute('data-task'))).toEqual([
    'hello/42/start/1',
    'hello/42/end/2',
  ]);
  const status = Object.fromEntries(
    [...root.querySelectorAll('g[data-step]')].map((g) => [
      g.getAttribute('data-step'),
      g.getAttribute('data-status'),
    ]),
  );
  expect(status).toEqual({ start: 'succeeded', end: 'failed' });
  // Selecting the failed task shows where in the notebook it failed; no preview buttons without a kernel.
  (root.querySelector('tr[data-task="hello/42/end/2"]') as HTMLElement).click();
  expect(root.querySelector('.cf-task-error')!.textContent).toBe(`cell 4, line 2: ${XSS}`);
  (root.querySelector('tr[data-task="hello/42/start/1"]') as HTMLElement).click();
  expect(root.querySelector('tr[data-artifact="x"]')!.textContent).toContain('json');
  expect(root.querySelectorAll('.cf-preview-button')).toHaveLength(0);
});

test('a displayed task shows its artifacts', async () => {
  const output = new CellflowOutput();
  await output.renderModel(
    model({ kind: 'task', task: display.kind === 'run' ? display.tasks[0] : undefined }),
  );
  expect(output.node.querySelector('[data-task]')!.getAttribute('data-task')).toBe('hello/42/start/1');
  expect(output.node.querySelector('tbody tr')!.textContent).toBe('xjson1 B');
});

test('rendering again replaces the previous display', async () => {
  const output = new CellflowOutput();
  await output.renderModel(model(display));
  await output.renderModel(
    model({ kind: 'task', task: display.kind === 'run' ? display.tasks[1] : undefined }),
  );
  expect(output.node.querySelectorAll('.cf-run-detail')).toHaveLength(0);
  expect(output.node.querySelectorAll('[data-task]')).toHaveLength(1);
});
