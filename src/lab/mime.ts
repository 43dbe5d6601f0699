// MIME renderer for `application/vnd.cellflow.run+json`: a Run or Task displayed by the cellflow kernel
// (the last expression of a cell) shows as the run browser's detail view, right in the output area.
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel, Widget } from '@lumino/widgets';
import { CELLFLOW_MIMETYPE, type CellflowDisplay, type TaskView } from '../core/protocol';
import { el } from './dom';
import { durationBetween, formatBytes } from './format';
import { taskPathspec } from './run-facts';
import { factsTable, RunDetailView } from './run-detail-view';

// A Lumino Panel holding the view as a child widget: JupyterLab renders a model before it attaches the
// renderer to the page, and attaching a widget by hand to a detached node throws.
export class CellflowOutput extends Panel implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('cf-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[CELLFLOW_MIMETYPE] as unknown as CellflowDisplay | undefined;
    for (const child of [...this.widgets]) {
      child.dispose();
    }
    if (data?.kind === 'run') {
      const view = new RunDetailView();
      this.addWidget(view);
      await view.showRun(data);
    } else if (data?.kind === 'task') {
      this.addWidget(new Widget({ node: renderTask(data.task) }));
    } else {
      this.addWidget(new Widget({ node: el('pre', { text: JSON.stringify(data, null, 2) }) }));
    }
  }
}

function renderTask(task: TaskView): HTMLElement {
  const artifacts = Object.entries(task.artifacts).sort(([a], [b]) => a.localeCompare(b));
  return el('div', { className: 'cf-task-output', dataset: { task: taskPathspec(task) } }, [
    el('h3', {}, [
      el('span', { text: `Task ${taskPathspec(task)}` }),
      ' ',
      el('span', { className: `cf-badge cf-status-${task.status}`, text: task.status }),
    ]),
    factsTable([
      ['attempts', String(task.attempts.length)],
      ['duration', durationBetween(task.startedAt, task.finishedAt)],
    ]),
    el('table', { className: 'cf-table cf-artifacts' }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          ['artifact', 'codec', 'size'].map((h) => el('th', { text: h })),
        ),
      ]),
      el(
        'tbody',
        {},
        artifacts.map(([name, ref]) =>
          el('tr', {}, [
            el('td', { text: name }),
            el('td', { text: ref.codec }),
            el('td', { text: formatBytes(ref.bytes) }),
          ]),
        ),
      ),
    ]),
  ]);
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  // The renderer only ever sets text, so untrusted outputs render in full.
  safe: true,
  mimeTypes: [CELLFLOW_MIMETYPE],
  createRenderer: () => new CellflowOutput(),
};

const extension: IRenderMime.IExtension = {
  id: 'cellflow:run-renderer',
  description: 'Renders cellflow Runs and Tasks displayed by the cellflow kernel.',
  rendererFactory,
  rank: 0,
  dataType: 'json',
};

export default extension;
