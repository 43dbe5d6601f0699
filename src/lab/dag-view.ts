// Draws a laid-out flow DAG as SVG. Each step is a <g data-step="NAME"> carrying its kind, task status
// and interactive state as classes and data attributes, so both CSS and tests can read them.
import { clear, el, svg } from './dom';
import type { DagLayout } from './dag-layout';
import { nodeCaption } from './dag-layout';
import type { TaskStatus } from './run-status';

/** A step's interactive state in the kernel; `skipped`: a switch chose another case last time. */
export type InteractiveMark = 'fresh' | 'stale' | 'skipped';

export interface DagViewOptions {
  /** Called when a step's node is clicked or activated with the keyboard. */
  onSelect?: (step: string) => void;
  /** Shown instead of the graph when there is none. */
  emptyText?: string;
}

const STATUS_CLASSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'].map(
  (s) => `cf-status-${s}`,
);
const MARK_CLASSES = ['cf-interactive-fresh', 'cf-interactive-stale', 'cf-interactive-skipped'];

let nextMarkerId = 0;

export class DagView {
  readonly node: HTMLDivElement;
  private readonly options: DagViewOptions;
  private readonly markerId = `cf-dag-arrow-${nextMarkerId++}`;
  private nodes = new Map<string, SVGGElement>();
  private status: Record<string, TaskStatus> = {};
  private marks: Record<string, InteractiveMark> = {};
  private problems = new Set<string>();

  constructor(options: DagViewOptions = {}) {
    this.options = options;
    this.node = el('div', { className: 'cf-dag' });
    this.render(null);
  }

  /** Steps currently drawn, in drawing order. */
  get steps(): string[] {
    return [...this.nodes.keys()];
  }

  render(layout: DagLayout | null, emptyText?: string): void {
    clear(this.node);
    this.nodes = new Map();
    if (!layout || layout.nodes.length === 0) {
      this.node.appendChild(
        el('div', { className: 'cf-dag-empty', text: emptyText ?? this.options.emptyText ?? 'No steps.' }),
      );
      return;
    }
    const root = svg('svg', {
      class: 'cf-dag-svg',
      width: Math.ceil(layout.width),
      height: Math.ceil(layout.height),
      viewBox: `0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`,
      role: 'img',
      'aria-label': `flow graph with ${layout.nodes.length} steps`,
    });
    root.appendChild(this.arrowMarker());
    const edges = svg('g', { class: 'cf-dag-edges' });
    for (const edge of layout.edges) {
      if (edge.points.length < 2) {
        continue;
      }
      const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' ');
      const classes = [
        'cf-dag-edge',
        edge.foreach ? 'cf-dag-edge-foreach' : '',
        edge.switchCase !== undefined ? 'cf-dag-edge-switch' : '',
        edge.loop ? 'cf-dag-edge-loop' : '',
      ].filter(Boolean);
      edges.appendChild(
        svg('path', {
          class: classes.join(' '),
          d,
          'data-from': edge.from,
          'data-to': edge.to,
          ...(edge.switchCase !== undefined ? { 'data-case': edge.switchCase } : {}),
          'marker-end': `url(#${this.markerId})`,
        }),
      );
      if (edge.label) {
        const { text, x, y, width, height } = edge.label;
        edges.appendChild(
          svg(
            'text',
            {
              class: 'cf-dag-edge-label',
              x: x + width / 2,
              y: y + height - 3,
              'text-anchor': 'middle',
              'data-from': edge.from,
              'data-to': edge.to,
            },
            [text],
          ),
        );
      }
    }
    root.appendChild(edges);
    for (const box of layout.nodes) {
      const caption = nodeCaption(box.kind, box.foreach, box.switch);
      const group = svg(
        'g',
        {
          class: `cf-dag-node cf-kind-${box.kind}`,
          transform: `translate(${box.x} ${box.y})`,
          'data-step': box.name,
          'data-kind': box.kind,
          tabindex: 0,
          role: 'button',
          'aria-label': `step ${box.name}, ${caption}`,
        },
        [
          svg('title', {}, [`${box.name} (${caption}) · cell ${box.cell.index}`]),
          svg('rect', { width: box.width, height: box.height, rx: 6, ry: 6 }),
          svg('text', { class: 'cf-dag-name', x: box.width / 2, y: 18, 'text-anchor': 'middle' }, [box.name]),
          svg('text', { class: 'cf-dag-caption', x: box.width / 2, y: 34, 'text-anchor': 'middle' }, [
            caption,
          ]),
        ],
      );
      group.addEventListener('click', () => this.options.onSelect?.(box.name));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.options.onSelect?.(box.name);
        }
      });
      this.nodes.set(box.name, group);
      root.appendChild(group);
    }
    this.node.appendChild(root);
    this.paint();
  }

  /** Colors nodes by their step's task status; steps absent from the map lose their color. */
  setStatus(status: Record<string, TaskStatus>): void {
    this.status = { ...status };
    this.paint();
  }

  /** Marks steps that have interactive results in the kernel, fresh or stale. */
  setInteractive(marks: Record<string, InteractiveMark>): void {
    this.marks = { ...marks };
    this.paint();
  }

  /** Outlines the steps that lint errors point at. */
  setProblems(steps: Iterable<string>): void {
    this.problems = new Set(steps);
    this.paint();
  }

  private paint(): void {
    for (const [step, group] of this.nodes) {
      group.classList.remove(...STATUS_CLASSES, ...MARK_CLASSES);
      group.classList.toggle('cf-has-problem', this.problems.has(step));
      const status = this.status[step];
      if (status) {
        group.classList.add(`cf-status-${status}`);
        group.setAttribute('data-status', status);
      } else {
        group.removeAttribute('data-status');
      }
      const mark = this.marks[step];
      if (mark) {
        group.classList.add(`cf-interactive-${mark}`);
        group.setAttribute('data-interactive', mark);
      } else {
        group.removeAttribute('data-interactive');
      }
    }
  }

  private arrowMarker(): SVGDefsElement {
    return svg('defs', {}, [
      svg(
        'marker',
        {
          id: this.markerId,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
          class: 'cf-dag-arrow',
        },
        [svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' })],
      ),
    ]);
  }
}
