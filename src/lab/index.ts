import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import ELK from 'elkjs/lib/elk.bundled.js';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'cellflow:plugin',
  autoStart: true,
  activate: () => {
    console.log('cellflow activated', typeof ELK);
  },
};
export default plugin;
