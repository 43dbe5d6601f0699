// Per-task outputs and `cellflow notebook RUN`: what a step prints and displays with tslab's
// `display` during a real flow run is kept per task as notebook outputs (in a worker thread and in a
// process of its own), and the run becomes an executed notebook that nbformat validates.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Task } from '../../src/client/task';
import { Datastore } from '../../src/runtime';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { PYTHON } from '../helpers/python-peers';

let work: string;
let notebook: string;
const store = () => path.join(work, 'store');
const env = () => ({ CELLFLOW_HOME: store() });

beforeAll(() => {
  work = tempDir('cellflow-outputs-');
  // The user's project has tslab, as a project run in the tslab kernel does.
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(path.join(REPO, 'node_modules', 'tslab'), path.join(work, 'node_modules', 'tslab'));
  notebook = writeNotebook(work, 'shows.ipynb', [
    { markdown: true, source: '# What the steps show' },
    {
      tags: ['step:start', 'next:body', 'foreach:xs'],
      source: [
        "import { display, newDisplay } from 'tslab';",
        "console.log('hello from start');",
        "display.html('<b>bold</b>');",
        "console.error('a warning');",
        'const progress = newDisplay();',
        "progress.text('0 %');",
        "progress.text('100 %');",
        'self.xs = [1, 2];',
      ].join('\n'),
    },
    {
      tags: ['step:body', 'next:join'],
      source: [
        'console.log(`element ${current.foreachStack[0].input}`);',
        'display.png(new Uint8Array([137, 80, 78, 71]));',
      ].join('\n'),
    },
    { tags: ['step:join', 'next:end'], source: 'self.n = inputs.length;' },
    { source: '// a helper cell: no step, no outputs' },
    { tags: ['step:end'], source: "console.log('ending');\nthrow new Error('boom at end');" },
  ]);
});
afterAll(() => removeTempDir(work));

async function runShows(args: string[] = []): Promise<string> {
  const idFile = path.join(work, `id-${args.join('-') || 'default'}`);
  const result = await cellflow(['run', notebook, '--run-id-file', idFile, ...args], {
    env: env(),
    cwd: work,
  });
  expect(result.code).toBe(1); // end fails on purpose
  return fs.readFileSync(idFile, 'utf8').trim();
}

const outputsOf = (pathspec: string) => Task.get(pathspec, Datastore.open({ root: store() })).outputs();

function nbformatError(file: string): string | null {
  const script = [
    'import sys, nbformat',
    'try:',
    '    nbformat.validate(nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)); print("valid")',
    'except Exception as e:',
    '    print(type(e).__name__ + ": " + str(e).splitlines()[0])',
  ].join('\n');
  const verdict = execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }).trim();
  return verdict === 'valid' ? null : verdict;
}

let threadRun: string;

test('a task keeps what it printed and displayed, in order, and a failed one its error', async () => {
  threadRun = await runShows();
  expect(await outputsOf(`${threadRun}/start/1`)).toEqual([
    { output_type: 'stream', name: 'stdout', text: 'hello from start\n' },
    { output_type: 'display_data', data: { 'text/html': '<b>bold</b>' }, metadata: {} },
    { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
    // A display made with newDisplay() and updated keeps its last state, as the notebook shows it.
    { output_type: 'display_data', data: { 'text/plain': '100 %' }, metadata: {} },
  ]);
  const png = Buffer.from([137, 80, 78, 71]).toString('base64');
  for (const [task, element] of [
    ['body/2', 1],
    ['body/3', 2],
  ] as const) {
    expect(await outputsOf(`${threadRun}/${task}`)).toEqual([
      { output_type: 'stream', name: 'stdout', text: `element ${element}\n` },
      { output_type: 'display_data', data: { 'image/png': png }, metadata: {} },
    ]);
  }
  // A step that shows nothing stores nothing.
  const join = Task.get(`${threadRun}/join/4`, Datastore.open({ root: store() }));
  expect(join.record.outputs).toBeUndefined();
  expect(await join.outputs()).toEqual([]);

  const [printed, error] = await outputsOf(`${threadRun}/end/5`);
  expect(printed).toEqual({ output_type: 'stream', name: 'stdout', text: 'ending\n' });
  expect(error).toMatchObject({ output_type: 'error', ename: 'Error', evalue: 'boom at end' });
  const traceback = (error as { traceback: string[] }).traceback;
  expect(traceback[0]).toBe('Error: boom at end');
  // The user's frame stays; cellflow's runtime and Node's internals do not.
  expect(traceback.some((line) => line.includes('shows.flow.ts'))).toBe(true);
  expect(traceback.filter((line) => /task-runner|step-timeout|node:internal/.test(line))).toEqual([]);
}, 120_000);

test('a task in a process of its own keeps the same outputs', async () => {
  const run = await runShows(['--isolation', 'process']);
  expect(await outputsOf(`${run}/start/1`)).toEqual(await outputsOf(`${threadRun}/start/1`));
  expect(await outputsOf(`${run}/body/3`)).toEqual(await outputsOf(`${threadRun}/body/3`));
}, 120_000);

test('cellflow notebook writes the run as an executed notebook that nbformat validates', async () => {
  const out = path.join(work, 'executed.ipynb');
  const result = await cellflow(['notebook', threadRun, '-o', out], { env: env(), cwd: work });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe(out);
  expect(nbformatError(out)).toBeNull();

  const executed = JSON.parse(fs.readFileSync(out, 'utf8'));
  const source = JSON.parse(fs.readFileSync(notebook, 'utf8'));
  // The same cells with the same sources; only outputs, counts and metadata are filled in.
  expect(executed.cells.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual(
    source.cells.map((c: { id: string; source: string }) => [c.id, c.source]),
  );
  const code = executed.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
  expect(code.map((c: { execution_count: number | null }) => c.execution_count)).toEqual([1, 2, 3, null, 4]);
  expect(
    code.map((c: { outputs: { output_type: string }[] }) => c.outputs.map((o) => o.output_type)),
  ).toEqual([
    ['stream', 'display_data', 'stream', 'display_data'],
    ['stream', 'display_data', 'stream', 'display_data'],
    [],
    [],
    ['stream', 'error'],
  ]);
  // A foreach body's tasks one after the other, each under a line naming it.
  expect(code[1].outputs[0].text).toBe(`── ${threadRun}/body/2 · element 1 of 2 ──\nelement 1\n`);
  expect(code[1].outputs[2].text).toBe(`── ${threadRun}/body/3 · element 2 of 2 ──\nelement 2\n`);
  expect(code[4].metadata.cellflow.execution).toEqual({
    step: 'end',
    status: 'failed',
    tasks: [{ pathspec: `${threadRun}/end/5`, status: 'failed' }],
  });
  expect(executed.metadata.cellflow.execution).toMatchObject({
    run: threadRun,
    status: 'failed',
    parameters: {},
  });
  expect(executed.metadata.kernelspec).toEqual(source.metadata.kernelspec);

  // The default name sits beside its runs; the run's own notebook is never overwritten.
  const named = await cellflow(['notebook', threadRun], { env: env(), cwd: work });
  expect(named.code).toBe(0);
  expect(named.stdout.trim()).toBe(path.join(work, `shows-${threadRun.split('/')[1]}.ipynb`));
  const before = fs.readFileSync(notebook, 'utf8');
  const refused = await cellflow(['notebook', threadRun, '-o', notebook], { env: env(), cwd: work });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`${notebook} is the notebook run ${threadRun} was made from`);
  expect(refused.stderr).not.toMatch(/\n\s+at /);
  expect(fs.readFileSync(notebook, 'utf8')).toBe(before);
}, 120_000);

test('a run from before outputs were kept opens with its logs and error instead', async () => {
  // A copy of the run whose task records have no outputs, as an older cellflow wrote them.
  const older = path.join(work, 'older-store');
  expect((await cellflow(['push', threadRun, '--to', older], { env: env() })).code).toBe(0);
  const runDir = path.join(older, 'flows', ...threadRun.split('/'));
  for (const step of fs.readdirSync(runDir).filter((name) => !name.includes('.'))) {
    for (const task of fs.readdirSync(path.join(runDir, step))) {
      const file = path.join(runDir, step, task, 'task.json');
      const record = JSON.parse(fs.readFileSync(file, 'utf8'));
      delete record.outputs;
      fs.writeFileSync(file, JSON.stringify(record));
    }
  }
  const out = path.join(work, 'older.ipynb');
  const result = await cellflow(['notebook', threadRun, '-o', out], { env: { CELLFLOW_HOME: older } });
  expect(result.code).toBe(0);
  expect(nbformatError(out)).toBeNull();
  const cells = JSON.parse(fs.readFileSync(out, 'utf8')).cells;
  expect(cells.find((c: { id: string }) => c.id === 'c1').outputs).toEqual([
    { output_type: 'stream', name: 'stdout', text: 'hello from start\n' },
    { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
  ]);
  expect(
    cells
      .find((c: { id: string }) => c.id === 'c5')
      .outputs.map((o: { output_type: string }) => o.output_type),
  ).toEqual(['stream', 'error']);
}, 60_000);
