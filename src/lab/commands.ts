// The extension's commands (palette category "cellflow"; the Cellflow menu and notebook toolbar come
// from schema/lab/plugin.json): step editor, export, run as flow, flow panel, run browser.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { type ICommandPalette, MainAreaWidget, Notification, showErrorMessage } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import { type INotebookTracker, NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import { PathExt } from '@jupyterlab/coreutils';
import type { RunResult } from '../core/protocol';

import { CommandIds, PALETTE_CATEGORY } from './command-ids';
import { ExportError, exportFlow } from './export-flow';
import type { FlowSession, FlowSessions } from './flow-session';
import { cellflowIcon } from './icons';
import { RunBrowser } from './run-browser';
import { askResumeOptions, askRunOptions } from './run-dialog';
import { initialRunForm, parameterFields, resumeRequestOf, runRequestOf } from './run-form';
import { messageOf } from './run-detail-view';
import type { SettingsModel } from './settings';
import { editStepForm } from './step-editor';
import { planTagFix, tagFixMessage, type TagFixPlan } from './tag-fix';
import {
  formFromTags,
  readCellTags,
  rewriteCellTags,
  type StepFormContext,
  suggestStepName,
} from './step-form';

export interface CommandDeps {
  app: JupyterFrontEnd;
  tracker: INotebookTracker;
  sessions: FlowSessions;
  settings: SettingsModel;
  /** Id of the flow panel widget in the right sidebar. */
  panelId: string;
  docManager: IDocumentManager | null;
  palette: ICommandPalette | null;
}

/** Keyboard shortcuts in a notebook's command mode: step editor, run as flow, stop, flow panel. */
export const SHORTCUTS: [string, string[]][] = [
  [CommandIds.editStep, ['Shift S']],
  [CommandIds.runFlow, ['Accel Shift F5']],
  [CommandIds.stopFlow, ['Accel Shift F6']],
  [CommandIds.openPanel, ['Accel Shift D']],
];

export function registerCommands(deps: CommandDeps): void {
  const { app, tracker, sessions, palette } = deps;
  const current = (): FlowSession | null =>
    tracker.currentWidget ? sessions.get(tracker.currentWidget) : null;
  const hasNotebook = () => tracker.currentWidget !== null;
  const hasCodeCell = () => tracker.activeCell?.model.type === 'code';

  app.commands.addCommand(CommandIds.makeStep, {
    label: 'Make Cell a Step…',
    caption: 'Tag the active code cell step:NAME and set its successors and options',
    icon: cellflowIcon,
    isEnabled: hasCodeCell,
    execute: () => editActiveCell(deps, current(), true),
  });
  app.commands.addCommand(CommandIds.editStep, {
    label: 'Edit Step Tags…',
    caption: "Edit the active cell's cellflow tags: step, successors, foreach, parameters, skip, options",
    isEnabled: hasCodeCell,
    execute: () => editActiveCell(deps, current(), false),
  });
  app.commands.addCommand(CommandIds.fixTags, {
    label: 'Fix Comma Tags',
    caption:
      "Rewrite old comma tags (next:a,b) as one value per tag (next:a, next:b), as 'cellflow lint --fix' does",
    isEnabled: () => tracker.currentWidget !== null && planOf(tracker.currentWidget).fixes.length > 0,
    execute: () => (tracker.currentWidget ? fixTags(tracker.currentWidget) : undefined),
  });
  // A notebook with comma tags is not valid for nbformat: say so when it opens, with the fix at hand.
  tracker.widgetAdded.connect((_, panel) => {
    void panel.context.ready.then(() => offerTagFix(panel));
  });
  app.commands.addCommand(CommandIds.export, {
    label: 'Export Notebook to Flow',
    caption: 'Compile the notebook to NAME.flow.ts beside it and open it',
    isEnabled: hasNotebook,
    execute: () => exportCurrent(deps, current()),
  });
  app.commands.addCommand(CommandIds.runFlow, {
    label: 'Run Notebook as Flow…',
    caption:
      'Choose parameters, tags, seed, workers and datastore, then save the notebook and run it as a flow with live task status',
    isEnabled: hasNotebook,
    execute: () => runCurrent(deps, current()),
  });
  app.commands.addCommand(CommandIds.stopFlow, {
    label: 'Stop Flow Run',
    caption: 'Interrupt the flow run started from this notebook (recorded as cancelled)',
    isEnabled: () => current()?.liveRun?.running === true,
    execute: () => void current()?.stop(),
  });
  app.commands.addCommand(CommandIds.resumeFlow, {
    label: 'Resume Flow Run…',
    caption: 'Resume the last run of this notebook from its failed step, or a step you pick',
    isEnabled: () => !!current()?.liveRun?.pathspec && current()?.liveRun?.running === false,
    execute: () => resumeCurrent(deps, current()),
  });
  app.commands.addCommand(CommandIds.openPanel, {
    label: 'Show Flow Panel',
    caption: "Show the active notebook's flow graph and problems",
    execute: () => app.shell.activateById(deps.panelId),
  });
  app.commands.addCommand(CommandIds.openRuns, {
    label: 'Show Runs',
    caption: "Browse past runs of the active notebook's flow",
    isEnabled: hasNotebook,
    execute: () => openRuns(deps, current()),
  });
  for (const command of Object.values(CommandIds)) {
    palette?.addItem({ command, category: PALETTE_CATEGORY });
  }
  // Command mode keys, as JupyterLab's own notebook shortcuts (Shift+S is free there).
  for (const [command, keys] of SHORTCUTS) {
    app.commands.addKeyBinding({ command, keys, selector: '.jp-Notebook.jp-mod-commandMode:focus' });
  }
  // Enabled states follow the active notebook and cell.
  const refresh = () => app.commands.notifyCommandChanged();
  tracker.currentChanged.connect(refresh);
  tracker.activeCellChanged.connect(refresh);
}

function planOf(panel: NotebookPanel): TagFixPlan {
  const cells = [...(panel.content.model?.cells ?? [])].map((cell, index) => ({
    index,
    id: cell.id,
    tags: (cell.getMetadata('tags') as string[] | undefined) ?? [],
  }));
  return planTagFix(cells.filter((c) => Array.isArray(c.tags) && c.tags.every((t) => typeof t === 'string')));
}

function offerTagFix(panel: NotebookPanel): void {
  const plan = planOf(panel);
  if (plan.fixes.length === 0 && plan.unfixable.length === 0) {
    return;
  }
  Notification.warning(tagFixMessage(panel.context.path, plan), {
    autoClose: false,
    actions: plan.fixes.length ? [{ label: 'Fix tags', callback: () => void fixTags(panel) }] : [],
  });
}

/** Rewrites the notebook's comma tags in its model (one undoable change) and saves it. */
async function fixTags(panel: NotebookPanel): Promise<void> {
  const model = panel.content.model;
  const plan = planOf(panel);
  if (!model || plan.fixes.length === 0) {
    return;
  }
  model.sharedModel.transact(() => {
    for (const fix of plan.fixes) {
      model.cells.get(fix.index).setMetadata('tags', fix.tags);
    }
  });
  await panel.context.save();
  const count = plan.fixes.reduce((n, f) => n + f.changes.length, 0);
  Notification.success(`Rewrote ${count} comma tag${count === 1 ? '' : 's'} in ${panel.context.path}`, {
    autoClose: 4000,
  });
}

async function editActiveCell(
  deps: CommandDeps,
  session: FlowSession | null,
  makeStep: boolean,
): Promise<void> {
  const cell = deps.tracker.activeCell;
  if (!session || !cell || cell.model.type !== 'code') {
    return;
  }
  const analysis = await session.analyzed();
  const index = session.panel.content.widgets.indexOf(cell);
  const context: StepFormContext = {
    otherSteps: (analysis?.flow?.steps ?? [])
      .filter((s) => s.cell.id !== cell.model.id)
      .map((s) => ({ name: s.name, cellIndex: s.cell.index })),
  };
  const raw = (cell.model.getMetadata('tags') as string[] | undefined) ?? [];
  const values = formFromTags(readCellTags(raw));
  if (makeStep && values.role !== 'step') {
    values.role = 'step';
    values.name = suggestStepName(context);
  }
  const edited = await editStepForm(`cellflow tags of cell ${index + 1}`, values, context);
  // Back to the notebook in command mode, so its keyboard shortcuts work again after the dialog.
  const refocus = () => {
    session.panel.content.mode = 'command';
    session.panel.content.activate();
    session.panel.content.node.focus();
  };
  if (!edited) {
    refocus();
    return;
  }
  const tags = rewriteCellTags(raw, edited);
  if (tags.length) {
    cell.model.setMetadata('tags', tags);
  } else {
    cell.model.deleteMetadata('tags');
  }
  session.refresh();
  refocus();
}

async function exportCurrent(deps: CommandDeps, session: FlowSession | null): Promise<void> {
  if (!session) {
    return;
  }
  try {
    const path = await exportFlow(session.panel, deps.app.serviceManager.contents);
    // An open editor of an older export would show stale text: reload it.
    const open = deps.docManager?.findWidget(path);
    if (open) {
      await open.context.revert();
    }
    deps.docManager?.openOrReveal(path);
    Notification.success(`Exported ${path}`, { autoClose: 4000 });
  } catch (error) {
    if (error instanceof ExportError) {
      session.refresh();
    }
    await showErrorMessage('Export notebook to flow', messageOf(error));
  }
}

async function runCurrent(deps: CommandDeps, session: FlowSession | null): Promise<void> {
  if (!session) {
    return;
  }
  const analysis = await session.analyzed();
  const settings = deps.settings.current;
  const parameters = analysis?.flow?.parameters ?? [];
  const values = await askRunOptions(
    `Run ${session.path} as a flow`,
    parameters,
    initialRunForm(parameters, settings),
  );
  session.panel.content.activate();
  if (!values) {
    return;
  }
  const request = runRequestOf(PathExt.basename(session.path), parameterFields(parameters), values);
  await followRun(deps, session, `Running ${session.path} as a flow…`, () => session.runAsFlow(request));
}

async function resumeCurrent(deps: CommandDeps, session: FlowSession | null): Promise<void> {
  const live = session?.liveRun;
  if (!session || !live?.pathspec) {
    return;
  }
  const steps = (await session.analyzed())?.graph?.order ?? [];
  const values = await askResumeOptions(`Resume ${live.pathspec}`, steps, live.failure?.step, {
    fromStep: '',
    maxWorkers: deps.settings.current.maxWorkers > 0 ? String(deps.settings.current.maxWorkers) : '',
  });
  session.panel.content.activate();
  if (!values) {
    return;
  }
  const request = resumeRequestOf(live.pathspec, values, deps.settings.current.datastore);
  await followRun(deps, session, `Resuming ${live.pathspec}…`, () => session.resume(request));
}

async function followRun(
  deps: CommandDeps,
  session: FlowSession,
  message: string,
  start: () => Promise<RunResult>,
): Promise<void> {
  deps.app.shell.activateById(deps.panelId);
  const notice = Notification.emit(message, 'in-progress', { autoClose: false });
  try {
    const result = await start();
    Notification.update({
      id: notice,
      message: `Run ${result.pathspec} ${result.status}`,
      type: result.status === 'succeeded' ? 'success' : result.status === 'cancelled' ? 'warning' : 'error',
      autoClose: 6000,
      actions: [{ label: 'Show run', callback: () => void openRuns(deps, session, result.pathspec) }],
    });
    const browser = findRunBrowser(deps, await flowNameOf(session));
    if (browser) {
      await browser.refresh(result.pathspec);
    }
  } catch (error) {
    Notification.update({
      id: notice,
      message: `The run could not start: ${messageOf(error)}`,
      type: 'error',
      autoClose: 8000,
    });
  }
}

async function flowNameOf(session: FlowSession): Promise<string | undefined> {
  return (await session.analyzed())?.flow?.name;
}

function findRunBrowser(deps: CommandDeps, flow: string | undefined): RunBrowser | undefined {
  for (const widget of deps.app.shell.widgets('main')) {
    if (
      widget instanceof MainAreaWidget &&
      widget.content instanceof RunBrowser &&
      widget.content.flow === flow
    ) {
      return widget.content;
    }
  }
  return undefined;
}

/** A new code cell below the notebook's active cell, shown and selected. */
function insertCellBelowActive(
  deps: CommandDeps,
  session: FlowSession,
  source: string,
  tags: string[],
): void {
  const notebook = session.panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell) {
    return;
  }
  cell.model.sharedModel.setSource(source);
  cell.model.setMetadata('tags', tags);
  deps.app.shell.activateById(session.panel.id);
  void notebook.scrollToCell(cell);
}

async function openRuns(deps: CommandDeps, session: FlowSession | null, select?: string): Promise<void> {
  if (!session) {
    return;
  }
  const flow = await flowNameOf(session);
  if (!flow) {
    await showErrorMessage('Show runs', `${session.path} has no flow name yet: fix its problems first.`);
    return;
  }
  let browser = findRunBrowser(deps, flow);
  if (!browser) {
    const content = new RunBrowser({
      flow,
      client: () => session.client(),
      settings: deps.settings,
      insertCell: (source, tags) => insertCellBelowActive(deps, session, source, tags),
      rendermime: () => (session.panel.isDisposed ? null : session.panel.content.rendermime),
      ...(deps.docManager
        ? {
            openNotebook: async (file: string) => {
              // The kernel wrote it in its working directory: the notebook's folder.
              const folder = PathExt.dirname(session.path);
              deps.docManager!.openOrReveal(folder ? PathExt.join(folder, file) : file);
            },
          }
        : {}),
    });
    const widget = new MainAreaWidget({ content });
    widget.id = `cellflow-runs-${flow}`;
    widget.title.label = `Runs: ${flow}`;
    widget.title.icon = cellflowIcon;
    widget.title.closable = true;
    deps.app.shell.add(widget, 'main', { mode: 'split-right' });
    browser = content;
  }
  deps.app.shell.activateById(`cellflow-runs-${flow}`);
  await browser.refresh(select);
}
