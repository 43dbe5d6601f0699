// Lays out a flow graph for drawing: FlowGraph → ELK's layered algorithm → boxes and edge polylines.
// Pure (no DOM): node sizes are estimated from the label, so the same code runs in jest.
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, ElkPoint } from 'elkjs/lib/elk-api';
import type { CellRef, FlowGraph, NodeKind } from '../core/model';

export interface DagNodeBox {
  name: string;
  kind: NodeKind;
  cell: CellRef;
  foreach?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DagEdgePath {
  from: string;
  to: string;
  /** True when `to` runs once per element of `from`'s foreach artifact. */
  foreach: boolean;
  points: ElkPoint[];
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: DagNodeBox[];
  edges: DagEdgePath[];
}

export const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.5;
const MIN_WIDTH = 72;
const PADDING_X = 28;

/** Width that fits the step name (drawn at ~12px monospace-ish) and the kind caption below it. */
export function nodeWidth(name: string, caption: string): number {
  const longest = Math.max(name.length, caption.length * 0.85);
  return Math.max(MIN_WIDTH, Math.ceil(longest * CHAR_WIDTH + PADDING_X));
}

/** The caption under a step's name: its role, and the artifact a foreach fans out over. */
export function nodeCaption(kind: NodeKind, foreach?: string): string {
  return foreach ? `foreach ${foreach}` : kind;
}

export function edgeId(from: string, to: string): string {
  return `${from}->${to}`;
}

/** The ELK input for a graph: one child per step (in notebook order), one edge per successor. */
export function elkGraphOf(graph: FlowGraph): ElkNode {
  const children: ElkNode[] = graph.order.map((name) => {
    const node = graph.nodes[name];
    return {
      id: name,
      width: nodeWidth(name, nodeCaption(node.kind, node.foreach)),
      height: NODE_HEIGHT,
    };
  });
  const edges: ElkExtendedEdge[] = [];
  for (const name of graph.order) {
    for (const target of graph.nodes[name].next) {
      // A lint error may leave `next` naming a step that does not exist; draw what exists.
      if (graph.nodes[target]) edges.push({ id: edgeId(name, target), sources: [name], targets: [target] });
    }
  }
  return {
    id: 'flow',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.edgeRouting': 'POLYLINE',
      // Keep branches left to right in notebook order, so the picture matches the notebook.
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children,
    edges,
  };
}

/** Reads ELK's answer back into boxes and polylines keyed by step name. */
export function layoutFromElk(graph: FlowGraph, laidOut: ElkNode): DagLayout {
  const nodes: DagNodeBox[] = (laidOut.children ?? []).map((child) => {
    const step = graph.nodes[child.id];
    return {
      name: child.id,
      kind: step.kind,
      cell: step.cell,
      foreach: step.foreach,
      x: child.x ?? 0,
      y: child.y ?? 0,
      width: child.width ?? MIN_WIDTH,
      height: child.height ?? NODE_HEIGHT,
    };
  });
  const edges: DagEdgePath[] = (laidOut.edges ?? []).map((edge) => {
    const e = edge as ElkExtendedEdge;
    const section = e.sections?.[0];
    const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
    const from = e.sources[0];
    return { from, to: e.targets[0], foreach: graph.nodes[from]?.foreach !== undefined, points };
  });
  return { width: laidOut.width ?? 0, height: laidOut.height ?? 0, nodes, edges };
}

export type ElkLike = Pick<InstanceType<typeof ELK>, 'layout'>;

let sharedElk: ElkLike | undefined;

function defaultElk(): ElkLike {
  // elk.bundled.js runs the layout in-thread (no worker URL to serve); flows are small.
  sharedElk ??= new ELK();
  return sharedElk;
}

export async function layoutDag(graph: FlowGraph, elk: ElkLike = defaultElk()): Promise<DagLayout> {
  return layoutFromElk(graph, await elk.layout(elkGraphOf(graph)));
}
