// The run browser (main area): past runs of one flow, newest first, with status, parameters, tags and
// duration; selecting one shows its detail (DAG by task status, artifacts, logs, reproducibility record);
// ticking two or more and Compare shows them side by side (run-compare-view.ts).
// Reads everything through the notebook kernel's cellflow comm.
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';
import type { RequestBodyOf, ResultOf, RunView } from '../core/protocol';
import { clear, el } from './dom';
import { durationBetween, formatParams, formatTime } from './format';
import type { CellflowClient } from './kernel-client';
import { runPathspec } from './run-facts';
import { ARTIFACT_CELL_TAGS, artifactCellSource } from './artifact-cell';
import { RunCompareView } from './run-compare-view';
import { messageOf, type RunDataSource, RunDetailView } from './run-detail-view';
import { datastoreOption, type SettingsModel } from './settings';

const RUNS_LIMIT = 100;
const PREVIEW_ROWS = 50;
const POLL_MS = 1500;

export interface RunBrowserOptions {
  flow: string;
  /** The client to ask; re-read on every request, since the kernel may change or restart. */
  client: () => CellflowClient;
  settings: SettingsModel;
  /** Adds a code cell to the notebook the runs belong to ("Open in notebook" on an artifact). */
  insertCell?: (source: string, tags: string[]) => void;
  /** The notebook's renderers, for the tasks' outputs. */
  rendermime?: () => IRenderMimeRegistry | null;
  /** Opens a file the kernel wrote in the notebook's folder (an executed notebook). */
  openNotebook?: (file: string) => Promise<void>;
}

// A Lumino Panel, so the detail view is a child widget: attaching it by hand to a node that is not yet
// in the document (the browser is built before JupyterLab adds it to the shell) throws.
export class RunBrowser extends Panel {
  readonly flow: string;
  private readonly options: RunBrowserOptions;
  private readonly list = el('div', { className: 'cf-run-list' });
  private readonly status = el('div', { className: 'cf-run-browser-status' });
  private readonly detail: RunDetailView;
  private readonly compareView: RunCompareView;
  private readonly compareButton: HTMLButtonElement;
  /** Runs ticked for comparison, in the order they were ticked. */
  private readonly ticked: string[] = [];
  private comparing = false;
  private selected: string | null = null;
  private poll: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RunBrowserOptions) {
    super();
    this.options = options;
    this.flow = options.flow;
    this.addClass('cf-run-browser');
    this.node.dataset.flow = options.flow;
    const source: RunDataSource = {
      artifact: (pathspec, name) => this.ask({ op: 'artifact', pathspec, name, maxRows: PREVIEW_ROWS }),
      logs: (pathspec, attempt) =>
        this.ask({ op: 'logs', pathspec, ...(attempt === undefined ? {} : { attempt }) }),
      predictions: (pathspec) => this.ask({ op: 'predictions', pathspec }),
      outputs: async (pathspec) => (await this.ask({ op: 'outputs', pathspec })).outputs,
      rendermime: () => options.rendermime?.() ?? null,
      ...(options.openNotebook
        ? {
            openExecutedNotebook: async (pathspec: string) => {
              const { file } = await this.ask({ op: 'executed-notebook', pathspec });
              await options.openNotebook!(file);
            },
          }
        : {}),
      ...(options.insertCell
        ? {
            openInNotebook: (pathspec: string, name: string) =>
              options.insertCell!(
                artifactCellSource(pathspec, name, options.settings.current.datastore || undefined),
                ARTIFACT_CELL_TAGS,
              ),
          }
        : {}),
    };
    this.detail = new RunDetailView(source);
    this.compareView = new RunCompareView(source.artifact);
    this.compareView.hide();
    this.compareButton = el('button', {
      className: 'jp-Button jp-mod-styled jp-mod-reject',
      text: 'Compare',
      title: 'Tick two or more runs to compare them',
      dataset: { action: 'compare' },
      onClick: () => void this.compareTicked(),
    });
    this.compareButton.disabled = true;
    const toolbar = el('div', { className: 'cf-run-browser-toolbar' }, [
      el('span', { className: 'cf-flow-name', text: `Runs of ${options.flow}` }),
      el('button', {
        className: 'jp-Button jp-mod-styled jp-mod-reject',
        text: 'Refresh',
        dataset: { action: 'refresh' },
        onClick: () => void this.refresh(),
      }),
      this.compareButton,
      this.status,
    ]);
    const body = new Panel();
    body.addClass('cf-run-browser-body');
    body.addWidget(new Widget({ node: this.list }));
    body.addWidget(this.detail);
    body.addWidget(this.compareView);
    this.addWidget(new Widget({ node: toolbar }));
    this.addWidget(body);
  }

  /** Reloads the list and the selected run (or `select`, or the newest). */
  async refresh(select?: string): Promise<void> {
    this.status.textContent = 'Loading…';
    try {
      const result = await this.ask({ op: 'runs', flow: this.flow, limit: RUNS_LIMIT });
      const runs = Array.isArray(result?.runs) ? result.runs : [];
      this.renderList(runs);
      this.status.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}`;
      const pathspecs = runs.map(runPathspec);
      this.ticked.splice(0, this.ticked.length, ...this.ticked.filter((p) => pathspecs.includes(p)));
      this.markTicked();
      if (this.comparing) {
        return;
      } // the comparison stays until a run is selected
      const target =
        select ?? (this.selected && pathspecs.includes(this.selected) ? this.selected : pathspecs[0]);
      if (target) {
        await this.select(target);
      }
    } catch (error) {
      this.status.textContent = `Cannot list runs: ${messageOf(error)}`;
    }
  }

  async select(pathspec: string): Promise<void> {
    this.selected = pathspec;
    this.comparing = false;
    this.compareView.hide();
    this.detail.show();
    this.markSelected();
    if (this.poll) {
      clearTimeout(this.poll);
    }
    try {
      const detail = await this.ask({ op: 'run-detail', pathspec });
      if (this.selected !== pathspec || this.isDisposed) {
        return;
      }
      await this.detail.showRun(detail);
      // A run still going is re-read until it ends.
      if (detail.run.status === 'running') {
        this.poll = setTimeout(() => void this.refresh(), POLL_MS);
      }
    } catch (error) {
      this.status.textContent = `Cannot read ${pathspec}: ${messageOf(error)}`;
    }
  }

  /** Shows two or more runs side by side (the ticked ones, or the given ones), oldest first. */
  async compare(pathspecs: string[]): Promise<void> {
    this.comparing = true;
    if (this.poll) {
      clearTimeout(this.poll);
    }
    try {
      const details = await Promise.all(
        pathspecs.map((pathspec) => this.ask({ op: 'run-detail', pathspec })),
      );
      if (!this.comparing || this.isDisposed) {
        return;
      }
      this.detail.hide();
      this.compareView.showRuns(details);
      this.compareView.show();
    } catch (error) {
      this.status.textContent = `Cannot compare ${pathspecs.join(', ')}: ${messageOf(error)}`;
    }
  }

  private compareTicked(): Promise<void> {
    return this.ticked.length >= 2 ? this.compare([...this.ticked]) : Promise.resolve();
  }

  private toggleTicked(pathspec: string, on: boolean): void {
    const at = this.ticked.indexOf(pathspec);
    if (on && at < 0) {
      this.ticked.push(pathspec);
    }
    if (!on && at >= 0) {
      this.ticked.splice(at, 1);
    }
    this.markTicked();
  }

  private markTicked(): void {
    for (const box of this.list.querySelectorAll<HTMLInputElement>('input[data-compare]')) {
      box.checked = this.ticked.includes(box.dataset.compare ?? '');
    }
    this.compareButton.disabled = this.ticked.length < 2;
    this.compareButton.textContent = this.ticked.length >= 2 ? `Compare ${this.ticked.length}` : 'Compare';
  }

  override dispose(): void {
    if (this.poll) {
      clearTimeout(this.poll);
    }
    super.dispose();
  }

  /** A request with the datastore from the settings; its result is the op's (core/protocol.ts). */
  private ask<
    O extends 'artifact' | 'logs' | 'predictions' | 'runs' | 'run-detail' | 'outputs' | 'executed-notebook',
  >(body: RequestBodyOf<O>): Promise<ResultOf<O>> {
    return this.options.client().request<O>({ ...body, ...datastoreOption(this.options.settings.current) });
  }

  private renderList(runs: RunView[]): void {
    clear(this.list);
    if (runs.length === 0) {
      this.list.append(el('div', { className: 'cf-muted', text: `No runs of ${this.flow} yet.` }));
      return;
    }
    const rows = runs.map((run) =>
      el(
        'tr',
        {
          dataset: { run: runPathspec(run), status: run.status },
          onClick: () => void this.select(runPathspec(run)),
        },
        [
          el('td', {}, [this.tickBox(runPathspec(run))]),
          el('td', { className: 'cf-run-id', text: run.runId }),
          el('td', {}, [el('span', { className: `cf-badge cf-status-${run.status}`, text: run.status })]),
          el('td', { className: 'cf-run-user', text: run.user }),
          el('td', { text: formatTime(run.createdAt) }),
          el('td', { text: durationBetween(run.createdAt, run.finishedAt) }),
          el('td', { text: formatParams(run.params) }),
          el('td', { text: run.tags.join(', ') }),
        ],
      ),
    );
    this.list.append(
      el('table', { className: 'cf-table cf-runs-table' }, [
        el('thead', {}, [
          el(
            'tr',
            {},
            ['', 'run', 'status', 'user', 'started', 'duration', 'parameters', 'tags'].map((h) =>
              el('th', { text: h }),
            ),
          ),
        ]),
        el('tbody', {}, rows),
      ]),
    );
    this.markSelected();
    this.markTicked();
  }

  private tickBox(pathspec: string): HTMLInputElement {
    const box = el('input', {
      className: 'cf-compare-tick',
      title: 'Compare',
      attrs: { type: 'checkbox', 'aria-label': `compare ${pathspec}` },
      dataset: { compare: pathspec },
      // Ticking is not selecting the row.
      onClick: (event) => {
        event.stopPropagation();
        this.toggleTicked(pathspec, box.checked);
      },
    });
    return box;
  }

  private markSelected(): void {
    for (const row of this.list.querySelectorAll<HTMLElement>('tr[data-run]')) {
      row.classList.toggle('cf-selected', row.dataset.run === this.selected);
    }
  }
}
