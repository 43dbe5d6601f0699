// Step options, `current`, run tags, .flow.ts input, the one-task `step` command and the TTY progress
// line, through the real launcher with real task processes.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';

let work: string;
let home: string;
const env = () => ({ CELLFLOW_HOME: home });

beforeAll(() => {
  work = tempDir();
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(input: string, extra: string[] = []) {
  const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['run', input, '--run-id-file', idFile, ...extra], { env: env() });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

function endTask(pathspec: string, step: string) {
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  const task = ds.listTasks(flow, runId).find((t) => t.step === step && t.status === 'succeeded')!;
  return { ds, task, value: (name: string) => ds.loadArtifactSync(task.artifacts[name]) };
}

test('env: and resources:memory reach the task process; tags and current are recorded', async () => {
  const nb = writeNotebook(work, 'options.ipynb', [
    {
      tags: ['step:start', 'env:GREETING=hello world', 'resources:cpu=1', 'resources:memory=96'],
      source: [
        "import * as v8 from 'v8';",
        'self.greeting = process.env.GREETING;',
        'self.heapLimitMb = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);',
        'self.where = [current.flowName, current.runId, current.stepName, current.taskId, current.attempt, current.isInteractive];',
      ].join('\n'),
    },
    { tags: ['step:end'], source: 'self.leaked = process.env.GREETING ?? null;' },
  ]);
  const pathspec = await run(nb, ['--tag', 'nightly', '--tag', 'team:ml']);
  const [flow, runId] = pathspec.split('/');
  const start = endTask(pathspec, 'start');
  expect(start.value('greeting')).toBe('hello world');
  // --max-old-space-size=96 gives V8 a heap limit near 96 MB (the default here is several GB).
  expect(start.value('heapLimitMb')).toBeLessThan(200);
  expect(start.value('where')).toEqual([flow, runId, 'start', start.task.taskId, 0, false]);
  // env: is per step: the next task's process does not inherit it.
  expect(endTask(pathspec, 'end').value('leaked')).toBeNull();
  const record = start.ds.readRun(flow, runId);
  expect(record.tags).toEqual(['nightly', 'team:ml']);
  expect(record.graph.nodes.start.options.resources).toEqual({ cpu: 1, memoryMb: 96 });
});

test('an exported .flow.ts runs like its notebook', async () => {
  const out = path.join(work, 'hello.flow.ts');
  const exported = await cellflow(['export', path.join(REPO, 'examples', 'hello.ipynb'), '-o', out]);
  expect(exported.code).toBe(0);
  // The module imports the published 'cellflow' package; give it this checkout as that package.
  fs.mkdirSync(path.join(work, 'node_modules'), { recursive: true });
  fs.symlinkSync(REPO, path.join(work, 'node_modules', 'cellflow'), 'dir');
  const pathspec = await run(out);
  expect(pathspec.startsWith('hello/')).toBe(true);
  expect(endTask(pathspec, 'join').value('out')).toBe(3);
});

test('`cellflow step` runs exactly one task of an existing run from its record', async () => {
  const pathspec = await run(path.join(REPO, 'examples', 'hello.ipynb'));
  const [flow, runId] = pathspec.split('/');
  const join = endTask(pathspec, 'join');
  const result = await cellflow(
    ['step', pathspec, 'end', '900', '--input-paths', `join/${join.task.taskId}`],
    {
      env: env(),
    },
  );
  expect(result.code).toBe(0);
  const ds = Datastore.open({ root: home });
  const task = ds.readTask(flow, runId, 'end', '900');
  expect(task.status).toBe('succeeded');
  expect(task.parents).toEqual([`${flow}/${runId}/join/${join.task.taskId}`]);
  // The new task starts from its parent's artifact map by reference: same objects, nothing rewritten.
  expect(task.artifacts.out).toEqual(join.task.artifacts.out);
  expect(ds.listTasks(flow, runId).filter((t) => t.step === 'end')).toHaveLength(2);
});

test('on a terminal the run shows a progress line (tasks done, running, failed, elapsed)', () => {
  const hello = path.join(REPO, 'examples', 'hello.ipynb');
  const { CI: _ci, ...noCi } = process.env;
  // `script` gives the command a pseudo-terminal, as a user's shell would.
  const result = spawnSync('script', ['-qec', `${process.execPath} ${CLI} run ${hello}`, '/dev/null'], {
    env: { ...noCi, CELLFLOW_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  const redraw = '\r\u001b[2K'; // carriage return + erase line: the line is redrawn in place
  expect(result.stdout).toContain(redraw);
  expect(result.stdout).toMatch(/▸ \d+ done · \d+ running · 0 failed · [\d.]+ s/);
  expect(result.stdout).toMatch(/run succeeded: hello\/\d{13}-[0-9a-f]{12} \(5 tasks done, 0 failed/);
});

test("a task's recorded success stands even when its `done` message never reaches the scheduler", async () => {
  // task.json is the completion marker. Here the step swallows the process's IPC messages, so the
  // scheduler only sees a clean exit and a succeeded record (what a lost message looks like).
  const nb = writeNotebook(work, 'lost-message.ipynb', [
    {
      tags: ['step:start'],
      source: [
        'self.value = 41;',
        'const quiet = ((_message: unknown, callback?: () => void) => (callback?.(), true)) as typeof process.send;',
        'process.send = quiet;',
      ].join('\n'),
    },
    { tags: ['step:end'], source: 'self.value += 1;' },
  ]);
  const pathspec = await run(nb);
  expect(endTask(pathspec, 'end').value('value')).toBe(42);
});
