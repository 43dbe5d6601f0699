// `cellflow card`: a static HTML report of a real run, checked by parsing it with jsdom.
import * as fs from 'fs';
import { JSDOM } from 'jsdom';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

let work: string;
const env = () => ({ CELLFLOW_HOME: path.join(work, 'store') });

beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeTempDir(work));

async function runFlow(notebook: string, expectedCode = 0): Promise<string> {
  const idFile = path.join(work, `id-${path.basename(notebook)}`);
  const result = await cellflow(['run', notebook, '--run-id-file', idFile], { env: env() });
  expect(result.code).toBe(expectedCode);
  return fs.readFileSync(idFile, 'utf8').trim();
}

async function card(pathspec: string): Promise<Document> {
  const out = path.join(work, `${pathspec.replace(/\//g, '_')}.html`);
  const result = await cellflow(['card', pathspec, '--out', out], { env: env() });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe(out);
  return new JSDOM(fs.readFileSync(out, 'utf8')).window.document;
}

test("a run's card shows its status, every step by status, and artifact values", async () => {
  const pathspec = await runFlow(path.join(REPO, 'examples', 'hello.ipynb'));
  const doc = await card(pathspec);
  expect(doc.title).toBe(`cellflow ${pathspec}`);
  const steps = [...doc.querySelectorAll('[data-step]')].map((el) => [
    el.textContent,
    el.getAttribute('data-status'),
  ]);
  expect(steps).toEqual([
    ['start', 'succeeded'],
    ['a', 'succeeded'],
    ['b', 'succeeded'],
    ['join', 'succeeded'],
    ['end', 'succeeded'],
  ]);
  const joinTask = [...doc.querySelectorAll('section.cf-task')].find((el) =>
    el.getAttribute('data-task')!.includes('/join/'),
  )!;
  const outRow = [...joinTask.querySelectorAll('tr')].find((tr) => tr.cells[0]?.textContent === 'out')!;
  expect(outRow.cells[1].textContent).toBe('json');
  expect(outRow.cells[4].textContent!.trim()).toBe('3');
  // The page can never run anything: no scripts, and a CSP that forbids them.
  expect(doc.querySelectorAll('script')).toHaveLength(0);
  expect(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content')).toContain(
    "default-src 'none'",
  );
});

test('HTML in artifact values and error messages shows as text', async () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const nb = writeNotebook(work, 'hostile.ipynb', [
    {
      tags: ['step:start'],
      source: `self.html = ${JSON.stringify(hostile)};\nself.rows = [{ label: ${JSON.stringify(hostile)} }];`,
    },
    { tags: ['step:end'], source: '' },
  ]);
  const pathspec = await runFlow(nb);
  const doc = await card(pathspec);
  expect(doc.querySelectorAll('img')).toHaveLength(0);
  expect(doc.body.textContent).toContain(JSON.stringify(hostile));
  expect(doc.body.textContent).toContain(`"label": ${JSON.stringify(hostile)}`);

  const failing = writeNotebook(work, 'hostile-error.ipynb', [
    { tags: ['step:start'], source: `throw new Error(${JSON.stringify(hostile)});` },
    { tags: ['step:end'], source: '' },
  ]);
  const failedDoc = await card(await runFlow(failing, 1));
  expect(failedDoc.querySelectorAll('img')).toHaveLength(0);
  expect(failedDoc.querySelector('[data-step="start"]')!.getAttribute('data-status')).toBe('failed');
  expect(failedDoc.body.textContent).toContain(`${hostile} (cell 0, line 1)`);
});

test("one task's card, and bad pathspecs exit 2 with a message", async () => {
  const pathspec = await runFlow(path.join(REPO, 'examples', 'hello.ipynb'));
  const [flow, runId] = pathspec.split('/');
  const taskDir = path.join(work, 'store', 'flows', flow, runId, 'start');
  const [taskId] = fs.readdirSync(taskDir);
  const doc = await card(`${pathspec}/start/${taskId}`);
  expect(doc.querySelectorAll('section.cf-task')).toHaveLength(1);

  const step = await cellflow(['card', `${pathspec}/start`], { env: env() });
  expect(step.code).toBe(2);
  expect(step.stderr).toMatch(/card needs a run or a task/);
  const missing = await cellflow(['card', `${flow}/1700000000000-000000000000`], { env: env() });
  expect(missing.code).toBe(2);
  expect(missing.stderr).not.toMatch(/\n\s+at /);
});
