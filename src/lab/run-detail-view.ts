// One run in detail: its facts, DAG colored by task status, tasks, artifact previews, logs and the
// reproducibility record. Used by the run browser (with a kernel to fetch previews and logs) and by the
// rich display of a Run in a notebook (without one).
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import type { JsonValue } from '../core/model';
import type { NotebookOutput } from '../core/notebook-outputs';
import type {
  ArtifactPreview,
  LogsResult,
  PredictionsResult,
  RunDetailResult,
  TaskView,
} from '../core/protocol';
import { renderOutputs } from './outputs-view';
import { renderPredictions } from './predictions-view';
import { layoutDag } from './dag-layout';
import { DagView } from './dag-view';
import { append, clear, el } from './dom';
import { durationBetween, formatBytes } from './format';
import { renderJsonTree, renderPreview } from './preview';
import {
  type Fact,
  foreachElement,
  reproFacts,
  runFacts,
  runPathspec,
  stepTaskCounts,
  taskPathspec,
  tasksInStepOrder,
} from './run-facts';
import { stepStatuses } from './run-status';

/** Where previews and logs come from; absent in a rendered notebook output. */
export interface RunDataSource {
  artifact(taskPathspec: string, name: string): Promise<ArtifactPreview>;
  logs(taskPathspec: string, attempt?: number): Promise<LogsResult>;
  /** A served run's prediction log and drift (the kernel's `predictions` op). */
  predictions?(runPathspec: string): Promise<PredictionsResult>;
  /** Adds a cell that loads this artifact to the run's notebook ("Open in notebook"). */
  openInNotebook?(taskPathspec: string, name: string): void;
  /** What a task printed and displayed (the kernel's `outputs` op). */
  outputs?(taskPathspec: string): Promise<NotebookOutput[]>;
  /** Writes the run as an executed notebook and opens it ("Open as executed notebook"). */
  openExecutedNotebook?(runPathspec: string): Promise<void>;
  /** The notebook's renderers, to show outputs as the notebook would. */
  rendermime?(): IRenderMimeRegistry | null;
}

export class RunDetailView extends Widget {
  private readonly source?: RunDataSource;
  private readonly dag: DagView;
  private detail: RunDetailResult | null = null;
  private readonly header = el('div', { className: 'cf-run-header' });
  private readonly tasks = el('div', { className: 'cf-run-tasks' });
  private readonly taskPane = el('div', { className: 'cf-run-task' });
  private readonly repro = el('div', { className: 'cf-run-repro' });
  private readonly predictions = el('div', { className: 'cf-run-predictions' });
  /** Renderers of the selected task's outputs, disposed when another task is shown. */
  private outputRenderers: IRenderMime.IRenderer[] = [];

  constructor(source?: RunDataSource) {
    super();
    this.source = source;
    this.addClass('cf-run-detail');
    this.dag = new DagView({ onSelect: (step) => this.selectStep(step), emptyText: 'No graph recorded.' });
    this.node.append(
      this.header,
      el('h3', { text: 'Graph' }),
      this.dag.node,
      el('h3', { text: 'Tasks' }),
      this.tasks,
      this.taskPane,
      el('h3', { text: 'Reproducibility' }),
      this.repro,
      this.predictions,
    );
  }

  get current(): RunDetailResult | null {
    return this.detail;
  }

  async showRun(detail: RunDetailResult): Promise<void> {
    this.detail = detail;
    this.renderHeader(detail);
    this.renderTasks(detail.tasks, detail.run.graph?.order);
    this.renderRepro(detail.run);
    void this.renderPredictions(detail);
    this.clearTaskPane();
    this.node.dataset.run = runPathspec(detail.run);
    this.node.dataset.status = detail.run.status;
    const layout = detail.run.graph ? await layoutDag(detail.run.graph) : null;
    if (this.detail !== detail) {
      return;
    } // a newer run was shown while laying out
    this.dag.render(layout);
    this.dag.setStatus(stepStatuses(detail.tasks));
  }

  /** Selects the first task of a step (the DAG's click). */
  selectStep(step: string): void {
    const task = this.detail?.tasks.find((t) => t.step === step);
    if (task) {
      this.selectTask(task);
    }
  }

  selectTask(task: TaskView): void {
    for (const row of this.tasks.querySelectorAll('tr[data-task]')) {
      row.classList.toggle('cf-selected', (row as HTMLElement).dataset.task === taskPathspec(task));
    }
    this.clearTaskPane();
    const pathspec = taskPathspec(task);
    this.taskPane.dataset.task = pathspec;
    const preview = el('div', { className: 'cf-artifact-preview' });
    const names = Object.keys(task.artifacts).sort();
    const artifactRows = names.map((name) => {
      const ref = task.artifacts[name];
      const button = this.source
        ? el('button', {
            className: 'jp-Button jp-mod-styled jp-mod-reject cf-preview-button',
            text: 'Preview',
            dataset: { artifact: name },
            onClick: () => void this.showArtifact(pathspec, name, preview),
          })
        : null;
      return el('tr', { dataset: { artifact: name } }, [
        el('td', { className: 'cf-artifact-name', text: name }),
        el('td', { text: ref.codec }),
        el('td', { text: formatBytes(ref.bytes) }),
        el('td', { className: 'cf-sha', text: ref.sha256.slice(0, 12), title: ref.sha256 }),
        el('td', {}, [button]),
      ]);
    });
    const failure = task.attempts.map((a) => a.error).find((e) => e !== undefined);
    append(this.taskPane, [
      el('h4', { text: `Task ${pathspec}` }),
      failure
        ? el('pre', {
            className: 'cf-task-error',
            text:
              failure.cell !== undefined
                ? `cell ${failure.cell.index + 1}${failure.line ? `, line ${failure.line}` : ''}: ${failure.message}`
                : failure.message,
          })
        : null,
      names.length
        ? el('table', { className: 'cf-table cf-artifacts' }, [
            el('thead', {}, [
              el(
                'tr',
                {},
                ['artifact', 'codec', 'size', 'sha256', ''].map((h) => el('th', { text: h })),
              ),
            ]),
            el('tbody', {}, artifactRows),
          ])
        : el('div', { className: 'cf-muted', text: 'No artifacts.' }),
      preview,
    ]);
    if (this.source?.outputs) {
      const outputs = el('div', { className: 'cf-task-outputs jp-OutputArea' });
      this.taskPane.append(el('h4', { text: 'Outputs' }), outputs);
      void this.showOutputs(pathspec, outputs);
    }
    if (this.source) {
      const logs = el('div', { className: 'cf-logs' });
      this.taskPane.append(el('h4', { text: 'Logs' }), logs);
      void this.showLogs(pathspec, logs);
    }
  }

  private async showArtifact(pathspec: string, name: string, target: HTMLElement): Promise<void> {
    clear(target);
    target.dataset.artifact = name;
    target.append(el('div', { className: 'cf-muted', text: `Loading ${name}…` }));
    try {
      const preview = await this.source!.artifact(pathspec, name);
      clear(target);
      // Beside the value: a cell that loads it in the notebook.
      const open = this.source?.openInNotebook
        ? el('button', {
            className: 'jp-Button jp-mod-styled jp-mod-reject cf-open-in-notebook',
            text: 'Open in notebook',
            title: 'Add a cell that loads this artifact with the Client API',
            dataset: { action: 'open-in-notebook', artifact: name },
            onClick: () => this.source?.openInNotebook?.(pathspec, name),
          })
        : null;
      target.append(el('h4', {}, [name, ' ', open]), renderPreview(preview));
    } catch (error) {
      clear(target);
      target.append(
        el('div', { className: 'cf-error', text: `Cannot preview ${name}: ${messageOf(error)}` }),
      );
    }
  }

  private async showOutputs(pathspec: string, target: HTMLElement): Promise<void> {
    target.append(el('div', { className: 'cf-muted', text: 'Loading outputs…' }));
    try {
      const outputs = await this.source!.outputs!(pathspec);
      if (this.taskPane.dataset.task !== pathspec) {
        return;
      } // another task was selected meanwhile
      clear(target);
      this.outputRenderers.push(...renderOutputs(target, outputs, this.source?.rendermime?.()));
    } catch (error) {
      clear(target);
      target.append(el('div', { className: 'cf-error', text: `Cannot read outputs: ${messageOf(error)}` }));
    }
  }

  private clearTaskPane(): void {
    for (const renderer of this.outputRenderers.splice(0)) {
      renderer.dispose();
    }
    clear(this.taskPane);
  }

  private async showLogs(pathspec: string, target: HTMLElement): Promise<void> {
    target.append(el('div', { className: 'cf-muted', text: 'Loading logs…' }));
    try {
      const logs = await this.source!.logs(pathspec);
      clear(target);
      target.append(
        el('div', { className: 'cf-muted', text: `attempt ${logs.attempt}` }),
        el('div', { className: 'cf-log-label', text: 'stdout' }),
        el('pre', { className: 'cf-log cf-log-stdout', text: logs.stdout || '(empty)' }),
        el('div', { className: 'cf-log-label', text: 'stderr' }),
        el('pre', { className: 'cf-log cf-log-stderr', text: logs.stderr || '(empty)' }),
      );
    } catch (error) {
      clear(target);
      target.append(el('div', { className: 'cf-error', text: `Cannot read logs: ${messageOf(error)}` }));
    }
  }

  private renderHeader(detail: RunDetailResult): void {
    clear(this.header);
    const pathspec = runPathspec(detail.run);
    // A finished run (or a failed one: its error shows in its cell) opens as an executed notebook.
    const open =
      this.source?.openExecutedNotebook && detail.run.status !== 'running'
        ? el('button', {
            className: 'jp-Button jp-mod-styled jp-mod-reject cf-open-executed',
            text: 'Open as executed notebook',
            title: "The run's notebook with every step's outputs from this run",
            dataset: { action: 'open-executed-notebook' },
            onClick: () => void this.openExecuted(pathspec),
          })
        : null;
    append(this.header, [
      el('h2', {}, [
        el('span', { text: pathspec }),
        ' ',
        el('span', { className: `cf-badge cf-status-${detail.run.status}`, text: detail.run.status }),
      ]),
      open ? el('div', { className: 'cf-run-actions' }, [open]) : null,
      factsTable(runFacts(detail.run)),
    ]);
  }

  private async openExecuted(pathspec: string): Promise<void> {
    this.header.querySelector('.cf-error')?.remove();
    try {
      await this.source!.openExecutedNotebook!(pathspec);
    } catch (error) {
      this.header.append(
        el('div', {
          className: 'cf-error',
          text: `Cannot open ${pathspec} as a notebook: ${messageOf(error)}`,
        }),
      );
    }
  }

  private renderTasks(unordered: TaskView[], order?: string[]): void {
    clear(this.tasks);
    const tasks = tasksInStepOrder(unordered, order);
    if (tasks.length === 0) {
      this.tasks.append(el('div', { className: 'cf-muted', text: 'No tasks yet.' }));
      return;
    }
    const rows = tasks.map((task) =>
      el(
        'tr',
        {
          dataset: { task: taskPathspec(task), step: task.step, element: foreachElement(task) },
          onClick: () => this.selectTask(task),
        },
        [
          el('td', { text: task.step }),
          el('td', { text: task.taskId }),
          el('td', { text: foreachElement(task) }),
          el('td', {}, [el('span', { className: `cf-badge cf-status-${task.status}`, text: task.status })]),
          el('td', { text: String(task.attempts.length) }),
          el('td', { text: durationBetween(task.startedAt, task.finishedAt) }),
          el('td', { text: String(Object.keys(task.artifacts).length) }),
        ],
      ),
    );
    // Each step's task count: a foreach body ran one task per element.
    this.tasks.append(
      el(
        'div',
        { className: 'cf-step-counts' },
        stepTaskCounts(tasks, order).map(({ step, count }) =>
          el('span', {
            className: 'cf-step-count',
            dataset: { step, count: String(count) },
            text: `${step}: ${count} task${count === 1 ? '' : 's'}`,
          }),
        ),
      ),
      el('table', { className: 'cf-table cf-task-table' }, [
        el('thead', {}, [
          el(
            'tr',
            {},
            ['step', 'task', 'element', 'status', 'attempts', 'duration', 'artifacts'].map((h) =>
              el('th', { text: h }),
            ),
          ),
        ]),
        el('tbody', {}, rows),
      ]),
    );
  }

  /** Shown only for a run that has been served (a source that can ask the kernel, and a log). */
  private async renderPredictions(detail: RunDetailResult): Promise<void> {
    clear(this.predictions);
    if (!this.source?.predictions) {
      return;
    }
    try {
      const result = await this.source.predictions(runPathspec(detail.run));
      if (this.detail !== detail || result.total === 0) {
        return;
      }
      this.predictions.append(el('h3', { text: 'Predictions' }), renderPredictions(result));
    } catch (error) {
      if (this.detail === detail) {
        this.predictions.append(el('p', { className: 'cf-error', text: messageOf(error) }));
      }
    }
  }

  private renderRepro(run: RunDetailResult['run']): void {
    clear(this.repro);
    const facts = reproFacts(run);
    this.repro.append(
      facts.length
        ? factsTable(facts)
        : el('div', { className: 'cf-muted', text: 'No reproducibility record.' }),
    );
    for (const [label, value] of [
      ['source', run.source],
      ['lockfile', run.lockfile],
      ['environment', run.environment],
    ] as [string, JsonValue | undefined][]) {
      if (value === undefined) {
        continue;
      }
      const details = el('details', { className: 'cf-repro-section', dataset: { section: label } }, [
        el('summary', { text: label }),
        renderJsonTree(value, 1),
      ]);
      this.repro.append(details);
    }
  }
}

export function factsTable(facts: Fact[]): HTMLTableElement {
  return el(
    'table',
    { className: 'cf-facts' },
    facts.map(([label, value]) =>
      el('tr', { dataset: { fact: label } }, [el('th', { text: label }), el('td', { text: value })]),
    ),
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
