// Lays out a flow graph for drawing: FlowGraph → ELK's layered algorithm → boxes and edge polylines.
// Pure (no DOM): node sizes are estimated from the label, so the same code runs in jest. A switch's
// edges carry their case as an ELK edge label (placed by ELK); a loop's back edges are laid out like
// any edge, ELK's cycle breaking reversing them internally.
import type ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, ElkPoint } from 'elkjs/lib/elk-api';
import type { CellRef, FlowGraph, NodeKind } from '../core/model';
import { edgeLabel, isLoopEdge } from '../core/render';
import { loadElk } from './lazy-chunks';

export interface DagNodeBox {
  name: string;
  kind: NodeKind;
  cell: CellRef;
  foreach?: string;
  /** The artifact a switch step's value picks its case from. */
  switch?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DagEdgeLabel {
  text: string;
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
  /** A switch's edge: one case, taken when the artifact names `to`. */
  switchCase?: string;
  /** A loop's back edge, to an earlier step. */
  loop?: boolean;
  /** Where ELK placed the edge's label (the case, ↺ for a loop). */
  label?: DagEdgeLabel;
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

/** The caption under a step's name: its role, and the artifact a foreach fans out over or a switch
 * picks by. */
export function nodeCaption(kind: NodeKind, foreach?: string, switchOn?: string): string {
  if (foreach) {
    return `foreach ${foreach}`;
  }
  if (switchOn !== undefined) {
    return `switch ${switchOn}`;
  }
  return kind;
}

const LABEL_CHAR_WIDTH = 6.2;
const LABEL_HEIGHT = 14;

/** The text on an edge: the case of a switch, ↺ on a loop's back edge. */
export function edgeText(graph: FlowGraph, from: string, to: string): string | undefined {
  const node = graph.nodes[from];
  const loop = isLoopEdge(graph, from, to);
  const text = [loop ? '↺' : '', node.switch !== undefined ? (edgeLabel(node, to) ?? '') : '']
    .filter(Boolean)
    .join(' ');
  return text || undefined;
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
      width: nodeWidth(name, nodeCaption(node.kind, node.foreach, node.switch)),
      height: NODE_HEIGHT,
    };
  });
  const edges: ElkExtendedEdge[] = [];
  for (const name of graph.order) {
    for (const target of graph.nodes[name].next) {
      // A lint error may leave `next` naming a step that does not exist; draw what exists.
      if (!graph.nodes[target]) {
        continue;
      }
      const text = edgeText(graph, name, target);
      edges.push({
        id: edgeId(name, target),
        sources: [name],
        targets: [target],
        ...(text
          ? {
              labels: [
                {
                  id: `${edgeId(name, target)}:label`,
                  text,
                  width: Math.ceil(text.length * LABEL_CHAR_WIDTH + 6),
                  height: LABEL_HEIGHT,
                },
              ],
            }
          : {}),
      });
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
      // Loops: ELK turns back edges around to layer the graph; labels sit on their edge.
      'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
      'elk.edgeLabels.placement': 'CENTER',
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
      ...(step.switch !== undefined ? { switch: step.switch } : {}),
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
    const to = e.targets[0];
    const node = graph.nodes[from];
    const label = e.labels?.[0];
    return {
      from,
      to,
      foreach: node?.foreach !== undefined,
      ...(node?.switch !== undefined ? { switchCase: to } : {}),
      ...(isLoopEdge(graph, from, to) ? { loop: true } : {}),
      ...(label?.text
        ? {
            label: {
              text: label.text,
              x: label.x ?? 0,
              y: label.y ?? 0,
              width: label.width ?? 0,
              height: label.height ?? 0,
            },
          }
        : {}),
      points,
    };
  });
  return { width: laidOut.width ?? 0, height: laidOut.height ?? 0, nodes, edges };
}

export type ElkLike = Pick<InstanceType<typeof ELK>, 'layout'>;

let sharedElk: ElkLike | undefined;

async function defaultElk(): Promise<ElkLike> {
  // elk.bundled.js runs the layout in-thread (no worker URL to serve); flows are small. Its chunk
  // loads on the first layout, after the notebook is on screen.
  if (!sharedElk) {
    const Elk = await loadElk();
    sharedElk ??= new Elk();
  }
  return sharedElk;
}

export async function layoutDag(graph: FlowGraph, elk?: ElkLike): Promise<DagLayout> {
  const engine = elk ?? (await defaultElk());
  return layoutFromElk(graph, await engine.layout(elkGraphOf(graph)));
}
