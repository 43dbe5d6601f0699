import type { FlowGraph, GraphNode, NodeKind } from '../../src/core/model';
import { elkGraphOf, layoutDag, nodeWidth } from '../../src/lab/dag-layout';

function node(
  name: string,
  kind: NodeKind,
  next: string[],
  parents: string[],
  index: number,
  extra: Partial<GraphNode> = {},
): GraphNode {
  return {
    name,
    kind,
    next,
    parents,
    isJoin: parents.length > 1,
    foreachDepth: 0,
    cell: { index, id: `cell-${index}` },
    options: { retry: 0, resources: {}, env: {} },
    ...extra,
  };
}

// The hello flow of DESIGN: start → a, b → join → end.
const hello: FlowGraph = {
  entry: 'start',
  end: 'end',
  order: ['start', 'a', 'b', 'join', 'end'],
  nodes: {
    start: node('start', 'entry', ['a', 'b'], [], 1),
    a: node('a', 'linear', ['join'], ['start'], 2),
    b: node('b', 'linear', ['join'], ['start'], 3),
    join: node('join', 'join', ['end'], ['a', 'b'], 4, { closes: 'start' }),
    end: node('end', 'end', [], ['join'], 5),
  },
};

test('the ELK input has one child per step in notebook order and one edge per successor', () => {
  const input = elkGraphOf(hello);
  expect(input.children!.map((c) => c.id)).toEqual(['start', 'a', 'b', 'join', 'end']);
  expect(input.edges!.map((e) => [e.sources[0], e.targets[0]])).toEqual([
    ['start', 'a'],
    ['start', 'b'],
    ['a', 'join'],
    ['b', 'join'],
    ['join', 'end'],
  ]);
  expect(input.layoutOptions!['elk.direction']).toBe('DOWN');
});

test('edges to steps that do not exist (a lint error) are left out instead of breaking the layout', () => {
  const broken: FlowGraph = {
    ...hello,
    nodes: { ...hello.nodes, a: { ...hello.nodes.a, next: ['join', 'missing'] } },
  };
  expect(elkGraphOf(broken).edges!.map((e) => e.id)).not.toContain('a->missing');
});

test('node width grows with the step name', () => {
  expect(nodeWidth('a_much_longer_step_name', 'linear')).toBeGreaterThan(nodeWidth('a', 'linear'));
});

test('layout puts each layer below its parents, the branches side by side, and routes every edge', async () => {
  const layout = await layoutDag(hello);
  const box = Object.fromEntries(layout.nodes.map((n) => [n.name, n]));
  expect(Object.keys(box).sort()).toEqual(['a', 'b', 'end', 'join', 'start']);
  expect(box.a.y).toBeGreaterThan(box.start.y + box.start.height - 1);
  expect(box.a.y).toBe(box.b.y);
  expect(box.a.x).toBeLessThan(box.b.x); // notebook order, left to right
  expect(box.join.y).toBeGreaterThan(box.a.y);
  expect(box.end.y).toBeGreaterThan(box.join.y);
  expect(layout.edges).toHaveLength(5);
  for (const edge of layout.edges) {
    expect(edge.points.length).toBeGreaterThanOrEqual(2);
    const [first, last] = [edge.points[0], edge.points[edge.points.length - 1]];
    expect(first.y).toBeCloseTo(box[edge.from].y + box[edge.from].height, 0);
    expect(last.y).toBeCloseTo(box[edge.to].y, 0);
  }
  for (const n of layout.nodes) {
    expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
    expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
  }
});

test('a foreach edge is marked so it can be drawn differently', async () => {
  const graph: FlowGraph = {
    entry: 'start',
    end: 'end',
    order: ['start', 'body', 'join', 'end'],
    nodes: {
      start: node('start', 'foreach', ['body'], [], 0, { foreach: 'grid' }),
      body: node('body', 'linear', ['join'], ['start'], 1, { foreachDepth: 1 }),
      join: node('join', 'join', ['end'], ['body'], 2, { isJoin: true, closes: 'start' }),
      end: node('end', 'end', [], ['join'], 3),
    },
  };
  const layout = await layoutDag(graph);
  expect(layout.edges.filter((e) => e.foreach).map((e) => `${e.from}->${e.to}`)).toEqual(['start->body']);
  expect(layout.nodes.find((n) => n.name === 'start')!.foreach).toBe('grid');
});
