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

// Metaflow's recursive_switch graph, plus a plain merge after the switch's cases.
const loop: FlowGraph = {
  entry: 'start',
  end: 'end',
  order: ['start', 'loop_step', 'exit_loop', 'end'],
  nodes: {
    start: node('start', 'entry', ['loop_step'], [], 0),
    loop_step: node('loop_step', 'switch', ['loop_step', 'exit_loop'], ['start', 'loop_step'], 1, {
      isJoin: false,
      switch: 'loop_status',
      loops: ['loop_step'],
    }),
    exit_loop: node('exit_loop', 'linear', ['end'], ['loop_step'], 2),
    end: node('end', 'end', [], ['exit_loop'], 3),
  },
};

// A while loop: the body goes back to the switch above it (a back edge between two steps).
const whileLoop: FlowGraph = {
  entry: 'start',
  end: 'end',
  order: ['start', 'check', 'body', 'end'],
  nodes: {
    start: node('start', 'entry', ['check'], [], 0),
    check: node('check', 'switch', ['body', 'end'], ['start', 'body'], 1, { isJoin: false, switch: 'go' }),
    body: node('body', 'linear', ['check'], ['check'], 2, { loops: ['check'] }),
    end: node('end', 'end', [], ['check'], 3),
  },
};

test('a switch step says which artifact it switches on; its edges carry their case as a label', () => {
  const input = elkGraphOf(loop);
  const labels = Object.fromEntries(input.edges!.map((e) => [e.id, e.labels?.map((l) => l.text)]));
  expect(labels).toEqual({
    'start->loop_step': undefined,
    'loop_step->loop_step': ['↺ loop_status = loop_step'],
    'loop_step->exit_loop': ['loop_status = exit_loop'],
    'exit_loop->end': undefined,
  });
});

test('ELK lays out a self-loop: every node placed, every edge routed, case edges and the back edge marked', async () => {
  const layout = await layoutDag(loop);
  const box = Object.fromEntries(layout.nodes.map((n) => [n.name, n]));
  expect(box.loop_step.switch).toBe('loop_status');
  expect(box.loop_step.y).toBeGreaterThan(box.start.y);
  expect(box.exit_loop.y).toBeGreaterThan(box.loop_step.y);
  const edges = Object.fromEntries(layout.edges.map((e) => [`${e.from}->${e.to}`, e]));
  expect(Object.keys(edges).sort()).toEqual([
    'exit_loop->end',
    'loop_step->exit_loop',
    'loop_step->loop_step',
    'start->loop_step',
  ]);
  for (const edge of layout.edges) {
    expect(edge.points.length).toBeGreaterThanOrEqual(2);
  }
  expect(edges['loop_step->loop_step']).toMatchObject({ loop: true, switchCase: 'loop_step' });
  expect(edges['loop_step->exit_loop']).toMatchObject({ switchCase: 'exit_loop' });
  expect(edges['loop_step->exit_loop'].loop).toBeUndefined();
  expect(edges['start->loop_step'].switchCase).toBeUndefined();
  // ELK placed the labels inside the drawing.
  const label = edges['loop_step->exit_loop'].label!;
  expect(label.text).toBe('loop_status = exit_loop');
  expect(label.x).toBeGreaterThanOrEqual(0);
  expect(label.x + label.width).toBeLessThanOrEqual(layout.width);
  expect(label.y + label.height).toBeLessThanOrEqual(layout.height);
});

test('a back edge between two steps keeps the forward order: the body below its switch, the edge routed up', async () => {
  const layout = await layoutDag(whileLoop);
  const box = Object.fromEntries(layout.nodes.map((n) => [n.name, n]));
  expect(box.check.y).toBeGreaterThan(box.start.y);
  expect(box.body.y).toBeGreaterThan(box.check.y);
  const back = layout.edges.find((e) => e.from === 'body' && e.to === 'check')!;
  expect(back).toMatchObject({ loop: true, label: { text: '↺' } });
  expect(back.switchCase).toBeUndefined();
  expect(back.points.length).toBeGreaterThanOrEqual(2);
});
