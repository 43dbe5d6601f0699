// Draws a flow graph as terminal text (boxes by layer), Mermaid, Graphviz DOT or JSON.
import { topologicalOrder } from './graph';
import type { FlowGraph, GraphNode, Parameter } from './model';

export type GraphFormat = 'text' | 'mermaid' | 'dot' | 'json';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['text', 'mermaid', 'dot', 'json'];

export function renderGraph(
  graph: FlowGraph,
  format: GraphFormat,
  flowName: string,
  parameters: Parameter[] = [],
): string {
  switch (format) {
    case 'text':
      return renderText(graph, flowName, parameters);
    case 'mermaid':
      return renderMermaid(graph);
    case 'dot':
      return renderDot(graph, flowName);
    case 'json':
      return JSON.stringify({ flow: flowName, parameters, graph }, null, 2) + '\n';
  }
}

function kindLabel(node: GraphNode): string {
  if (node.kind === 'join') return node.closes ? `join ⟵ ${node.closes}` : 'join';
  if (node.foreach) return `${node.kind === 'entry' ? 'entry · ' : ''}foreach ${node.foreach}`;
  if (node.kind === 'entry' && node.next.length >= 2) return 'entry · split';
  return node.kind;
}

/** Layer of each step: the longest path from the entry, so every edge points downwards. */
function layers(graph: FlowGraph): string[][] {
  const next = new Map(graph.order.map((n) => [n, graph.nodes[n].next]));
  const parents = new Map(graph.order.map((n) => [n, graph.nodes[n].parents]));
  const sorted = topologicalOrder(graph.order, next, parents);
  // Steps on a cycle (lint reports it) are left out of the order: draw them after their known parents.
  const placed = new Set(sorted);
  const rest = graph.order.filter((n) => !placed.has(n));
  const depth = new Map<string, number>();
  for (const name of [...sorted, ...rest]) {
    const known = graph.nodes[name].parents
      .map((p) => depth.get(p))
      .filter((d): d is number => d !== undefined);
    depth.set(name, known.length === 0 ? 0 : Math.max(...known) + 1);
  }
  const result: string[][] = [];
  for (const name of graph.order) (result[depth.get(name)!] ??= []).push(name);
  return result.filter((layer) => layer && layer.length > 0);
}

function center(text: string, width: number): string {
  const left = Math.floor((width - [...text].length) / 2);
  return ' '.repeat(Math.max(0, left)) + text + ' '.repeat(Math.max(0, width - left - [...text].length));
}

function renderText(graph: FlowGraph, flowName: string, parameters: Parameter[]): string {
  const out: string[] = [];
  const count = graph.order.length;
  out.push(`${flowName} · ${count} step${count === 1 ? '' : 's'}`);
  if (parameters.length > 0) {
    out.push(`parameters: ${parameters.map((p) => `${p.name}=${JSON.stringify(p.default)}`).join(', ')}`);
  }
  out.push('');
  const rows = layers(graph).map((layer) =>
    layer.map((name) => {
      const node = graph.nodes[name];
      const label = kindLabel(node);
      const inner = Math.max([...name].length, [...label].length) + 2;
      const arrow = node.next.length > 0 ? `▼ ${node.next.join(', ')}` : '';
      return { node, label, inner, arrow, width: Math.max(inner + 2, [...arrow].length) };
    }),
  );
  const gap = 3;
  const rowWidth = (row: (typeof rows)[number]): number =>
    row.reduce((sum, c) => sum + c.width, 0) + gap * (row.length - 1);
  const total = Math.max(...rows.map(rowWidth));
  for (const row of rows) {
    const pad = ' '.repeat(Math.floor((total - rowWidth(row)) / 2));
    const line = (part: (c: (typeof row)[number]) => string): string =>
      (pad + row.map((c) => center(part(c), c.width)).join(' '.repeat(gap))).trimEnd();
    const hasArrow = (c: (typeof row)[number]): boolean => c.node.next.length > 0;
    out.push(line((c) => `┌${'─'.repeat(c.inner)}┐`));
    out.push(line((c) => `│${center(c.node.name, c.inner)}│`));
    out.push(line((c) => `│${center(c.label, c.inner)}│`));
    out.push(
      line((c) => {
        if (!hasArrow(c)) return `└${'─'.repeat(c.inner)}┘`;
        const half = Math.floor((c.inner - 1) / 2);
        return `└${'─'.repeat(half)}┬${'─'.repeat(c.inner - half - 1)}┘`;
      }),
    );
    if (row.some(hasArrow)) out.push(line((c) => (hasArrow(c) ? c.arrow : '')));
  }
  return out.join('\n') + '\n';
}

function mermaidShape(node: GraphNode): [string, string] {
  switch (node.kind) {
    case 'entry':
    case 'end':
      return ['([', '])'];
    case 'split':
      return ['{{', '}}'];
    case 'foreach':
      return ['[[', ']]'];
    case 'join':
      return ['[/', '\\]'];
    default:
      return ['[', ']'];
  }
}

/** Mermaid ids are prefixed: a bare `end` is a Mermaid keyword. */
const mermaidId = (name: string): string => `s_${name}`;

function renderMermaid(graph: FlowGraph): string {
  const lines = ['flowchart TD'];
  for (const name of graph.order) {
    const [open, close] = mermaidShape(graph.nodes[name]);
    lines.push(`  ${mermaidId(name)}${open}"${name}"${close}`);
  }
  for (const name of graph.order) {
    const node = graph.nodes[name];
    for (const target of node.next) {
      const edge = node.foreach ? `-- "foreach ${node.foreach}" -->` : '-->';
      lines.push(`  ${mermaidId(name)} ${edge} ${mermaidId(target)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function dotShape(node: GraphNode): string {
  switch (node.kind) {
    case 'entry':
    case 'end':
      return 'oval';
    case 'split':
    case 'foreach':
      return 'hexagon';
    case 'join':
      return 'invtrapezium';
    default:
      return 'box';
  }
}

function renderDot(graph: FlowGraph, flowName: string): string {
  const lines = [
    `digraph ${JSON.stringify(flowName)} {`,
    '  rankdir=TB;',
    '  node [shape=box, fontname="Helvetica"];',
  ];
  for (const name of graph.order) {
    lines.push(`  ${JSON.stringify(name)} [shape=${dotShape(graph.nodes[name])}];`);
  }
  for (const name of graph.order) {
    const node = graph.nodes[name];
    for (const target of node.next) {
      const label = node.foreach ? ` [label=${JSON.stringify(`foreach ${node.foreach}`)}, style=bold]` : '';
      lines.push(`  ${JSON.stringify(name)} -> ${JSON.stringify(target)}${label};`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
