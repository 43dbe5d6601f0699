// End to end, a team's shared datastore on S3 in a real JupyterLab and Chromium: Alice points the
// extension's "Datastore location" setting at a bucket (versitygw on 127.0.0.1) that already holds
// her earlier run and Bob's, both made by the CLI from other folders with their own HOMEs. A run as
// flow from the panel lands in the bucket, not in the local folder; the run browser lists her runs
// (the kernel's namespace is the current user, as Metaflow's client's is) and not Bob's, and shows
// the run's tasks, an artifact's value and a step's log, all read from S3 through the kernel.
// Screenshots: test-artifacts/e2e/s3-*.png.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchChromium, screenshot } from './browser';
import { Datastore } from '../../src/runtime/datastore';
import { cellflow } from '../helpers/cli';
import { s3ServerForFile } from '../helpers/s3-server';
import { ensureLabextensionBuilt, type LabServer, REPO, startLab } from './lab-server';

const s3 = s3ServerForFile();
const HELLO = path.join(REPO, 'examples', 'hello.ipynb');

let lab: LabServer;
let browser: Browser;
let page: Page;
let bucketUrl: string;
let others: string;
const earlier: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
const pageErrors: string[] = [];

/** `cellflow run hello.ipynb` as `user`, from a folder of its own with its own HOME: another machine. */
async function runElsewhere(user: 'alice' | 'bob'): Promise<string> {
  const dir = path.join(others, user);
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  fs.copyFileSync(HELLO, path.join(dir, 'hello.ipynb'));
  const idFile = path.join(dir, 'run-id');
  const result = await cellflow(['run', 'hello.ipynb', '--datastore', bucketUrl, '--run-id-file', idFile], {
    cwd: dir,
    env: { ...s3.server.env, HOME: path.join(dir, 'home'), CELLFLOW_USER: user, CELLFLOW_HOME: '' },
    timeoutMs: 120_000,
  });
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

beforeAll(async () => {
  ensureLabextensionBuilt();
  bucketUrl = s3.server.url('team');
  others = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-e2e-s3-'));
  earlier.alice = await runElsewhere('alice');
  earlier.bob = await runElsewhere('bob');
  lab = await startLab({
    files: [HELLO],
    kernel: true,
    git: true,
    env: { ...s3.server.env, CELLFLOW_USER: 'alice' },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (others) {
    fs.rmSync(others, { recursive: true, force: true });
  }
});

const panel = () => page.locator('#cellflow-panel');
const runs = () => page.locator('.cf-run-browser');

async function menu(top: string, item: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) })
    .first()
    .click();
}

async function openHello(): Promise<void> {
  await page.goto(`${lab.url}/lab/tree/hello.ipynb?reset&token=${lab.token}`);
  await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 60_000 });
  // On a first page load JupyterLab may ask for a kernel before it has listed the kernelspecs.
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

async function setDatastore(location: string): Promise<void> {
  await menu('Settings', 'Settings Editor');
  await page
    .locator('.jp-PluginList-entry', { hasText: /^cellflow/ })
    .first()
    .click();
  // The Settings Editor's text fields carry their title as a `label` attribute.
  await page.locator('input[label="Datastore location"]').fill(location);
  await page.locator('input[label="Datastore location"]').press('Tab');
  await eventually(async () => {
    const saved = await page.evaluate(async (token) => {
      const response = await fetch(`/lab/api/settings/cellflow:plugin?token=${token}`);
      return ((await response.json()) as { raw: string }).raw;
    }, lab.token);
    expect(saved).toContain(`"datastore": "${location}"`);
  });
  await page.locator('.lm-TabBar-tab', { hasText: 'hello.ipynb' }).click();
}

test('a run as flow from JupyterLab lands in the bucket; the run browser reads it back from S3', async () => {
  await openHello();
  await setDatastore(bucketUrl);
  await panel().locator('button[data-command="cellflow:run-flow"]').click();
  await page.locator('.jp-Dialog .cf-run-flow-form').waitFor();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
  await panel().locator('.cf-panel-run[data-status="succeeded"]').waitFor({ timeout: 150_000 });
  const pathspec = (await panel().locator('.cf-run-pathspec').textContent()) ?? '';
  expect(pathspec).toMatch(/^hello\/\S+$/);

  // In the bucket, as alice's; nothing in the local folder JupyterLab's kernel would use otherwise.
  const store = Datastore.open({ root: bucketUrl });
  const record = store.readRun('hello', pathspec.split('/')[1]);
  expect([record.status, record.user]).toEqual(['succeeded', 'alice']);
  expect(fs.existsSync(path.join(lab.datastore, 'flows', 'hello'))).toBe(false);
  const everyone = await cellflow(['runs', 'hello', '--datastore', bucketUrl], { env: s3.server.env });
  for (const run of [pathspec, earlier.alice, earlier.bob]) {
    expect(everyone.stdout).toContain(run.split('/')[1]);
  }

  // The run browser: alice's two runs, newest first, and not bob's.
  await panel().locator('button[data-command="cellflow:open-runs"]').click();
  const listed = () =>
    runs()
      .locator('tr[data-run]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run')));
  await eventually(async () => expect(await listed()).toEqual([pathspec, earlier.alice]), 30_000);
  expect(
    await runs()
      .locator('tr[data-run] .cf-run-user')
      .evaluateAll((cells) => cells.map((c) => c.textContent)),
  ).toEqual(['alice', 'alice']);

  // The detail, an artifact and a log of the run made on the other machine, from S3.
  await runs().locator(`tr[data-run="${earlier.alice}"]`).click();
  await runs().locator(`.cf-run-detail[data-run="${earlier.alice}"]`).waitFor({ timeout: 30_000 });
  expect(await runs().locator('.cf-run-detail g.cf-dag-node[data-status="succeeded"]').count()).toBe(5);
  await runs().locator('tr[data-step="join"]').first().click();
  await runs().locator('tr[data-artifact="out"] button').click();
  const out = runs().locator('.cf-artifact-preview[data-artifact="out"] .cf-json-tree');
  await eventually(async () => expect(await out.textContent()).toBe('3'));
  await runs().locator('.cf-run-detail g.cf-dag-node[data-step="end"]').click();
  await eventually(async () =>
    expect(await runs().locator('.cf-run-task .cf-log-stdout').textContent()).toContain('done: out = 3'),
  );
  await screenshot(page, 's3-run-browser');
  expect(pageErrors).toEqual([]);
}, 300_000);
