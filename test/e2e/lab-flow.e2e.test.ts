// End to end in a real JupyterLab and Chromium, the interactive and run-control stories of issue #18:
// a re-run parameters cell marks the steps stale; a new unsaved cell under a step runs in it; the
// "Run as Flow…" dialog checks parameters as you type and runs with the chosen parameters, tags and
// seed; a running step shows as running, Stop records the run as cancelled and Resume finishes it;
// a run that cannot start shows the CLI's message; a foreach body names its element and the join is
// marked partial; a notebook without steps shows only its own message; light and dark themes.
// Screenshots: test-artifacts/e2e/flow-*.png.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchChromium, screenshot, switchTheme } from './browser';
import { ensureLabextensionBuilt, type LabServer, REPO, startLab } from './lab-server';

let lab: LabServer;
let browser: Browser;
let page: Page;
let fixtures: string;
const pageErrors: string[] = [];

function notebook(cells: { id: string; tags?: string[]; source: string; type?: string }[]): string {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
        language_info: { name: 'typescript' },
      },
      cells: cells.map((c) =>
        c.type === 'markdown'
          ? { cell_type: 'markdown', id: c.id, metadata: {}, source: c.source }
          : {
              cell_type: 'code',
              id: c.id,
              metadata: c.tags ? { tags: c.tags } : {},
              source: c.source,
              outputs: [],
              execution_count: null,
            },
      ),
    },
    null,
    1,
  );
}

beforeAll(async () => {
  ensureLabextensionBuilt();
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-e2e-flow-'));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(fixtures, name), text);
    return path.join(fixtures, name);
  };
  const files = [
    write(
      'params.ipynb',
      notebook([
        { id: 'params', tags: ['parameters'], source: 'const epochs = 200;\nconst label = "base";' },
        { id: 'start', tags: ['step:start'], source: 'self.double = self.epochs * 2;' },
        { id: 'end', tags: ['step:end'], source: 'console.log(`${self.label}: ${self.double}`);' },
      ]),
    ),
    write(
      'slow.ipynb',
      notebook([
        { id: 'start', tags: ['step:start'], source: 'self.n = 1;' },
        {
          id: 'wait',
          tags: ['step:wait'],
          source:
            "const fs = require('fs');\nif (!fs.existsSync('waited')) { fs.writeFileSync('waited', ''); await new Promise((r) => setTimeout(r, 60000)); }\nself.n += 1;",
        },
        { id: 'end', tags: ['step:end'], source: 'console.log(`n = ${self.n}`);' },
      ]),
    ),
    write(
      'broken.ipynb',
      notebook([{ id: 'start', tags: ['step:start', 'next:nowhere'], source: 'self.n = 1;' }]),
    ),
    write(
      'plain.ipynb',
      notebook([
        { id: 'md', type: 'markdown', source: '# No steps here' },
        { id: 'c', source: '1 + 1' },
      ]),
    ),
    path.join(REPO, 'examples', 'foreach.ipynb'),
  ];
  lab = await startLab({ files, kernel: true, git: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (fixtures) {
    fs.rmSync(fixtures, { recursive: true, force: true });
  }
});

const panel = () => page.locator('#cellflow-panel');
const node = (step: string) => panel().locator(`g.cf-dag-node[data-step="${step}"]`);
const cellById = (index: number) => page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(index);

async function open(name: string): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/${name}?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  // On a first page load JupyterLab may ask for a kernel before it has listed the kernelspecs.
  const ask = page.locator('.jp-Dialog', { hasText: 'Select Kernel' });
  await page.waitForTimeout(1500);
  if (await ask.count()) {
    await ask.locator('select').selectOption({ label: 'TypeScript (cellflow)' });
    await ask.locator('.jp-mod-accept').click();
  }
  await page
    .locator('.jp-NotebookPanel .jp-Toolbar-kernelName[aria-label="TypeScript (cellflow)"]')
    .waitFor({ state: 'attached', timeout: 30_000 });
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Cellflow$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Show Flow Panel$/ }).click();
  await page
    .locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 60_000 });
}

async function waitIdle(): Promise<void> {
  // Busy first (the request left), then idle.
  await page.waitForTimeout(300);
  await page
    .locator('.jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 60_000 });
}

async function runAll(): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ })
    .first()
    .click();
  await waitIdle();
}

/** Replaces a cell's source and runs it (Shift+Enter leaves the notebook in edit mode below it). */
async function setAndRun(index: number, source: string): Promise<void> {
  await cellById(index).locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(source);
  await page.keyboard.press('Control+Enter');
  await waitIdle();
}

test('a re-run parameters cell marks the steps stale, saying why; a new unsaved cell runs in its step', async () => {
  await open('params.ipynb');
  await runAll();
  await screenshot(page, 'flow-01a-after-run-all');
  await eventually(
    async () => expect(await node('end').getAttribute('data-interactive')).toBe('fresh'),
    30_000,
  );
  await setAndRun(0, 'const epochs = 20;\nconst label = "base";');
  await eventually(async () => {
    expect(await node('start').getAttribute('data-interactive')).toBe('stale');
    expect(await node('end').getAttribute('data-interactive')).toBe('stale');
  }, 30_000);
  await expect(panel().locator('.cf-interactive-notes').textContent()).resolves.toContain(
    'start is stale: a parameter changed since it ran.',
  );
  await expect(cellById(1).locator('.cf-cell-badge').textContent()).resolves.toBe('step start · stale');
  await screenshot(page, 'flow-01-parameters-stale');

  // A new cell under start, never saved: it runs in step start, on the new epochs.
  await setAndRun(1, 'self.double = self.epochs * 2;');
  await cellById(1).click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('b');
  await page.keyboard.press('Enter');
  await page.keyboard.type('self.double + 1');
  await page.keyboard.press('Control+Enter');
  await waitIdle();
  const output = cellById(2).locator('.jp-OutputArea-output');
  await eventually(async () => expect(await output.allTextContents()).toContainEqual('41'), 30_000);
  expect(await cellById(2).locator('.jp-OutputArea-output[data-mime-type*="error"]').count()).toBe(0);
  await screenshot(page, 'flow-02-unsaved-cell-in-step');
}, 150_000);

test('Run as Flow…: typed parameter fields checked as you type; the run gets the parameters, tags and seed', async () => {
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  const dialog = page.locator('.jp-Dialog');
  const epochs = dialog.locator('input[name="param:epochs"]');
  await expect(epochs.inputValue()).resolves.toBe('20');
  await epochs.fill('many');
  await expect(dialog.locator('[data-message-for="param:epochs"]').textContent()).resolves.toBe(
    'epochs is a number.',
  );
  await expect(dialog.locator('.jp-mod-accept').isDisabled()).resolves.toBe(true);
  await epochs.fill('7');
  await expect(dialog.locator('[data-message-for="param:epochs"]').textContent()).resolves.toBe(
    'number, default 20',
  );
  await dialog.locator('textarea[name="tags"]').fill('experiment-1');
  await dialog.locator('input[name="seed"]').fill('42');
  await screenshot(page, 'flow-03-run-dialog');
  await dialog.locator('.jp-mod-accept').click();
  await panel().locator('.cf-panel-run[data-status="succeeded"]').waitFor({ timeout: 90_000 });
  const [flow, runId] = ((await panel().locator('.cf-run-pathspec').textContent()) ?? '').split('/');
  const record = JSON.parse(
    fs.readFileSync(path.join(lab.datastore, 'flows', flow, runId, 'run.json'), 'utf8'),
  );
  expect(record.params).toMatchObject({ epochs: 7, label: 'base' });
  expect(record.tags).toContain('experiment-1');
  expect(record.seed).toBe(42);
  await screenshot(page, 'flow-04-run-with-parameters');
}, 150_000);

test('a running step shows as running; Stop records the run as cancelled; Resume finishes it', async () => {
  await open('slow.ipynb');
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await node('wait').and(page.locator('[data-status="running"]')).waitFor({ timeout: 90_000 });
  await expect(node('start').getAttribute('data-status')).resolves.toBe('succeeded');
  await screenshot(page, 'flow-05-running-step');
  await panel().locator('button[data-command="cellflow:stop-flow"]').click();
  await panel().locator('.cf-panel-run[data-status="cancelled"]').waitFor({ timeout: 60_000 });
  await expect(node('wait').getAttribute('data-status')).resolves.toBe('cancelled');
  const [flow, runId] = ((await panel().locator('.cf-run-pathspec').textContent()) ?? '').split('/');
  const record = JSON.parse(
    fs.readFileSync(path.join(lab.datastore, 'flows', flow, runId, 'run.json'), 'utf8'),
  );
  expect(record.status).toBe('cancelled');
  await screenshot(page, 'flow-06-stopped');

  await panel().locator('button[data-command="cellflow:resume-flow"]').click();
  const dialog = page.locator('.jp-Dialog .cf-resume-form');
  await dialog.locator('select[name="fromStep"]').selectOption('wait');
  await screenshot(page, 'flow-07-resume-dialog');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await panel().locator('.cf-panel-run[data-status="succeeded"]').waitFor({ timeout: 90_000 });
  await expect(panel().locator('.cf-panel-run').textContent()).resolves.toMatch(/^Resume slow\//);
}, 240_000);

test('a run that cannot start shows the CLI message, not an exit code', async () => {
  await open('broken.ipynb');
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await panel().locator('.cf-panel-run[data-status="not started"]').waitFor({ timeout: 60_000 });
  const message = (await panel().locator('.cf-run-error').textContent()) ?? '';
  expect(message).toContain('broken.ipynb');
  expect(message).toContain('nowhere');
  expect(message).not.toMatch(/exited with code/);
  // Its one cell is cell 1, as JupyterLab numbers cells, with no nbformat id.
  expect(message).toContain('broken.ipynb: cell 1,');
  expect(message).not.toMatch(/\bid start\b/);
  await screenshot(page, 'flow-08-cannot-start');
}, 90_000);

test('foreach: the body names its element, the join is partial, on the DAG and the badges', async () => {
  await open('foreach.ipynb');
  await runAll();
  await eventually(async () => {
    expect(await node('train').getAttribute('data-element')).toBe('1/6');
    expect(await node('pick').getAttribute('data-partial')).toBe('1/6');
  }, 30_000);
  const notes = (await panel().locator('.cf-interactive-notes').textContent()) ?? '';
  expect(notes).toContain('train ran element 1 of 6 of the foreach at start only.');
  expect(notes).toContain('pick is partial: it joined 1 of 6 elements; a flow run joins all 6.');
  const badgeInCell = '.cf-cell-badge[data-step="pick"][data-role="step"]';
  const badge = page.locator(`.jp-NotebookPanel:visible ${badgeInCell}`);
  await expect(badge.textContent()).resolves.toBe('step pick · ran · partial 1/6');
  // The kernel says so in the cell's output too.
  const pickOutput = page
    .locator('.jp-NotebookPanel:visible .jp-Cell', { has: page.locator(badgeInCell) })
    .locator('.jp-OutputArea');
  await expect(pickOutput.textContent()).resolves.toContain('its result is partial');
  await screenshot(page, 'flow-09-foreach-partial-light');
}, 150_000);

test('dark theme: the panel, DAG and badges use the theme colors', async () => {
  await switchTheme(page, 'JupyterLab Dark');
  await page.locator('body[data-jp-theme-light="false"]').waitFor({ state: 'attached', timeout: 30_000 });
  await page.waitForTimeout(500);
  // Node text stays light on a dark tint: the fill is darker than the name.
  const contrast = await node('start').evaluate((g) => {
    const lum = (css: string) => {
      const [r, gr, b] = (css.match(/[\d.]+/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * gr + 0.0722 * b;
    };
    const fill = getComputedStyle(g.querySelector('rect')!).fill;
    const text = getComputedStyle(g.querySelector('text')!).fill;
    return { fill: lum(fill), text: lum(text) };
  });
  expect(contrast.text - contrast.fill).toBeGreaterThan(100);
  await screenshot(page, 'flow-10-foreach-partial-dark');
  await switchTheme(page, 'JupyterLab Light');
  await page.locator('body[data-jp-theme-light="true"]').waitFor({ state: 'attached', timeout: 30_000 });
}, 60_000);

test("a notebook without steps shows only its own message, not the previous notebook's DAG", async () => {
  await page.locator('.jp-DirListing-item', { hasText: 'plain.ipynb' }).dblclick();
  await eventually(
    async () => expect(await panel().getAttribute('data-notebook')).toBe('plain.ipynb'),
    30_000,
  );
  await eventually(async () => expect(await panel().locator('svg.cf-dag-svg').count()).toBe(0));
  await expect(panel().locator('.cf-dag-empty').textContent()).resolves.toMatch(/^No steps yet/);
  await screenshot(page, 'flow-11-no-steps');
  expect(pageErrors).toEqual([]);
}, 60_000);
