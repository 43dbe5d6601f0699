// Draws a flow graph as terminal text (boxes by layer), Mermaid, Graphviz DOT or JSON. A switch's
// edges are drawn apart from a split's (dashed, labelled with the case), and a loop's back edges too.
import { topologicalOrder } from './graph-order';
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
  if (node.kind === 'join') {
    return node.closes ? `join ⟵ ${node.closes}` : 'join';
  }
  if (node.foreach) {
    return `${node.kind === 'entry' ? 'entry · ' : ''}foreach ${node.foreach}`;
  }
  if (node.switch !== undefined) {
    return `${node.kind === 'entry' ? 'entry · ' : ''}switch ${node.switch}`;
  }
  if (node.kind === 'entry' && node.next.length >= 2) {
    return 'entry · split';
  }
  return node.kind;
}

/** True when `from → to` goes back to an earlier step (a loop's back edge). */
export function isLoopEdge(graph: FlowGraph, from: string, to: string): boolean {
  return graph.nodes[from]?.loops?.includes(to) ?? false;
}

/** The label of an edge: the case a switch takes it on, the foreach it fans out over, or nothing. */
export function edgeLabel(node: GraphNode, target: string): string | undefined {
  if (node.switch !== undefined) {
    return `${node.switch} = ${target}`;
  }
  if (node.foreach) {
    return `foreach ${node.foreach}`;
  }
  return undefined;
}

/** Layer of each step: the longest path from the entry, so every edge but a loop's points downwards. */
function layers(graph: FlowGraph): string[][] {
  const forward = (n: string) => graph.nodes[n].next.filter((t) => !isLoopEdge(graph, n, t));
  const next = new Map(graph.order.map((n) => [n, forward(n)]));
  const parents = new Map(
    graph.order.map((n) => [n, graph.nodes[n].parents.filter((p) => !isLoopEdge(graph, p, n))]),
  );
  const sorted = topologicalOrder(graph.order, next, parents);
  // Steps on a cycle (lint reports it) are left out of the order: draw them after their known parents.
  const placed = new Set(sorted);
  const rest = graph.order.filter((n) => !placed.has(n));
  const depth = new Map<string, number>();
  for (const name of [...sorted, ...rest]) {
    const known = parents
      .get(name)!
      .map((p) => depth.get(p))
      .filter((d): d is number => d !== undefined);
    depth.set(name, known.length === 0 ? 0 : Math.max(...known) + 1);
  }
  const result: string[][] = [];
  for (const name of graph.order) {
    (result[depth.get(name)!] ??= []).push(name);
  }
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
      const arrow = arrowText(graph, node);
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
        if (!hasArrow(c)) {
          return `└${'─'.repeat(c.inner)}┘`;
        }
        const half = Math.floor((c.inner - 1) / 2);
        return `└${'─'.repeat(half)}┬${'─'.repeat(c.inner - half - 1)}┘`;
      }),
    );
    if (row.some(hasArrow)) {
      out.push(line((c) => (hasArrow(c) ? c.arrow : '')));
    }
  }
  return out.join('\n') + '\n';
}

/** What the text view writes under a step: its successors; a switch's cases as alternatives; ↺ a loop. */
function arrowText(graph: FlowGraph, node: GraphNode): string {
  if (node.next.length === 0) {
    return '';
  }
  const targets = node.next.map((t) => (isLoopEdge(graph, node.name, t) ? `↺ ${t}` : t));
  return node.switch !== undefined ? `▼ one of: ${targets.join(' | ')}` : `▼ ${targets.join(', ')}`;
}

function mermaidShape(node: GraphNode): [string, string] {
  switch (node.kind) {
    case 'entry':
    case 'end':
      return ['([', '])'];
    case 'split':
      return ['{{', '}}'];
    case 'switch':
      return ['{', '}'];
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
      const loop = isLoopEdge(graph, name, target);
      const label = [loop ? '↺' : '', edgeLabel(node, target) ?? ''].filter(Boolean).join(' ');
      // Dotted: a switch's cases (one of them runs) and loops; solid: edges that always run.
      const dotted = node.switch !== undefined || loop;
      const edge = dotted ? (label ? `-. "${label}" .->` : '-.->') : label ? `-- "${label}" -->` : '-->';
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
    case 'switch':
      return 'diamond';
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
      const loop = isLoopEdge(graph, name, target);
      const label = [loop ? '↺' : '', edgeLabel(node, target) ?? ''].filter(Boolean).join(' ');
      const attributes = [
        ...(label ? [`label=${JSON.stringify(label)}`] : []),
        ...(node.foreach ? ['style=bold'] : []),
        ...(node.switch !== undefined ? ['style=dashed', 'color=blue', 'fontcolor=blue'] : []),
        // A back edge must not pull its target below its source.
        ...(loop ? ['constraint=false'] : []),
        ...(loop && node.switch === undefined ? ['style=dashed'] : []),
      ];
      const list = attributes.length > 0 ? ` [${attributes.join(', ')}]` : '';
      lines.push(`  ${JSON.stringify(name)} -> ${JSON.stringify(target)}${list};`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
