/** @jest-environment jsdom */
import type { DagLayout } from '../../src/lab/dag-layout';
import { DagView } from '../../src/lab/dag-view';

const layout: DagLayout = {
  width: 200,
  height: 140,
  nodes: [
    { name: 'start', kind: 'entry', cell: { index: 1, id: 'c1' }, x: 10, y: 10, width: 80, height: 44 },
    { name: '<b>x</b>', kind: 'end', cell: { index: 2, id: 'c2' }, x: 10, y: 90, width: 80, height: 44 },
  ],
  edges: [
    {
      from: 'start',
      to: '<b>x</b>',
      foreach: false,
      points: [
        { x: 50, y: 54 },
        { x: 50, y: 90 },
      ],
    },
  ],
};

test('each step is a node with its name as text, kind, and a data-step attribute', () => {
  const view = new DagView();
  view.render(layout);
  const nodes = [...view.node.querySelectorAll('[data-step]')];
  expect(nodes.map((n) => n.getAttribute('data-step'))).toEqual(['start', '<b>x</b>']);
  expect(view.node.querySelectorAll('b')).toHaveLength(0);
  expect(nodes[1].querySelector('.cf-dag-name')!.textContent).toBe('<b>x</b>');
  expect(nodes[0].classList.contains('cf-kind-entry')).toBe(true);
  expect(view.node.querySelectorAll('path.cf-dag-edge')).toHaveLength(1);
  expect(view.node.querySelector('path.cf-dag-edge')!.getAttribute('d')).toBe('M50 54 L50 90');
});

test('status and interactive marks are classes and data attributes, and survive a re-render', () => {
  const view = new DagView();
  view.render(layout);
  view.setStatus({ start: 'succeeded', '<b>x</b>': 'running' });
  view.setInteractive({ start: 'stale' });
  const start = view.node.querySelector('[data-step="start"]')!;
  expect(start.classList.contains('cf-status-succeeded')).toBe(true);
  expect(start.getAttribute('data-interactive')).toBe('stale');
  view.setStatus({ start: 'failed' });
  expect(start.classList.contains('cf-status-succeeded')).toBe(false);
  expect(start.getAttribute('data-status')).toBe('failed');
  expect(view.node.querySelector('[data-step="<b>x</b>"]')!.hasAttribute('data-status')).toBe(false);
  view.render(layout);
  expect(view.node.querySelector('[data-step="start"]')!.getAttribute('data-status')).toBe('failed');
});

test('clicking or pressing Enter on a node selects its step', () => {
  const selected: string[] = [];
  const view = new DagView({ onSelect: (step) => selected.push(step) });
  view.render(layout);
  const start = view.node.querySelector('[data-step="start"]')!;
  start.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  start.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  expect(selected).toEqual(['start', 'start']);
});

test('without a graph the view says so', () => {
  const view = new DagView({ emptyText: 'No steps in this notebook.' });
  view.render(null);
  expect(view.node.textContent).toBe('No steps in this notebook.');
  expect(view.node.querySelector('svg')).toBeNull();
});

test('steps with lint errors are outlined', () => {
  const view = new DagView();
  view.render(layout);
  view.setProblems(['start']);
  expect(view.node.querySelector('[data-step="start"]')!.classList.contains('cf-has-problem')).toBe(true);
  view.setProblems([]);
  expect(view.node.querySelector('[data-step="start"]')!.classList.contains('cf-has-problem')).toBe(false);
});

test('switch edges, loop edges and their labels are drawn apart; a case not taken is marked skipped', () => {
  const view = new DagView();
  view.render({
    width: 300,
    height: 200,
    nodes: [
      {
        name: 'pick',
        kind: 'switch',
        switch: 'mode',
        cell: { index: 0, id: 'c0' },
        x: 10,
        y: 10,
        width: 90,
        height: 44,
      },
      { name: 'a', kind: 'linear', cell: { index: 1, id: 'c1' }, x: 10, y: 100, width: 80, height: 44 },
    ],
    edges: [
      {
        from: 'pick',
        to: 'a',
        foreach: false,
        switchCase: 'a',
        label: { text: 'mode = a', x: 20, y: 60, width: 60, height: 14 },
        points: [
          { x: 50, y: 54 },
          { x: 50, y: 100 },
        ],
      },
      {
        from: 'pick',
        to: 'pick',
        foreach: false,
        switchCase: 'pick',
        loop: true,
        points: [
          { x: 100, y: 20 },
          { x: 130, y: 30 },
          { x: 100, y: 40 },
        ],
      },
    ],
  });
  const [toA, self] = [...view.node.querySelectorAll('path.cf-dag-edge')];
  expect(toA.getAttribute('class')).toBe('cf-dag-edge cf-dag-edge-switch');
  expect(toA.getAttribute('data-case')).toBe('a');
  expect(self.getAttribute('class')).toBe('cf-dag-edge cf-dag-edge-switch cf-dag-edge-loop');
  const labels = [...view.node.querySelectorAll('text.cf-dag-edge-label')];
  expect(labels.map((l) => [l.textContent, l.getAttribute('x'), l.getAttribute('data-to')])).toEqual([
    ['mode = a', '50', 'a'],
  ]);
  expect(view.node.querySelector('[data-step="pick"] .cf-dag-caption')!.textContent).toBe('switch mode');
  view.setInteractive({ pick: 'fresh', a: 'skipped' });
  const a = view.node.querySelector('[data-step="a"]')!;
  expect(a.classList.contains('cf-interactive-skipped')).toBe(true);
  expect(a.getAttribute('data-interactive')).toBe('skipped');
});
