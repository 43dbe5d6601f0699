// End to end, per-task outputs in a real JupyterLab and Chromium: a notebook whose steps print and
// display (tslab's display.html and display.png) runs as a flow from the panel; the run browser shows
// each task's outputs through JupyterLab's own renderers, in both themes; "Open as executed notebook"
// writes the run as a notebook beside it, which opens with every step's outputs and which nbformat
// validates. Two runs compared show the foreach body's numbers element by element.
// Screenshots: test-artifacts/e2e/outputs-*.png.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchChromium, screenshot, switchTheme } from './browser';
import { cellflow } from '../helpers/cli';
import { notebookJson } from '../helpers/notebook';
import { PYTHON } from '../helpers/python-peers';
import { ensureLabextensionBuilt, type LabServer, REPO, startLab } from './lab-server';

let lab: LabServer;
let browser: Browser;
let page: Page;
let project: string;
const pageErrors: string[] = [];

/** A solid 48×24 PNG, big enough to see in a screenshot. */
function solidPng(rgb: [number, number, number]): string {
  const [width, height] = [48, 24];
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

beforeAll(async () => {
  ensureLabextensionBuilt();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-e2e-outputs-'));
  fs.writeFileSync(
    path.join(project, 'shows.ipynb'),
    notebookJson([
      { markdown: true, source: '# What the steps show' },
      { tags: ['parameters'], source: 'const scale = 1;' },
      {
        tags: ['step:start', 'next:body', 'foreach:colors'],
        source: [
          "import { display } from 'tslab';",
          "console.log('hello from start');",
          'display.html(\'<b class="shown">bold from start</b>\');',
          "self.colors = ['orange', 'teal'];",
        ].join('\n'),
      },
      {
        tags: ['step:body', 'next:join'],
        source: [
          `const pngs: Record<string, string> = { orange: '${solidPng([230, 120, 20])}', teal: '${solidPng([0, 128, 128])}' };`,
          'console.log(`a ${self.input} square`);',
          "display.png(Buffer.from(pngs[self.input], 'base64'));",
          'self.area = self.scale * self.input.length;',
        ].join('\n'),
      },
      { tags: ['step:join', 'next:end'], source: 'self.n = inputs.length;' },
      { tags: ['step:end'], source: 'console.log(`done: ${self.n} squares`);' },
    ]),
  );
  // The user's project has tslab, as a notebook run in the tslab kernel does.
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(path.join(REPO, 'node_modules', 'tslab'), path.join(project, 'node_modules', 'tslab'));
  lab = await startLab({
    files: [path.join(project, 'shows.ipynb'), path.join(project, 'node_modules')],
    kernel: true,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  fs.rmSync(project, { recursive: true, force: true });
});

const panel = () => page.locator('#cellflow-panel');
const runs = () => page.locator('.cf-run-browser');
const outputs = () => runs().locator('.cf-run-task .cf-task-outputs');

async function menu(top: string, item: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) })
    .first()
    .click();
}

async function openShows(): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/shows.ipynb?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  const ask = page.locator('.jp-Dialog', { hasText: 'Select Kernel' });
  await page.waitForTimeout(1500);
  if (await ask.count()) {
    await ask.locator('select').selectOption({ label: 'TypeScript (cellflow)' });
    await ask.locator('.jp-mod-accept').click();
  }
  await page
    .locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 60_000 });
  await menu('Cellflow', 'Show Flow Panel');
  await panel().locator('g.cf-dag-node[data-step="end"]').waitFor({ timeout: 30_000 });
}

test('the run browser shows what each task printed and displayed; the run opens as an executed notebook', async () => {
  await openShows();
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  await page.locator('.jp-Dialog .cf-run-flow-form').waitFor();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
  await panel().locator('.cf-panel-run[data-status="succeeded"]').waitFor({ timeout: 150_000 });
  const pathspec = (await panel().locator('.cf-run-pathspec').textContent()) ?? '';
  expect(pathspec).toMatch(/^shows\/\S+$/);

  await panel().locator('button[data-command="cellflow:open-runs"]').click();
  await runs().locator(`.cf-run-detail[data-run="${pathspec}"]`).waitFor({ timeout: 30_000 });

  // start: its printed line and its HTML, in order, rendered by JupyterLab (sanitized, not escaped).
  await runs().locator('.cf-run-detail g.cf-dag-node[data-step="start"]').click();
  await eventually(async () =>
    expect(
      await outputs()
        .locator('.cf-output')
        .evaluateAll((items) =>
          items.map((item) => [(item as HTMLElement).dataset.mime, item.textContent?.trim()]),
        ),
    ).toEqual([
      ['application/vnd.jupyter.stdout', 'hello from start'],
      ['text/html', 'bold from start'],
    ]),
  );
  expect(await outputs().locator('.cf-output[data-mime="text/html"] b.shown').count()).toBe(1);

  // Each foreach task its own image.
  for (const [element, color] of [
    ['1 of 2', 'orange'],
    ['2 of 2', 'teal'],
  ]) {
    await runs().locator(`tr[data-step="body"][data-element="${element}"]`).click();
    await eventually(async () =>
      expect(await outputs().locator('[data-mime="application/vnd.jupyter.stdout"]').textContent()).toContain(
        `a ${color} square`,
      ),
    );
    const image = outputs().locator('.cf-output[data-mime="image/png"] img');
    await eventually(async () =>
      expect(await image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(48),
    );
  }
  await outputs().scrollIntoViewIfNeeded();
  await screenshot(page, 'outputs-run-browser-light');
  await switchTheme(page, 'JupyterLab Dark');
  await eventually(async () =>
    expect(await page.evaluate(() => document.body.dataset.jpThemeLight)).toBe('false'),
  );
  await runs().locator('tr[data-step="start"]').click();
  await outputs().locator('.cf-output[data-mime="text/html"]').waitFor();
  await outputs().scrollIntoViewIfNeeded();
  await screenshot(page, 'outputs-run-browser-dark');
  await switchTheme(page, 'JupyterLab Light');

  // The run as an executed notebook: written beside the notebook and opened with its outputs.
  await runs().locator('button[data-action="open-executed-notebook"]').click();
  const name = `shows-${pathspec.split('/')[1]}.ipynb`;
  const tab = page.locator('.lm-TabBar-tab', { hasText: name });
  await tab.waitFor({ timeout: 30_000 });
  // The notebook itself was never run cell by cell: only the executed one has outputs.
  const executed = page.locator('.jp-NotebookPanel', { has: page.locator('.jp-OutputArea-output') });
  await eventually(async () => {
    const text = (await executed.locator('.jp-OutputArea-output').allTextContents()).join('\n');
    expect(text).toContain('hello from start');
    expect(text).toContain('bold from start');
    expect(text).toContain('done: 2 squares');
  }, 30_000);
  expect(await executed.locator('.jp-OutputArea-output img').count()).toBe(2);
  await screenshot(page, 'outputs-executed-notebook');

  const file = path.join(lab.root, name);
  const verdict = execFileSync(
    PYTHON,
    [
      '-c',
      'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")',
      file,
    ],
    { encoding: 'utf8' },
  );
  expect(verdict.trim()).toBe('valid');
  const metadata = JSON.parse(fs.readFileSync(file, 'utf8')).metadata.cellflow;
  expect([metadata.flow, metadata.execution.run]).toEqual(['shows', pathspec]);
  // Its flow panel is the run's flow's, under the executed notebook's own file name.
  await eventually(async () =>
    expect(await panel().locator('.cf-panel-title .cf-flow-name').textContent()).toBe('shows'),
  );

  // A second run with another scale, compared with the first: the foreach body's numbers element by
  // element, in the numbers table and as charts.
  const idFile = path.join(lab.root, 'second-run');
  const second = await cellflow(['run', 'shows.ipynb', '-q', '--param', 'scale=2', '--run-id-file', idFile], {
    cwd: lab.root,
    env: { CELLFLOW_HOME: lab.datastore },
    timeoutMs: 120_000,
  });
  expect(second.code).toBe(0);
  const secondRun = fs.readFileSync(idFile, 'utf8').trim();
  await page.locator('.lm-TabBar-tab', { hasText: 'Runs: shows' }).click();
  await runs().locator('button[data-action="refresh"]').click();
  await runs().locator(`input[data-compare="${pathspec}"]`).check();
  await runs().locator(`input[data-compare="${secondRun}"]`).check();
  await runs().locator('button[data-action="compare"]').click();
  const numbers = runs().locator(
    `.cf-run-compare[data-runs="${pathspec} ${secondRun}"] .cf-compare-numbers[data-state="ready"]`,
  );
  await numbers.waitFor({ timeout: 30_000 });
  const cells = (row: string) =>
    numbers.locator(`[data-section="numbers"] tr[data-row="${row}"] td`).allTextContents();
  expect(await cells('body[1].area')).toEqual(['6', '12']); // orange
  expect(await cells('body[2].area')).toEqual(['4', '8']); // teal
  expect(await numbers.locator('figure[data-series="body[1].area"] circle.cf-chart-mark').count()).toBe(2);
  await numbers.scrollIntoViewIfNeeded();
  await screenshot(page, 'outputs-compare-foreach-numbers');
  expect(pageErrors).toEqual([]);
}, 300_000);
