import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook } from '../../src/core';
import type { FlowGraph } from '../../src/core/model';
import { notebook, type Cell } from './nb';

const REPO = path.resolve(__dirname, '..', '..');

function graphOf(cells: Cell[]): FlowGraph {
  const analysis = analyzeNotebook(notebook(cells), 'g.ipynb');
  expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return analysis.graph!;
}

const summary = (g: FlowGraph) =>
  Object.fromEntries(
    g.order.map((n) => {
      const node = g.nodes[n];
      return [
        n,
        [
          node.kind,
          node.next.join(','),
          node.parents.join(','),
          node.isJoin,
          node.closes ?? '-',
          node.foreachDepth,
        ],
      ];
    }),
  );

test('hello: entry split, two linear branches, a join closing the split, the end', () => {
  const text = fs.readFileSync(path.join(REPO, 'examples', 'hello.ipynb'), 'utf8');
  const g = analyzeNotebook(text, 'hello.ipynb').graph!;
  expect(g.entry).toBe('start');
  expect(g.end).toBe('end');
  expect(summary(g)).toEqual({
    start: ['entry', 'a,b', '', false, '-', 0],
    a: ['linear', 'join', 'start', false, '-', 0],
    b: ['linear', 'join', 'start', false, '-', 0],
    join: ['join', 'end', 'a,b', true, 'start', 0],
    end: ['end', '', 'join', false, '-', 0],
  });
});

test('implicit next follows notebook order; the last step is the end', () => {
  const g = graphOf([
    [['step:one'], ''],
    [['step:two'], ''],
    [['step:three'], ''],
  ]);
  expect(summary(g)).toEqual({
    one: ['entry', 'two', '', false, '-', 0],
    two: ['linear', 'three', 'one', false, '-', 0],
    three: ['end', '', 'two', false, '-', 0],
  });
});

test('nested foreach: depths, and each join closes the innermost foreach', () => {
  const g = graphOf([
    [['step:start', 'foreach:outer'], 'self.outer = [1, 2];'],
    [['step:mid', 'foreach:inner'], 'self.inner = [3, 4];'],
    [['step:body'], 'self.v = self.input;'],
    [['step:join_inner'], 'self.vs = inputs.map((i) => i.v);'],
    [['step:join_outer'], 'self.all = inputs.map((i) => i.vs);'],
    [['step:end'], ''],
  ]);
  expect(summary(g)).toEqual({
    start: ['entry', 'mid', '', false, '-', 0],
    mid: ['foreach', 'body', 'start', false, '-', 1],
    body: ['linear', 'join_inner', 'mid', false, '-', 2],
    join_inner: ['join', 'join_outer', 'body', true, 'mid', 1],
    join_outer: ['join', 'end', 'join_inner', true, 'start', 0],
    end: ['end', '', 'join_outer', false, '-', 0],
  });
  expect(g.nodes.start.foreach).toBe('outer');
});

test('a split inside a foreach body is joined first, then the foreach', () => {
  const g = graphOf([
    [['step:start', 'foreach:xs'], 'self.xs = [1, 2];'],
    [['step:body', 'next:p', 'next:q'], ''],
    [['step:p', 'next:pq'], ''],
    [['step:q'], ''],
    [['step:pq'], 'mergeArtifacts(inputs);'],
    [['step:gather'], 'self.n = inputs.length;'],
    [['step:end'], ''],
  ]);
  expect(g.nodes.body.kind).toBe('split');
  expect(g.nodes.pq).toMatchObject({ isJoin: true, closes: 'body', foreachDepth: 1 });
  expect(g.nodes.gather).toMatchObject({ isJoin: true, closes: 'start', foreachDepth: 0 });
});

test('a branch may go straight from the split to its join', () => {
  const g = graphOf([
    [['step:start', 'next:long', 'next:join'], ''],
    [['step:long'], ''],
    [['step:join'], ''],
    [['step:end'], ''],
  ]);
  expect(g.nodes.join).toMatchObject({ isJoin: true, closes: 'start', parents: ['start', 'long'] });
});

test('a step that declares its own `inputs` is not a join', () => {
  const g = graphOf([
    [['step:start'], ''],
    [['step:mid'], 'const inputs = [1, 2];\nself.n = inputs.length;'],
    [['step:end'], ''],
  ]);
  expect(g.nodes.mid.isJoin).toBe(false);
});

test('step options reach the graph nodes', () => {
  const g = graphOf([
    [
      [
        'step:start',
        'retry:2',
        'timeout:60',
        'resources:cpu=2',
        'resources:memory=1024',
        'catch:failure',
        'env:MODE=fast',
      ],
      '',
    ],
    [['step:end'], ''],
  ]);
  expect(g.nodes.start.options).toEqual({
    retry: 2,
    timeoutSeconds: 60,
    resources: { cpu: 2, memoryMb: 1024 },
    catch: 'failure',
    env: { MODE: 'fast' },
  });
  expect(g.nodes.end.options).toEqual({ retry: 0, resources: {}, env: {} });
});

test('a graph is still returned, with diagnostics, when the structure is wrong', () => {
  const analysis = analyzeNotebook(
    notebook([
      [['step:start', 'next:nowhere'], ''],
      [['step:end'], ''],
    ]),
    'bad.ipynb',
  );
  expect(analysis.diagnostics.map((d) => d.rule)).toEqual(['unknown-next-target']);
  expect(analysis.graph!.nodes.start.next).toEqual(['end']);
});

test('a long chain of 2,000 steps is analysed quickly', () => {
  const cells: Cell[] = Array.from({ length: 2000 }, (_, i) => [[`step:s${i}`], `self.v = ${i};`]);
  const started = Date.now();
  const g = graphOf(cells);
  expect(g.order).toHaveLength(2000);
  expect(g.end).toBe('s1999');
  expect(Date.now() - started).toBeLessThan(5000);
});
