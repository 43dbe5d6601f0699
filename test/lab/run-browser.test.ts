/** @jest-environment jsdom */
// The run browser is built before JupyterLab adds it to the shell, and lists runs through the kernel.
import type * as Lumino from '@lumino/widgets';
import type * as RunBrowserModule from '../../src/lab/run-browser';
import type { CellflowClient } from '../../src/lab/kernel-client';
import { SettingsModel } from '../../src/lab/settings';

// jsdom has no DragEvent, which Lumino's drag-and-drop module subclasses when it loads.
(globalThis as { DragEvent?: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
const { Widget } = require('@lumino/widgets') as typeof Lumino;
const { RunBrowser } = require('../../src/lab/run-browser') as typeof RunBrowserModule;

const NO_KERNEL = (): CellflowClient => {
  throw new Error('hello.ipynb has no running kernel');
};

test('a run browser built off the page attaches and says why it cannot list runs', async () => {
  const browser = new RunBrowser({ flow: 'hello', client: NO_KERNEL, settings: new SettingsModel() });
  Widget.attach(browser, document.body);
  expect(browser.node.querySelector('.cf-run-detail')).not.toBeNull();
  await browser.refresh();
  expect(browser.node.querySelector('.cf-run-browser-status')!.textContent).toBe(
    'Cannot list runs: hello.ipynb has no running kernel',
  );
  browser.dispose();
  expect(document.body.querySelector('.cf-run-browser')).toBeNull();
});
