// cellflow's JupyterLab extension: the flow panel, step badges and step editor, export and run as flow,
// and the run browser. (The MIME renderer for displayed Runs and Tasks is `mime.ts`, a mimeExtension.)
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookActions, type Notebook } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { StepBadges } from './badges';
import { registerCommands } from './commands';
import { FlowPanel } from './flow-panel';
import { FlowSessions } from './flow-session';
import { cellflowIcon } from './icons';
import { PLUGIN_ID, SettingsModel } from './settings';

/** After a cell runs, ask the kernel for interactive state once things settle. */
const INTERACTIVE_REFRESH_MS = 100;

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  palette: ICommandPalette | null,
  settingRegistry: ISettingRegistry | null,
  restorer: ILayoutRestorer | null,
  docManager: IDocumentManager | null,
): void {
  const settings = new SettingsModel();
  if (settingRegistry) {
    settingRegistry
      .load(PLUGIN_ID)
      .then((loaded) => settings.bind(loaded))
      .catch((error) => console.warn(`cellflow: settings not loaded, using defaults: ${error}`));
  }

  const sessions = new FlowSessions(settings);
  sessions.added.connect((_, session) => new StepBadges(session, settings));
  tracker.widgetAdded.connect((_, notebook) => sessions.get(notebook));

  const panel = new FlowPanel(app.commands);
  registerCommands({ app, tracker, sessions, settings, panelId: panel.id, docManager, palette });
  panel.renderActions();
  panel.title.icon = cellflowIcon;
  app.shell.add(panel, 'right', { rank: 600 });
  restorer?.add(panel, panel.id);
  const follow = () => panel.setSession(tracker.currentWidget ? sessions.get(tracker.currentWidget) : null);
  tracker.currentChanged.connect(follow);
  follow();

  // Before each cell is sent, the kernel gets the notebook as it is on screen (unsaved cells included).
  NotebookActions.executionScheduled.connect((_, { notebook }) => {
    sessions.find((s) => s.panel.content === notebook)?.pushNotebook();
  });

  const pending = new Map<Notebook, ReturnType<typeof setTimeout>>();
  NotebookActions.executed.connect((_, { notebook }) => {
    const session = sessions.find((s) => s.panel.content === notebook);
    if (!session) {
      return;
    }
    clearTimeout(pending.get(notebook));
    pending.set(
      notebook,
      setTimeout(() => {
        pending.delete(notebook);
        void session.refreshInteractive();
      }, INTERACTIVE_REFRESH_MS),
    );
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Tagged notebooks as workflows: flow panel, step editor, export, run as flow, run browser.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer, IDocumentManager],
  activate,
};

export default plugin;
