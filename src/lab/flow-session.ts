// Everything cellflow knows about one open notebook: its analysis (re-run, debounced, as cells and tags
// change), the live status of a flow run started from it, and which steps have interactive results in
// its kernel. The flow panel, badges and commands all read it; `changed` tells them to redraw.
import { PathExt } from '@jupyterlab/coreutils';
import type { Cell, ICellModel } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import type { IObservableList } from '@jupyterlab/observables';
import { Signal } from '@lumino/signaling';
import type { InteractiveStateResult, RequestBodyOf, RunResult } from '../core/protocol';
import { analyzeModel, type FlowAnalysis } from './analysis';
import { ensureTypeScript } from './lazy-chunks';
import { typeScriptProvided } from '../core/typescript';
import { CELLFLOW_KERNEL, notebookLayout } from './live-notebook';
import type { InteractiveMark } from './dag-view';
import { type CellflowClient, clientFor } from './kernel-client';
import { LiveRunState } from './run-status';
import { datastoreOption, type SettingsModel } from './settings';

const ANALYSIS_DELAY_MS = 150;

export type InteractiveStep = InteractiveStateResult['steps'][number];

export class FlowSession {
  readonly panel: NotebookPanel;
  readonly changed = new Signal<FlowSession, void>(this);
  /** Emitted when a run started from this notebook finishes. */
  readonly runFinished = new Signal<FlowSession, RunResult>(this);
  private readonly settings: SettingsModel;
  private current: FlowAnalysis | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private live: LiveRunState | null = null;
  private marks: Record<string, InteractiveMark> = {};
  private details: Record<string, InteractiveStep> = {};
  private disposed = false;
  private compilerAwaited = false;

  constructor(panel: NotebookPanel, settings: SettingsModel) {
    this.panel = panel;
    this.settings = settings;
    const model = panel.content.model;
    if (model) {
      model.contentChanged.connect(this.schedule, this);
      model.cells.changed.connect(this.onCellsChanged, this);
      for (const cell of model.cells) {
        cell.metadataChanged.connect(this.schedule, this);
      }
    }
    panel.context.pathChanged.connect(this.schedule, this);
    panel.sessionContext.statusChanged.connect(this.onKernelStatus, this);
    panel.disposed.connect(() => this.dispose());
    this.refresh();
  }

  get analysis(): FlowAnalysis | null {
    return this.current;
  }

  get path(): string {
    return this.panel.context.path;
  }

  get liveRun(): LiveRunState | null {
    return this.live;
  }

  get interactive(): Record<string, InteractiveMark> {
    return this.marks;
  }

  /** What the kernel said about each step: why it is stale, the foreach element it ran, partial joins. */
  get interactiveDetails(): Record<string, InteractiveStep> {
    return this.details;
  }

  /**
   * Re-analyses now. Until the TypeScript compiler's chunk has loaded there is no analysis (null) and
   * one follows as soon as it arrives; commands use `analyzed()`.
   */
  refresh(): FlowAnalysis | null {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = undefined;
    const model = this.panel.content.model;
    if (!model || this.disposed) {
      return null;
    }
    if (!typeScriptProvided()) {
      this.awaitCompiler();
      return this.current;
    }
    this.current = analyzeModel(model, this.path);
    this.changed.emit();
    return this.current;
  }

  /** Re-analyses now, loading the TypeScript compiler first if need be (commands never act on a stale analysis). */
  async analyzed(): Promise<FlowAnalysis | null> {
    await ensureTypeScript();
    return this.refresh();
  }

  private awaitCompiler(): void {
    if (this.compilerAwaited) {
      return;
    }
    this.compilerAwaited = true;
    // The notebook is drawn first: evaluating the compiler's 9 MB chunk would hold up its first paint.
    this.panel.revealed
      .then(() => new Promise<void>((painted) => requestAnimationFrame(() => setTimeout(painted, 0))))
      .then(() => ensureTypeScript())
      .then(
        () => {
          if (!this.disposed) {
            this.refresh();
          }
        },
        (error: unknown) => {
          this.compilerAwaited = false;
          const message = `the TypeScript compiler could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
          this.current = { path: this.path, diagnostics: [{ severity: 'error', rule: 'internal', message }] };
          this.changed.emit();
        },
      );
  }

  /** The cellflow client of the notebook's kernel, or an error that says what is missing. */
  client(): CellflowClient {
    const kernel = this.panel.sessionContext.session?.kernel;
    if (!kernel) {
      throw new Error(`${this.path} has no running kernel: start the 'TypeScript (cellflow)' kernel.`);
    }
    return clientFor(kernel);
  }

  /**
   * Saves the notebook and runs it as a flow through the kernel, following its tasks live. Without a
   * request, the settings' max workers and datastore are used and the notebook's parameter defaults.
   */
  async runAsFlow(request?: Omit<RequestBodyOf<'run'>, 'notebook' | 'op'>): Promise<RunResult> {
    const settings = this.settings.current;
    const body: RequestBodyOf<'run'> = request
      ? { ...request, op: 'run', notebook: PathExt.basename(this.path) }
      : {
          op: 'run',
          notebook: PathExt.basename(this.path),
          ...(settings.maxWorkers > 0 ? { maxWorkers: settings.maxWorkers } : {}),
          ...datastoreOption(settings),
        };
    return this.follow(body, async () => {
      await this.panel.context.save();
    });
  }

  /** Resumes a past run of this notebook's flow (from its first failed step, or `fromStep`). */
  resume(request: RequestBodyOf<'resume'>): Promise<RunResult> {
    return this.follow(request);
  }

  /** Interrupts the run in progress; the kernel records it as cancelled. */
  async stop(): Promise<void> {
    const live = this.live;
    if (!live?.running || !live.requestId) {
      return;
    }
    live.stopping = true;
    this.changed.emit();
    await this.client().request({ op: 'stop', run: live.requestId });
  }

  private async follow(
    body: RequestBodyOf<'run'> | RequestBodyOf<'resume'>,
    before?: () => Promise<void>,
  ): Promise<RunResult> {
    if (this.live?.running) {
      throw new Error(`a run of ${this.path} is already in progress`);
    }
    const client = this.client();
    await before?.();
    const live = new LiveRunState();
    if (body.op === 'resume') {
      live.origin = body.pathspec;
    }
    this.live = live;
    this.changed.emit();
    try {
      const { id, done } = client.start(body, (event) => {
        if (!live.accept(event.seq)) {
          return;
        }
        if (event.event === 'started') {
          live.pathspec = event.pathspec;
        } else if (event.event === 'task') {
          live.update(event.task);
        } else {
          return;
        }
        this.changed.emit();
      });
      live.requestId = id;
      const result = await done;
      live.pathspec = result.pathspec ?? live.pathspec;
      if (result.status === 'failed') {
        live.failure = await this.failureOf(result.pathspec, body);
      }
      live.finalStatus = result.status;
      this.runFinished.emit(result);
      return result;
    } catch (error) {
      live.finalStatus = live.pathspec ? 'failed' : 'not started';
      live.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this.changed.emit();
    }
  }

  /** The first failed task's error, with its cell when the runtime knew it (for a link to the cell). */
  private async failureOf(
    pathspec: string,
    body: RequestBodyOf<'run'> | RequestBodyOf<'resume'>,
  ): Promise<LiveRunState['failure']> {
    try {
      const detail = await this.client().request({
        op: 'run-detail',
        pathspec,
        ...(body.datastore ? { datastore: body.datastore } : {}),
      });
      for (const task of detail.tasks) {
        if (task.status !== 'failed') {
          continue;
        }
        const error = [...task.attempts].reverse().find((a) => a.error)?.error;
        if (error) {
          return { step: task.step, message: error.message, cell: error.cell, line: error.line };
        }
      }
    } catch {
      // the run browser still shows the run; the panel just has no link
    }
    return undefined;
  }

  /**
   * Sends the notebook as it is on screen to the kernel (before each execution), so cells added,
   * moved or re-tagged since the last save are placed in the right step. Only to cellflow's kernel.
   */
  pushNotebook(): void {
    const kernel = this.panel.sessionContext.session?.kernel;
    const model = this.panel.content.model;
    if (!kernel || !model || kernel.name !== CELLFLOW_KERNEL) {
      return;
    }
    try {
      void this.client()
        .request({ op: 'notebook', notebook: PathExt.basename(this.path), content: notebookLayout(model) })
        .catch(() => undefined);
    } catch {
      // no kernel connection: the kernel reads the saved notebook instead
    }
  }

  /** Asks the kernel which steps have interactive results; quietly none without a cellflow kernel. */
  async refreshInteractive(): Promise<void> {
    let marks: Record<string, InteractiveMark> = {};
    let details: Record<string, InteractiveStep> = {};
    // A notebook without steps (say, a Python one) is not asked: its kernel knows no `cellflow` comm.
    if (!this.current?.graph) {
      this.marks = marks;
      return;
    }
    try {
      const result = await this.client().request({ op: 'interactive-state' });
      for (const step of result.steps ?? []) {
        marks[step.step] = step.notTaken ? 'skipped' : step.stale ? 'stale' : 'fresh';
      }
      details = Object.fromEntries((result.steps ?? []).map((s) => [s.step, s]));
    } catch {
      marks = {};
    }
    if (this.disposed) {
      return;
    }
    this.marks = marks;
    this.details = details;
    this.changed.emit();
  }

  /** The cell widget of a step (its `step:` cell), or of a cell index. */
  cellOf(target: { step?: string; index?: number }): Cell | undefined {
    const notebook = this.panel.content;
    let index = target.index;
    if (target.step !== undefined) {
      index = this.current?.graph?.nodes[target.step]?.cell.index;
    }
    if (target.step !== undefined && index === undefined) {
      index = this.current?.flow?.steps.find((s) => s.name === target.step)?.cell.index;
    }
    return index === undefined ? undefined : notebook.widgets[index];
  }

  /** Makes a cell the active one and scrolls it into view. */
  async revealCell(target: { step?: string; index?: number }): Promise<void> {
    const cell = this.cellOf(target);
    if (!cell) {
      return;
    }
    const notebook = this.panel.content;
    notebook.activeCellIndex = notebook.widgets.indexOf(cell);
    notebook.deselectAll();
    await notebook.scrollToCell(cell, 'center');
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    Signal.clearData(this);
  }

  private schedule(): void {
    if (this.disposed) {
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => this.refresh(), ANALYSIS_DELAY_MS);
  }

  private onCellsChanged(_: unknown, change: IObservableList.IChangedArgs<ICellModel>): void {
    for (const cell of change.newValues) {
      cell.metadataChanged.connect(this.schedule, this);
    }
    this.schedule();
  }

  private onKernelStatus(_: unknown, status: Kernel.Status): void {
    // A restarted kernel has no interactive results left.
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this.marks = {};
      this.details = {};
      this.changed.emit();
    }
  }
}

/** One FlowSession per open notebook panel. */
export class FlowSessions {
  private readonly sessions = new Map<NotebookPanel, FlowSession>();
  readonly added = new Signal<FlowSessions, FlowSession>(this);
  private readonly settings: SettingsModel;

  constructor(settings: SettingsModel) {
    this.settings = settings;
  }

  get(panel: NotebookPanel): FlowSession {
    let session = this.sessions.get(panel);
    if (!session) {
      const created = new FlowSession(panel, this.settings);
      this.sessions.set(panel, created);
      panel.disposed.connect(() => this.sessions.delete(panel));
      this.added.emit(created);
      session = created;
    }
    return session;
  }

  find(predicate: (session: FlowSession) => boolean): FlowSession | undefined {
    return [...this.sessions.values()].find(predicate);
  }
}
