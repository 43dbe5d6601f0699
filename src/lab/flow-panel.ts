// The flow panel (right sidebar): the active notebook's DAG, re-drawn as its cells and tags change,
// colored by the live status of a run started from it and marked with interactive results; the lint
// problems, each a link to its cell; and buttons for the notebook's cellflow commands.
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { Diagnostic } from '../core/model';
import { errorCount } from './analysis';
import { type DagLayout, layoutDag } from './dag-layout';
import { DagView } from './dag-view';
import { clear, el } from './dom';
import type { FlowSession } from './flow-session';
import { CommandIds } from './command-ids';
import { interactiveNotes } from './interactive-notes';
import { withNotebookCellNumbers } from './format';

export class FlowPanel extends Widget {
  private readonly commands: CommandRegistry;
  private session: FlowSession | null = null;
  private readonly title_ = el('div', { className: 'cf-panel-title' });
  private readonly actions = el('div', { className: 'cf-panel-actions' });
  private readonly runLine = el('div', { className: 'cf-panel-run' });
  private readonly dag: DagView;
  private readonly problems = el('ul', { className: 'cf-problems' });
  private readonly summary = el('div', { className: 'cf-problems-summary' });
  private readonly notes = el('ul', { className: 'cf-interactive-notes' });
  /** What the DAG shows now; null: nothing drawn yet (so an empty notebook is drawn too). */
  private layoutKey: string | null = null;
  private dagLayout: DagLayout | null = null;
  private drawing = 0;

  constructor(commands: CommandRegistry) {
    super();
    this.commands = commands;
    this.id = 'cellflow-panel';
    this.addClass('cf-panel');
    this.title.caption = 'cellflow: flow of the active notebook';
    this.dag = new DagView({
      onSelect: (step) => void this.session?.revealCell({ step }),
      emptyText: 'No steps yet: tag a code cell step:NAME (Cellflow ▸ Make Cell a Step).',
    });
    this.node.append(
      this.title_,
      this.actions,
      this.runLine,
      this.dag.node,
      this.notes,
      el('h3', { text: 'Problems' }),
      this.summary,
      this.problems,
    );
    this.show_(null);
  }

  /** Buttons for the notebook commands; call once the commands exist (their labels are read here). */
  renderActions(): void {
    clear(this.actions);
    for (const id of [CommandIds.makeStep, CommandIds.export, CommandIds.runFlow, CommandIds.openRuns]) {
      this.actions.append(
        el('button', {
          className: 'jp-Button jp-mod-styled jp-mod-reject',
          text: this.commands.label(id).replace(/…$/, ''),
          dataset: { command: id },
          onClick: () => void this.commands.execute(id),
        }),
      );
    }
  }

  /** Follows a notebook's session (null: no notebook is active). */
  setSession(session: FlowSession | null): void {
    if (session === this.session) {
      return;
    }
    this.session?.changed.disconnect(this.onChanged, this);
    this.session = session;
    session?.changed.connect(this.onChanged, this);
    this.layoutKey = null;
    this.show_(session);
  }

  private onChanged(): void {
    this.show_(this.session);
  }

  private show_(session: FlowSession | null): void {
    const analysis = session?.analysis ?? null;
    this.node.dataset.notebook = session?.path ?? '';
    clear(this.title_);
    if (!session || !analysis) {
      // A session without an analysis is waiting for the TypeScript compiler's chunk.
      this.title_.append(el('span', { text: session ? 'Analysing…' : 'Open a notebook to see its flow.' }));
      this.dag.render(null, session ? 'Loading the flow analysis…' : 'No notebook.');
      this.layoutKey = null;
      this.dagLayout = null;
      this.renderProblems([]);
      clear(this.runLine);
      return;
    }
    this.title_.append(
      el('span', { className: 'cf-flow-name', text: analysis.flow?.name ?? '' }),
      el('span', { className: 'cf-muted', text: ` ${session.path}` }),
    );
    this.renderProblems(analysis.diagnostics);
    this.renderRunLine(session);
    void this.draw(session);
  }

  /** Lays out again only when the graph itself changed; status and marks just repaint. */
  private async draw(session: FlowSession): Promise<void> {
    const graph = session.analysis?.graph;
    const key = graph
      ? JSON.stringify(
          graph.order.map((n) => [
            n,
            graph.nodes[n].next,
            graph.nodes[n].kind,
            graph.nodes[n].foreach ?? '',
            graph.nodes[n].cell.index,
          ]),
        )
      : '';
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      const ticket = ++this.drawing;
      // A notebook without steps shows only its own message, never the previous notebook's graph.
      if (!key) {
        this.dag.render(null);
      }
      const layout = graph && graph.order.length ? await layoutDag(graph) : null;
      if (ticket !== this.drawing || session !== this.session) {
        return;
      }
      this.dagLayout = layout;
      this.dag.render(layout);
    }
    this.dag.setStatus(session.liveRun?.steps() ?? {});
    this.dag.setInteractive(session.interactive);
    this.renderInteractiveNotes(session);
    const diagnostics = session.analysis?.diagnostics ?? [];
    this.dag.setProblems(diagnostics.filter((d) => d.severity === 'error' && d.step).map((d) => d.step!));
    this.node.dataset.steps = String(this.dagLayout?.nodes.length ?? 0);
  }

  private renderRunLine(session: FlowSession): void {
    clear(this.runLine);
    const live = session.liveRun;
    if (!live) {
      return;
    }
    const status = live.stopping && live.running ? 'stopping' : (live.finalStatus ?? 'running');
    this.runLine.dataset.status = status;
    this.runLine.append(
      el('span', { text: live.origin ? 'Resume ' : 'Run ' }),
      el('span', { className: 'cf-run-pathspec', text: live.pathspec ?? '(starting)' }),
      ' ',
      el('span', { className: `cf-badge cf-status-${status.replace(/\s+/g, '-')}`, text: status }),
    );
    const button = (label: string, command: string, title: string) =>
      el('button', {
        className: 'jp-Button jp-mod-styled cf-run-action',
        text: label,
        title,
        dataset: { command },
        onClick: () => void this.commands.execute(command),
      });
    if (live.running && !live.stopping) {
      this.runLine.append(
        ' ',
        button('Stop', CommandIds.stopFlow, 'Interrupt the run (recorded as cancelled)'),
      );
    }
    if ((live.finalStatus === 'failed' || live.finalStatus === 'cancelled') && live.pathspec) {
      this.runLine.append(' ', button('Resume…', CommandIds.resumeFlow, 'Resume this run from a step'));
    }
    if (live.error) {
      this.runLine.append(
        el('pre', { className: 'cf-run-error', text: withNotebookCellNumbers(live.error) }),
      );
    }
    const failure = live.failure;
    if (failure) {
      const where = failure.cell
        ? `step ${failure.step}, cell ${failure.cell.index + 1}${failure.line ? `, line ${failure.line}` : ''}`
        : `step ${failure.step}`;
      const cell = failure.cell;
      this.runLine.append(
        el('div', { className: 'cf-run-failure' }, [
          cell
            ? el('a', {
                className: 'cf-problem-link cf-run-failure-link',
                text: where,
                attrs: { href: '#', role: 'link' },
                dataset: { cellIndex: String(cell.index) },
                onClick: (event) => {
                  event.preventDefault();
                  void this.session?.revealCell({ index: cell.index });
                },
              })
            : el('span', { text: where }),
          ': ',
          el('span', { className: 'cf-run-failure-message', text: failure.message }),
        ]),
      );
    }
  }

  /** Where the notebook's interactive results differ from a flow run: said in words under the DAG. */
  private renderInteractiveNotes(session: FlowSession): void {
    clear(this.notes);
    const details = Object.values(session.interactiveDetails);
    for (const d of details) {
      const node = this.dag.node.querySelector<SVGGElement>(`g[data-step="${CSS.escape(d.step)}"]`);
      if (d.element) {
        node?.setAttribute('data-element', `${d.element.index + 1}/${d.element.count}`);
      } else {
        node?.removeAttribute('data-element');
      }
      node?.classList.toggle('cf-partial', !!d.partial);
      if (d.partial) {
        node?.setAttribute('data-partial', `${d.partial.ran.length}/${d.partial.count}`);
      } else {
        node?.removeAttribute('data-partial');
      }
    }
    const lines = interactiveNotes(details);
    for (const line of lines) {
      this.notes.append(el('li', { className: `cf-note cf-note-${line.kind}`, text: line.text }));
    }
  }

  private renderProblems(diagnostics: Diagnostic[]): void {
    clear(this.problems);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    this.summary.textContent = diagnostics.length
      ? `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
      : 'No problems.';
    this.node.dataset.errors = String(this.session?.analysis ? errorCount(this.session.analysis) : 0);
    for (const d of diagnostics) {
      // 1-based, as JupyterLab numbers cells.
      const where = d.cell ? `cell ${d.cell.index + 1}${d.line ? `, line ${d.line}` : ''}` : '';
      const item = el('li', { className: `cf-problem cf-${d.severity}`, dataset: { rule: d.rule } }, [
        el('span', { className: 'cf-problem-severity', text: d.severity }),
        ' ',
        el('span', { className: 'cf-problem-message', text: withNotebookCellNumbers(d.message) }),
        d.hint ? el('div', { className: 'cf-problem-hint', text: withNotebookCellNumbers(d.hint) }) : null,
      ]);
      if (d.cell) {
        const cell = d.cell;
        item.prepend(
          el('a', {
            className: 'cf-problem-link',
            text: where,
            attrs: { href: '#', role: 'link' },
            dataset: { cellIndex: String(cell.index) },
            onClick: (event) => {
              event.preventDefault();
              void this.session?.revealCell({ index: cell.index });
            },
          }),
          ' ',
        );
      }
      this.problems.appendChild(item);
    }
  }
}
