// End to end, in a real JupyterLab with the built extension and the cellflow kernel, driven in Debian's
// Chromium: open hello.ipynb and see its 5-step DAG, reach every command from the palette and the menu,
// run all cells interactively (the join prints 3; re-running a branch leaves the join stale), make a
// new cell a step through the step editor and see the DAG change, follow a lint problem to its cell,
// hide the badges through the Settings Editor, export the flow byte for byte as `cellflow export` does,
// run it as a flow with live task status and find it in the run browser with out = 3, preview an
// artifact holding markup as plain text, and compare two, then three runs (numbers charted, both themes).
// Screenshots of every stage: test-artifacts/e2e/*.png.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchChromium, SCREENSHOTS, screenshot, switchTheme } from './browser';
import { CommandIds } from '../../src/lab/command-ids';
import { cellflow } from '../helpers/cli';
import { PYTHON } from '../helpers/python-peers';
import { churnRequest, post, runFlow, startServer } from '../serve/serve-helpers';
import { ensureLabextensionBuilt, type LabServer, REPO, startLab } from './lab-server';

const XSS = '<img src=x onerror=alert(1)>';

let lab: LabServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const consoleLines: string[] = [];

beforeAll(async () => {
  ensureLabextensionBuilt();
  lab = await startLab({
    files: [path.join(REPO, 'examples', 'hello.ipynb')],
    kernel: true,
    git: true,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  // Any alert() would mean an artifact preview ran markup.
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
}, 120_000);

afterAll(async () => {
  // The browser's console, kept with the screenshots for whoever reads a failure.
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  fs.writeFileSync(path.join(SCREENSHOTS, 'console.log'), consoleLines.join('\n') + '\n');
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

async function waitForIdleKernel(): Promise<void> {
  await page
    .locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 60_000 });
}

test('hello.ipynb: the panel shows its 5-step DAG', async () => {
  await page.goto(`${lab.url}/lab/tree/hello.ipynb?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  await menu('Cellflow', 'Show Flow Panel');
  await panel().locator('svg.cf-dag-svg').waitFor();
  expect(await stepNames()).toEqual(['start', 'a', 'b', 'join', 'end']);
  expect(await panel().locator('.cf-problems-summary').textContent()).toBe('No problems.');
  // Step cells carry a badge with their step's name (drawn once the cell is rendered).
  await eventually(async () => expect(await cellOfStep('join').count()).toBe(1));
  // The notebook's kernelspec `cellflow` started without asking.
  await page
    .locator('.jp-NotebookPanel .jp-Toolbar-kernelName[aria-label="TypeScript (cellflow)"]')
    .waitFor({ state: 'attached', timeout: 30_000 });
  await waitForIdleKernel();
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

test('running all cells in the cellflow kernel gives flow semantics: the join prints 3', async () => {
  await menu('Run', 'Run All Cells');
  await waitForIdleKernel();
  const joinOutput = cellOfStep('join').locator('.jp-OutputArea-output');
  await eventually(
    async () => expect(await joinOutput.allTextContents()).toContainEqual(expect.stringMatching(/^3\s*$/)),
    60_000,
  );
  // The panel and the badges now mark the steps that have interactive results.
  await eventually(async () =>
    expect(
      await dagNodes().evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-interactive'))),
    ).toEqual(Array(5).fill('fresh')),
  );
  await screenshot(page, '02-run-all-cells');
  // Re-running branch a leaves what depends on it stale until it runs again.
  await cellOfStep('a').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Enter');
  await waitForIdleKernel();
  const marks = () =>
    dagNodes().evaluateAll((nodes) =>
      Object.fromEntries(nodes.map((n) => [n.getAttribute('data-step'), n.getAttribute('data-interactive')])),
    );
  await eventually(async () =>
    expect(await marks()).toEqual({ start: 'fresh', a: 'fresh', b: 'fresh', join: 'stale', end: 'stale' }),
  );
  await expect(cellOfStep('join').locator('.cf-cell-badge').textContent()).resolves.toBe('step join · stale');
  await screenshot(page, '02b-stale-after-rerun');
  // A restarted kernel has no interactive results: the marks go.
  await menu('Kernel', 'Restart Kernel…');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await eventually(async () =>
    expect(await marks()).toEqual({ start: null, a: null, b: null, join: null, end: null }),
  );
  await waitForIdleKernel();
  await expect(cellOfStep('join').locator('.cf-cell-badge').textContent()).resolves.toBe('step join');
}, 120_000);

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
  await eventually(async () => expect(await cellOfStep('report').count()).toBe(1));
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
  // The notebook as the extension saved it (a step made in the step editor, its retry tag) is one
  // nbformat itself accepts (DESIGN "Tag grammar": one value per tag).
  const validate = spawnSync(
    PYTHON,
    ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))', 'hello.ipynb'],
    { cwd: lab.root, encoding: 'utf8' },
  );
  expect(validate.stderr).toBe('');
  expect(validate.status).toBe(0);
  await screenshot(page, '04-export');
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.ipynb' }).click();
  // Nothing on the way raised an uncaught error or an alert.
  expect(pageErrors).toEqual([]);
  expect(dialogs).toEqual([]);
}, 60_000);

/** The panel's Run button opens the "Run as Flow…" dialog; accept it as it opens. */
async function runAsFlowWithDefaults(): Promise<void> {
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  await page.locator('.jp-Dialog .cf-run-flow-form').waitFor();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
}

/** Starts recording every state the panel's run line and DAG statuses go through. */
async function recordPanelStates(): Promise<void> {
  await page.evaluate(() => {
    const states: { line: string; nodes: Record<string, string> }[] = [];
    (window as unknown as { cfStates: typeof states }).cfStates = states;
    const root = document.querySelector('#cellflow-panel')!;
    const record = () => {
      const line = root.querySelector<HTMLElement>('.cf-panel-run');
      const nodes: Record<string, string> = {};
      for (const n of root.querySelectorAll('g.cf-dag-node[data-status]')) {
        nodes[n.getAttribute('data-step')!] = n.getAttribute('data-status')!;
      }
      states.push({ line: `${line?.dataset.status} ${line?.textContent}`, nodes });
    };
    new MutationObserver(record).observe(root, { subtree: true, childList: true, attributes: true });
  });
}

test('run as flow: live task status in the panel, then the run in the run browser with out = 3', async () => {
  await recordPanelStates();
  await runAsFlowWithDefaults();
  await panel().locator('.cf-panel-run[data-status="succeeded"]').waitFor({ timeout: 90_000 });
  expect(await dagNodes().evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-status')))).toEqual(
    Array(6).fill('succeeded'),
  );
  const pathspec = (await panel().locator('.cf-run-pathspec').textContent()) ?? '';
  expect(pathspec).toMatch(/^hello\/\S+$/);
  // Live: the run's pathspec and task statuses reached the panel while the run was still going.
  const states = await page.evaluate(
    () => (window as unknown as { cfStates: { line: string; nodes: Record<string, string> }[] }).cfStates,
  );
  const whileRunning = states.filter((s) => s.line.startsWith(`running Run ${pathspec}`));
  expect(whileRunning.length).toBeGreaterThan(0);
  expect(whileRunning.some((s) => s.nodes.start === 'succeeded')).toBe(true);
  await screenshot(page, '05-run-as-flow');

  await panel().locator('button[data-command="cellflow:open-runs"]').click();
  const runs = page.locator('.cf-run-browser');
  await runs.locator(`tr[data-run="${pathspec}"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
  await runs.locator(`.cf-run-detail[data-run="${pathspec}"]`).waitFor();
  expect(await runs.locator('.cf-run-detail g.cf-dag-node[data-status="succeeded"]').count()).toBe(6);
  expect(
    await runs.locator('.cf-run-detail tr[data-task]').evaluateAll((rows) => rows.map((r) => r.dataset.step)),
  ).toEqual(['start', 'a', 'b', 'join', 'end', 'report']);
  // The reproducibility record names the commit the notebook was run from.
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: lab.root, encoding: 'utf8' }).stdout.trim();
  expect(await runs.locator('.cf-run-repro tr[data-fact="git commit"] td').textContent()).toBe(head);
  await expect(runs.locator('.cf-run-repro tr[data-fact="node"] td').textContent()).resolves.toBe(
    process.version,
  );
  await runs.locator('tr[data-step="join"]').first().click();
  await runs.locator('tr[data-artifact="out"] button').click();
  const out = runs.locator('.cf-artifact-preview[data-artifact="out"] .cf-json-tree');
  await eventually(async () => expect(await out.textContent()).toBe('3'));
  await screenshot(page, '06-run-browser');
  // The end step's log, read from the datastore through the kernel.
  await runs.locator('.cf-run-detail g.cf-dag-node[data-step="end"]').click();
  await eventually(async () =>
    expect(await runs.locator('.cf-run-task .cf-log-stdout').textContent()).toContain('done: out = 3'),
  );
  await screenshot(page, '06b-run-browser-logs');
}, 150_000);

test('an artifact holding markup previews as text', async () => {
  const runs = page.locator('.cf-run-browser');
  await runs.locator('.cf-run-detail g.cf-dag-node[data-step="report"]').click();
  await runs.locator('tr[data-artifact="html"] button').click();
  const preview = runs.locator('.cf-artifact-preview[data-artifact="html"]');
  await eventually(async () =>
    expect(await preview.locator('.cf-json-tree').textContent()).toBe(JSON.stringify(XSS)),
  );
  expect(await preview.locator('img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  await screenshot(page, '07-markup-artifact-preview');
  expect(pageErrors).toEqual([]);
}, 60_000);

test('settings: a run as flow goes to the chosen datastore, one task at a time', async () => {
  const previous = (await panel().locator('.cf-run-pathspec').textContent()) ?? '';
  await menu('Settings', 'Settings Editor');
  await page
    .locator('.jp-PluginList-entry', { hasText: /^cellflow/ })
    .first()
    .click();
  // The Settings Editor's text fields carry their title as a `label` attribute.
  await page.locator('input[label="Datastore location"]').fill('lab-runs');
  await page.locator('input[label="Default max workers"]').fill('1');
  await page.locator('input[label="Default max workers"]').press('Tab');
  await eventually(async () => {
    const saved = await page.evaluate(async (token) => {
      const response = await fetch(`/lab/api/settings/cellflow:plugin?token=${token}`);
      return ((await response.json()) as { raw: string }).raw;
    }, lab.token);
    expect(saved).toMatch(/"datastore":\s*"lab-runs"/);
    expect(saved).toMatch(/"maxWorkers":\s*1\b/);
  });
  await screenshot(page, '08a-settings-datastore');
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.ipynb' }).click();

  await runAsFlowWithDefaults();
  const line = panel().locator('.cf-panel-run[data-status="succeeded"] .cf-run-pathspec');
  await eventually(async () => expect(await line.textContent()).not.toBe(previous), 90_000);
  const runId = ((await line.textContent()) ?? '').split('/')[1];
  const run = path.join(lab.root, 'lab-runs', 'flows', 'hello', runId);
  expect(JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')).status).toBe('succeeded');
  expect(fs.existsSync(path.join(lab.datastore, 'flows', 'hello', runId))).toBe(false);
  // With one worker, the branches a and b ran one after the other.
  const span = (step: string) => {
    const [taskId] = fs.readdirSync(path.join(run, step));
    const task = JSON.parse(fs.readFileSync(path.join(run, step, taskId, 'task.json'), 'utf8'));
    return [Date.parse(task.startedAt), Date.parse(task.finishedAt)];
  };
  const [a, b] = [span('a'), span('b')];
  expect(a[1] <= b[0] || b[1] <= a[0]).toBe(true);
  // The run browser reads the same datastore: this run is the only one there.
  const runs = page.locator('.cf-run-browser');
  await eventually(async () =>
    expect(
      await runs.locator('tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run'))),
    ).toEqual([`hello/${runId}`]),
  );
  await screenshot(page, '08-run-in-chosen-datastore');
  expect(pageErrors).toEqual([]);
}, 150_000);

test('a failing step: the run fails in the panel and the run browser names its cell and line, as text', async () => {
  await cellOfStep('report').locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type("throw new Error('boom <b>x</b>');");
  await page.keyboard.press('Escape');
  await runAsFlowWithDefaults();
  await panel().locator('.cf-panel-run[data-status="failed"]').waitFor({ timeout: 90_000 });
  await panel().locator('g.cf-dag-node[data-step="report"][data-status="failed"]').waitFor();
  const pathspec = (await panel().locator('.cf-run-pathspec').textContent()) ?? '';

  const runs = page.locator('.cf-run-browser');
  await runs
    .locator(`.cf-run-detail[data-run="${pathspec}"][data-status="failed"]`)
    .waitFor({ timeout: 30_000 });
  await runs.locator('.cf-run-detail g.cf-dag-node[data-step="report"]').click();
  const error = runs.locator('.cf-run-task .cf-task-error');
  // 1-based, as JupyterLab numbers cells, and no raw cell id.
  await expect(error.textContent()).resolves.toMatch(/^cell 9, line 1: .*boom <b>x<\/b>/);
  // The panel links the failure to its cell, and offers Resume.
  const link = panel().locator('.cf-run-failure-link');
  await expect(link.textContent()).resolves.toBe('step report, cell 9, line 1');
  await panel().locator('button[data-command="cellflow:resume-flow"]').waitFor();
  expect(await runs.locator('.cf-run-task b').count()).toBe(0);
  await screenshot(page, '09-failed-step');
  expect(pageErrors).toEqual([]);
  expect(dialogs).toEqual([]);
}, 150_000);

test('run comparison: two ticked runs side by side, then three, numbers charted, in both themes', async () => {
  // The chosen datastore now holds the succeeded run of the settings test and the failed one; a third
  // run of hello as the example has it (no report step) but with start setting x = 10 (so out = 13)
  // comes from the CLI meanwhile.
  const variant = path.join(lab.root, '..', 'variant');
  fs.mkdirSync(variant, { recursive: true });
  const notebook = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'hello.ipynb'), 'utf8'));
  const startCell = notebook.cells.find((c: { id: string }) => c.id === 'start');
  startCell.source = ['self.x = 10;'];
  fs.writeFileSync(path.join(variant, 'hello.ipynb'), JSON.stringify(notebook));
  const variantFile = path.join(variant, 'run-id');
  const variantRun = cellflow(
    [
      '--datastore',
      path.join(lab.root, 'lab-runs'),
      'run',
      'hello.ipynb',
      '-q',
      '--tag',
      'x10',
      '--run-id-file',
      variantFile,
    ],
    { cwd: variant, timeoutMs: 90_000 },
  );

  const runs = page.locator('.cf-run-browser');
  const ok = (await runs.locator('tr[data-run][data-status="succeeded"]').getAttribute('data-run')) ?? '';
  const failed = (await runs.locator('tr[data-run][data-status="failed"]').getAttribute('data-run')) ?? '';
  await runs.locator(`input[data-compare="${ok}"]`).check();
  await runs.locator(`input[data-compare="${failed}"]`).check();
  await runs.locator('button[data-action="compare"]').click();
  const compare = runs.locator(`.cf-run-compare[data-runs="${ok} ${failed}"]`);
  await compare.waitFor({ timeout: 30_000 });
  const status = compare.locator('[data-section="run"] tr[data-row="status"]');
  expect(await status.getAttribute('data-same')).toBe('false');
  expect(await status.locator('td').allTextContents()).toEqual(['succeeded', 'failed']);
  expect(await compare.locator('tr[data-artifact="join.out"]').getAttribute('data-verdict')).toBe('equal');
  expect(await compare.locator('tr[data-artifact="report.html"]').getAttribute('data-verdict')).toBe(
    'missing',
  );
  expect(
    await compare.locator('[data-section="steps"] tr[data-row="report"]').getAttribute('data-same'),
  ).toBe('false');
  await screenshot(page, '09b-run-comparison');

  // Three runs, the newest ticked first: columns oldest first, a row marked where not all agree.
  const done = await variantRun;
  expect(done.code).toBe(0);
  const third = fs.readFileSync(variantFile, 'utf8').trim();
  await runs.locator('button[data-action="refresh"]').click();
  await runs.locator(`input[data-compare="${third}"]`).check();
  await expect(runs.locator('button[data-action="compare"]').textContent()).resolves.toBe('Compare 3');
  await runs.locator('button[data-action="compare"]').click();
  const three = runs.locator(`.cf-run-compare[data-runs="${ok} ${failed} ${third}"]`);
  await three.waitFor({ timeout: 30_000 });
  expect(
    await three
      .locator('[data-section="run"] thead th.cf-compare-run')
      .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-run'))),
  ).toEqual([ok, failed, third]);
  const statuses = three.locator('[data-section="run"] tr[data-row="status"]');
  expect(await statuses.locator('td').allTextContents()).toEqual(['succeeded', 'failed', 'succeeded']);
  expect(await three.locator('[data-section="run"] tr[data-row="tags"]').getAttribute('data-same')).toBe(
    'false',
  );
  const out = three.locator('tr[data-artifact="join.out"]');
  expect(await out.getAttribute('data-verdict')).toBe('different');
  expect(await out.getAttribute('class')).toContain('cf-differs');
  expect(await three.locator('tr[data-artifact="a.x"]').getAttribute('data-verdict')).toBe('different');
  expect(await three.locator('tr[data-artifact="report.html"] .cf-verdict').textContent()).toBe('in 1 of 3');
  // The numbers: out is 3, 3 and 13, in the table and as a chart with a mark per run.
  const numbers = three.locator('.cf-compare-numbers[data-state="ready"]');
  await numbers.waitFor({ timeout: 30_000 });
  const outRow = numbers.locator('[data-section="numbers"] tr[data-row="join.out"]');
  expect(await outRow.locator('td').allTextContents()).toEqual(['3', '3', '13']);
  expect(await outRow.getAttribute('data-same')).toBe('false');
  // The report step's copy of out is join's value again: one row, not two.
  expect(await numbers.locator('tr[data-row="report.out"]').count()).toBe(0);
  const chart = numbers.locator('figure[data-series="join.out"] svg.cf-compare-chart');
  expect(
    await chart
      .locator('circle.cf-chart-mark')
      .evaluateAll((marks) => marks.map((m) => m.getAttribute('data-run'))),
  ).toEqual([ok, failed, third]);
  // The highest value sits highest: 13 above the two 3s.
  const heights = await chart
    .locator('circle.cf-chart-mark')
    .evaluateAll((marks) => marks.map((m) => Number(m.getAttribute('cy'))));
  expect(heights[2]).toBeLessThan(heights[0]);
  expect(heights[0]).toBe(heights[1]);
  await three.locator('h2').scrollIntoViewIfNeeded();
  await screenshot(page, '09d-run-comparison-three-light');
  await numbers.scrollIntoViewIfNeeded();
  await screenshot(page, '09e-run-comparison-numbers-light');

  // Dark theme: the chart's line and marks take the theme's brand colour, the labels its text colour.
  await switchTheme(page, 'JupyterLab Dark');
  await page.locator('body[data-jp-theme-light="false"]').waitFor({ state: 'attached', timeout: 30_000 });
  await page.waitForTimeout(500);
  const colours = await chart.evaluate((svg) => {
    const style = (selector: string) => getComputedStyle(svg.querySelector(selector)!);
    const root = getComputedStyle(document.body);
    return {
      mark: style('circle.cf-chart-mark').fill,
      line: style('line.cf-chart-line').stroke,
      label: style('text.cf-chart-label').fill,
      brand: root.getPropertyValue('--jp-brand-color1').trim(),
    };
  });
  expect(colours.mark).toBe(colours.line);
  expect(colours.mark).not.toBe('rgb(0, 0, 0)');
  expect(colours.label).not.toBe('rgb(0, 0, 0)');
  expect(colours.brand).not.toBe('');
  await numbers.scrollIntoViewIfNeeded();
  await screenshot(page, '09f-run-comparison-numbers-dark');
  await three.locator('h2').scrollIntoViewIfNeeded();
  await screenshot(page, '09g-run-comparison-three-dark');
  await switchTheme(page, 'JupyterLab Light');
  await page.locator('body[data-jp-theme-light="true"]').waitFor({ state: 'attached', timeout: 30_000 });

  // "Open in notebook" on the succeeded run's `out`: a skip cell loading it with the Client API.
  await runs.locator(`tr[data-run="${ok}"]`).click();
  await runs.locator(`.cf-run-detail[data-run="${ok}"] g.cf-dag-node[data-step="join"]`).click();
  await runs.locator('tr[data-artifact="out"] button').click();
  await runs
    .locator('.cf-artifact-preview button[data-action="open-in-notebook"][data-artifact="out"]')
    .click();
  const cell = page.locator('.jp-NotebookPanel .jp-Cell', { hasText: 'Task.get(' });
  await cell.waitFor({ timeout: 15_000 });
  await expect(cell.locator('.jp-InputArea-editor').textContent()).resolves.toContain(`.data("out");`);
  await cell.locator('.jp-InputPrompt').click();
  await page.keyboard.press('Control+Enter');
  await eventually(
    async () => expect(await cell.locator('.jp-OutputArea-output').textContent()).toBe('3'),
    30_000,
  );
  await screenshot(page, '09c-artifact-in-notebook');
  expect(pageErrors).toEqual([]);
}, 180_000);

test('a served run: the run browser lists its logged predictions and charts the drift cellflow monitor reports', async () => {
  // churn (it has a `predict` endpoint) beside hello, run and served from the datastore the
  // settings test chose (lab-runs/), which is the one the run browser reads.
  fs.copyFileSync(path.join(REPO, 'examples', 'churn.ipynb'), path.join(lab.root, 'churn.ipynb'));
  fs.mkdirSync(path.join(lab.root, 'data'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'examples', 'data', 'churn.csv'), path.join(lab.root, 'data', 'churn.csv'));
  const home = path.join(lab.root, 'lab-runs');
  const churnRun = await runFlow(path.join(lab.root, 'churn.ipynb'), home);
  const served = await startServer([churnRun], { CELLFLOW_HOME: home });
  try {
    for (let i = 0; i < 12; i++) {
      const answer = await post(`${served.url}/predict`, JSON.stringify(churnRequest(i)));
      expect(answer.status).toBe(200);
    }
  } finally {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  }
  const monitor = await cellflow(['monitor', 'churn/predict', '--json'], { env: { CELLFLOW_HOME: home } });
  expect(monitor.code).toBe(0);
  const drift = JSON.parse(monitor.stdout) as { features: { feature: string; psi: number; ks: number }[] }[];
  const expected = drift.flatMap((d) =>
    d.features.map((f) => `${f.feature} PSI ${f.psi.toFixed(3)} · KS ${f.ks.toFixed(3)}`),
  );
  expect(expected.length).toBeGreaterThan(0);

  // A page of its own for churn.ipynb (the first page holds unsaved edits: see below).
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${lab.url}/lab/tree/churn.ipynb?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  await page
    .locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 60_000 });
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Cellflow$/ }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Show Runs$/ })
    .first()
    .click();
  const runs = page.locator('.cf-run-browser');
  // The list is read when the browser opens; the kernel may still be starting then.
  await eventually(async () => {
    await runs.locator('button[data-action="refresh"]').click();
    await runs.locator(`tr[data-run="${churnRun}"]`).click({ timeout: 5_000 });
  }, 60_000);
  const shown = runs.locator(`.cf-run-detail[data-run="${churnRun}"] .cf-predictions[data-total="12"]`);
  await shown.waitFor({ timeout: 30_000 });
  await eventually(async () =>
    expect(await shown.locator('.cf-predictions-table tbody tr').count()).toBe(12),
  );
  const bars = await shown
    .locator('.cf-drift-chart g[data-feature]')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('text')].map((t) => t.textContent).join(' ')),
    );
  expect(bars).toEqual(expected);
  await screenshot(page, '10-predictions');
  expect(errors).toEqual([]);
  await page.close();
}, 180_000);

test('a notebook with old comma tags: opening it offers "Fix tags", which saves tags nbformat accepts', async () => {
  fs.copyFileSync(
    path.join(REPO, 'test', 'fixtures', 'lint', 'comma-tag.ipynb'),
    path.join(lab.root, 'commas.ipynb'),
  );
  // A page of its own: the first page holds unsaved edits, and its "leave the page?" question
  // (dismissed here, as every dialog is) would cancel a navigation.
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${lab.url}/lab/tree/commas.ipynb?reset&token=${lab.token}`);
  const fix = page.getByRole('button', { name: 'Fix tags' });
  await fix.waitFor({ timeout: 60_000 });
  await screenshot(page, '10-fix-tags-offer');
  await fix.click();
  const tagsOnDisk = () =>
    (
      JSON.parse(fs.readFileSync(path.join(lab.root, 'commas.ipynb'), 'utf8')) as {
        cells: { metadata: { tags?: string[] } }[];
      }
    ).cells.map((cell) => cell.metadata.tags ?? []);
  await eventually(async () => expect(tagsOnDisk()[0]).toEqual(['step:start', 'next:a', 'next:b']));
  // Only the comma tag changed; the other cells keep theirs.
  expect(tagsOnDisk().slice(1)).toEqual([['step:a', 'next:join'], ['step:b'], ['step:join'], ['step:end']]);
  const validate = spawnSync(
    PYTHON,
    [
      '-c',
      'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))',
      'commas.ipynb',
    ],
    { cwd: lab.root, encoding: 'utf8' },
  );
  expect(validate.stderr).toBe('');
  expect(validate.status).toBe(0);
  // The DAG is the one the comma tag meant: start branches to a and b.
  const steps = () =>
    page
      .locator('#cellflow-panel g.cf-dag-node[data-step]')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step') ?? ''));
  await eventually(async () => expect(await steps()).toEqual(['start', 'a', 'b', 'join', 'end']));
  expect(errors).toEqual([]);
  await page.close();
}, 90_000);
