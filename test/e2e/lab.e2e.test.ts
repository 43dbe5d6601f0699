// End to end, in a real JupyterLab with the built extension, driven in Debian's Chromium: open
// hello.ipynb and see its 5-step DAG, reach every command from the palette, make a new cell a step
// through the step editor and see the DAG change, follow a lint problem to its cell, hide the badges
// through the Settings Editor, and export the flow byte for byte as `cellflow export` does.
// Screenshots of every stage: test-artifacts/e2e/*.png.
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchChromium, screenshot } from './browser';
import { CommandIds } from '../../src/lab/command-ids';
import { cellflow } from '../helpers/cli';
import { ensureLabextensionBuilt, type LabServer, REPO, startLab } from './lab-server';

const XSS = '<img src=x onerror=alert(1)>';

let lab: LabServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureLabextensionBuilt();
  lab = await startLab({
    files: [path.join(REPO, 'examples', 'hello.ipynb')],
    kernel: false,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  // Any alert() would mean an artifact preview ran markup.
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

const panel = () => page.locator('#cellflow-panel');
const dagNodes = () => panel().locator('g.cf-dag-node[data-step]');
const cellOfStep = (step: string) =>
  page.locator('.jp-NotebookPanel .jp-Cell', {
    has: page.locator(`.cf-cell-badge[data-role="step"][data-step="${step}"]`),
  });

async function stepNames(): Promise<string[]> {
  return dagNodes().evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step') ?? ''));
}

async function menu(top: string, item: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) })
    .first()
    .click();
}

test('hello.ipynb: the panel shows its 5-step DAG', async () => {
  await page.goto(`${lab.url}/lab/tree/hello.ipynb?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  // No kernel yet: decline the kernel picker JupyterLab opens for the notebook's `cellflow` kernelspec.
  await page.locator('.jp-Dialog .jp-mod-reject').click();
  await menu('Cellflow', 'Show Flow Panel');
  await panel().locator('svg.cf-dag-svg').waitFor();
  expect(await stepNames()).toEqual(['start', 'a', 'b', 'join', 'end']);
  expect(await panel().locator('.cf-problems-summary').textContent()).toBe('No problems.');
  // Step cells carry a badge with their step's name.
  await expect(cellOfStep('join').count()).resolves.toBe(1);
  await screenshot(page, '01-hello-flow-panel');
}, 90_000);

test('clicking a node selects its step cell', async () => {
  await panel().locator('g.cf-dag-node[data-step="b"]').click();
  const active = page.locator('.jp-NotebookPanel .jp-Cell.jp-mod-active .cf-cell-badge');
  await eventually(async () => expect(await active.getAttribute('data-step')).toBe('b'));
}, 30_000);

test('every cellflow command is in the command palette and the Cellflow menu', async () => {
  const commands = Object.values(CommandIds).sort();
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('.lm-CommandPalette:visible');
  await palette.locator('input.lm-CommandPalette-input').fill('cellflow');
  const listed = () =>
    palette
      .locator('.lm-CommandPalette-item[data-command^="cellflow:"]')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-command')).sort());
  await eventually(async () => expect(await listed()).toEqual(commands));
  await screenshot(page, '02-command-palette');
  await page.keyboard.press('Escape');

  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Cellflow$/ }).click();
  const inMenu = await page
    .locator('.lm-Menu .lm-Menu-item[data-command^="cellflow:"]')
    .evaluateAll((items) => items.map((i) => i.getAttribute('data-command')).sort());
  expect(inMenu).toEqual(commands);
  await page.keyboard.press('Escape');
}, 30_000);

test('a new cell made a step through the step editor joins the DAG', async () => {
  await cellOfStep('end').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await page.keyboard.press('Enter');
  await page.keyboard.type(`self.html = '${XSS}';`);
  await page.keyboard.press('Escape');
  await page.locator('.jp-NotebookPanel-toolbar [data-jp-item-name="cellflow-make-step"]').click();
  const dialog = page.locator('.jp-Dialog');
  const name = dialog.locator('input[name="name"]');
  await expect(name.inputValue()).resolves.toBe('step_1');
  // The form checks as you type and blocks saving an invalid name.
  await name.fill('Report');
  await expect(dialog.locator('[data-message-for="name"]').textContent()).resolves.toMatch(/lowercase/);
  await expect(dialog.locator('.jp-mod-accept').isDisabled()).resolves.toBe(true);
  await name.fill('report');
  await expect(dialog.locator('[data-message-for="name"]').textContent()).resolves.toBe('');
  await dialog.locator('input[name="retry"]').fill('1');
  await screenshot(page, '03a-step-editor');
  await dialog.locator('.jp-mod-accept').click();
  await eventually(async () =>
    expect(await stepNames()).toEqual(['start', 'a', 'b', 'join', 'end', 'report']),
  );
  await expect(cellOfStep('report').count()).resolves.toBe(1);
  await screenshot(page, '03-new-step');
}, 60_000);

test('a lint problem is listed with a link that selects its cell', async () => {
  await cellOfStep('report').click();
  await menu('Cellflow', 'Edit Step Tags…');
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="next"]').fill('nowhere');
  // Not an error in the form (the step may be written later), but a warning.
  await expect(dialog.locator('[data-message-for="next"]').textContent()).resolves.toBe(
    "No step named 'nowhere' yet.",
  );
  await dialog.locator('.jp-mod-accept').click();
  const problem = panel().locator('.cf-problem.cf-error');
  await problem.first().waitFor();
  expect(await problem.first().textContent()).toContain('nowhere');
  await panel().locator('g.cf-dag-node.cf-has-problem[data-step="report"]').waitFor();
  await cellOfStep('start').click();
  await problem.first().locator('a.cf-problem-link').click();
  const active = page.locator('.jp-NotebookPanel .jp-Cell.jp-mod-active .cf-cell-badge');
  await eventually(async () => expect(await active.getAttribute('data-step')).toBe('report'));
  await screenshot(page, '03b-lint-problem');

  await menu('Cellflow', 'Edit Step Tags…');
  await dialog.locator('input[name="next"]').fill('');
  await dialog.locator('.jp-mod-accept').click();
  await eventually(async () =>
    expect(await panel().locator('.cf-problems-summary').textContent()).toBe('No problems.'),
  );
}, 60_000);

test('the badges follow the "Show step badges" setting', async () => {
  const badges = page.locator('.jp-NotebookPanel .cf-cell-badge');
  expect(await badges.count()).toBeGreaterThanOrEqual(6);
  await menu('Settings', 'Settings Editor');
  const editor = page.locator('.jp-SettingsPanel, .jp-SettingsEditor').first();
  await editor.waitFor({ timeout: 30_000 });
  await page
    .locator('.jp-PluginList-entry', { hasText: /^cellflow/ })
    .first()
    .click();
  const toggle = page.getByLabel('Show step badges');
  await toggle.uncheck();
  await eventually(async () => expect(await badges.count()).toBe(0));
  await screenshot(page, '03c-settings-editor');
  await toggle.check();
  await eventually(async () => expect(await badges.count()).toBeGreaterThanOrEqual(6));
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.ipynb' }).click();
}, 60_000);

test('export writes hello.flow.ts beside the notebook and opens it', async () => {
  await panel().locator('button[data-command="cellflow:export"]').click();
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.flow.ts' }).waitFor({ timeout: 30_000 });
  const exported = fs.readFileSync(path.join(lab.root, 'hello.flow.ts'), 'utf8');
  expect(exported).toContain('export const steps');
  expect(exported).toContain('async report(');
  expect(exported).toMatch(/"retry": 1\b/); // the option set in the step editor
  // Byte for byte what `cellflow export` makes of the saved notebook.
  const cli = await cellflow(['export', 'hello.ipynb', '-o', 'cli.flow.ts'], { cwd: lab.root });
  expect(cli.code).toBe(0);
  expect(exported).toBe(fs.readFileSync(path.join(lab.root, 'cli.flow.ts'), 'utf8'));
  await screenshot(page, '04-export');
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.ipynb' }).click();
  // Nothing on the way raised an uncaught error or an alert.
  expect(pageErrors).toEqual([]);
  expect(dialogs).toEqual([]);
}, 60_000);
