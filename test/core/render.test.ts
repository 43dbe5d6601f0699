import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook, renderGraph } from '../../src/core';

const REPO = path.resolve(__dirname, '..', '..');
const analysis = (name: string) =>
  analyzeNotebook(fs.readFileSync(path.join(REPO, 'examples', `${name}.ipynb`), 'utf8'), `${name}.ipynb`);

test('mermaid: one node line per step and one edge line per transition', () => {
  const { graph } = analysis('hello');
  const out = renderGraph(graph!, 'mermaid', 'hello');
  const lines = out.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart TD');
  const nodes = lines.filter((l) => /^ {2}s_\w+[[({/]/.test(l));
  const edges = lines.filter((l) => l.includes('-->'));
  expect(nodes).toEqual([
    '  s_start(["start"])',
    '  s_a["a"]',
    '  s_b["b"]',
    '  s_join[/"join"\\]',
    '  s_end(["end"])',
  ]);
  expect(edges).toEqual([
    '  s_start --> s_a',
    '  s_start --> s_b',
    '  s_a --> s_join',
    '  s_b --> s_join',
    '  s_join --> s_end',
  ]);
});

test('mermaid labels the foreach edge', () => {
  const out = renderGraph(analysis('foreach').graph!, 'mermaid', 'foreach');
  expect(out).toContain('  s_start -- "foreach grid" --> s_train\n');
});

test('dot: a digraph with every node and edge', () => {
  const out = renderGraph(analysis('churn').graph!, 'dot', 'churn');
  expect(out.startsWith('digraph "churn" {\n')).toBe(true);
  expect(out.trimEnd().endsWith('}')).toBe(true);
  for (const name of ['start', 'prepare', 'logistic', 'centroid', 'choose', 'end']) {
    expect(out).toContain(`  "${name}" [shape=`);
  }
  expect(out).toContain('  "prepare" -> "logistic";\n');
  expect(out).toContain('  "centroid" -> "choose";\n');
});

test('json: the flow name, parameters and graph', () => {
  const { graph, flow } = analysis('churn');
  const parsed = JSON.parse(renderGraph(graph!, 'json', flow!.name, flow!.parameters));
  expect(parsed.flow).toBe('churn');
  expect(parsed.parameters.map((p: { name: string }) => p.name)).toEqual([
    'test_fraction',
    'seed',
    'epochs',
    'learning_rate',
  ]);
  expect(parsed.graph).toEqual(graph);
});

test('text: boxes by layer, top to bottom, with each box’s successors under it', () => {
  const { graph } = analysis('hello');
  const out = renderGraph(graph!, 'text', 'hello');
  const lines = out.split('\n');
  expect(lines[0]).toBe('hello · 5 steps');
  const rowOf = (name: string) => lines.findIndex((l) => new RegExp(`│\\s*${name}\\s*│`).test(l));
  expect(rowOf('start')).toBeLessThan(rowOf('a'));
  expect(rowOf('a')).toBe(rowOf('b'));
  expect(rowOf('a')).toBeLessThan(rowOf('join'));
  expect(rowOf('join')).toBeLessThan(rowOf('end'));
  expect(out).toContain('▼ a, b');
  expect(lines.filter((l) => l.includes('▼ join'))).toHaveLength(1);
  expect(lines.join('\n').match(/▼ join/g)).toHaveLength(2);
  // Every box is closed: as many top corners as bottom corners.
  expect(out.match(/┌/g)).toHaveLength(5);
  expect(out.match(/┘/g)).toHaveLength(5);
});

describe('switches and loops (examples/loop.ipynb)', () => {
  const { graph } = analysis('loop');

  test('text: the switch step names its artifact, its cases are alternatives, the loop is marked', () => {
    const out = renderGraph(graph!, 'text', 'loop');
    expect(out).toContain('│ switch then │');
    expect(out).toContain('▼ one of: ↺ improve | report');
    // Layers follow the forward edges: the loop does not push steps down.
    expect(out.indexOf('improve')).toBeLessThan(out.indexOf('report'));
  });

  test('mermaid: a rhombus, dotted labelled case edges, the back edge marked ↺', () => {
    const out = renderGraph(graph!, 'mermaid', 'loop');
    expect(out).toContain('  s_improve{"improve"}\n');
    expect(out).toContain('  s_improve -. "↺ then = improve" .-> s_improve\n');
    expect(out).toContain('  s_improve -. "then = report" .-> s_report\n');
    expect(out).toContain('  s_start --> s_improve\n');
  });

  test('dot: a diamond, dashed blue case edges, the back edge without layout constraint', () => {
    const out = renderGraph(graph!, 'dot', 'loop');
    expect(out).toContain('  "improve" [shape=diamond];\n');
    expect(out).toContain(
      '  "improve" -> "improve" [label="↺ then = improve", style=dashed, color=blue, fontcolor=blue, constraint=false];\n',
    );
    expect(out).toContain(
      '  "improve" -> "report" [label="then = report", style=dashed, color=blue, fontcolor=blue];\n',
    );
  });

  test('json: the node carries its switch artifact, its cases and its back edges', () => {
    const parsed = JSON.parse(renderGraph(graph!, 'json', 'loop'));
    expect(parsed.graph.nodes.improve).toMatchObject({
      kind: 'switch',
      switch: 'then',
      next: ['improve', 'report'],
      loops: ['improve'],
    });
  });

  test('a back edge from a plain step (a while loop) is drawn as a loop too', () => {
    const text = JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        ['start', ['step:start']],
        ['check', ['step:check', 'switch:go', 'next:body', 'next:end']],
        ['body', ['step:body', 'next:check']],
        ['end', ['step:end']],
      ].map(([id, tags]) => ({
        cell_type: 'code',
        id,
        metadata: { tags },
        source: '',
        outputs: [],
        execution_count: null,
      })),
    });
    const g = analyzeNotebook(text, 'while.ipynb').graph!;
    expect(renderGraph(g, 'mermaid', 'while')).toContain('  s_body -. "↺" .-> s_check\n');
    expect(renderGraph(g, 'dot', 'while')).toContain(
      '  "body" -> "check" [label="↺", constraint=false, style=dashed];\n',
    );
    expect(renderGraph(g, 'text', 'while')).toContain('▼ ↺ check');
  });
});
