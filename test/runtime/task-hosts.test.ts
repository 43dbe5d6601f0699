// Task isolation (DESIGN "Task isolation"): each task in a fresh worker thread of a task host
// process, one task at a time; isolation:process (or --isolation process) a fresh OS process per task.
// Real `cellflow run` processes, real hosts and threads, a real native addon from npm.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { TaskRecord } from '../../src/runtime/records';

let work: string;
let home: string;

beforeAll(() => {
  work = tempDir();
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(nb: string, extra: string[] = []) {
  const idFile = path.join(work, `id-${path.basename(nb)}-${Math.random()}`);
  const result = await cellflow(['run', nb, '--run-id-file', idFile, ...extra], {
    env: { CELLFLOW_HOME: home, CELLFLOW_RETRY_BACKOFF_MS: '10' },
  });
  if (!fs.existsSync(idFile)) {
    throw new Error(`the run did not start:\n${result.stdout}\n${result.stderr}`);
  }
  const pathspec = fs.readFileSync(idFile, 'utf8').trim();
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  const tasks = ds.listTasks(flow, runId);
  for (const task of tasks) {
    expect({ task: task.taskId, errors: schemaErrors('task', task) }).toEqual({
      task: task.taskId,
      errors: [],
    });
  }
  const value = (task: TaskRecord, name: string) => ds.loadArtifactSync(task.artifacts[name]);
  return { result, tasks, value, of: (step: string) => tasks.filter((t) => t.step === step) };
}

test('no global, module or environment change leaks from one task to the next in the same host', async () => {
  // A module of the project that counts how often it was loaded and called.
  fs.writeFileSync(path.join(work, 'counter.js'), 'let calls = 0;\nexports.bump = () => ++calls;\n');
  const nb = writeNotebook(work, 'leaks.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2, 3, 4, 5];' },
    {
      tags: ['step:body'],
      source: [
        "const counter = require('./counter.js');",
        'self.seen = {',
        '  global: (globalThis as any).leak ?? null,',
        '  env: process.env.CELLFLOW_LEAK ?? null,',
        '  prototype: (Array.prototype as any).leak ?? null,',
        '  calls: counter.bump(),',
        '};',
        '(globalThis as any).leak = self.input;',
        'process.env.CELLFLOW_LEAK = String(self.input);',
        '(Array.prototype as any).leak = self.input;',
        'self.pid = process.pid;',
      ].join('\n'),
    },
    { tags: ['step:join'], source: 'self.n = inputs.length;' },
    { tags: ['step:end'], source: 'self.env = process.env.CELLFLOW_LEAK ?? null;' },
  ]);
  // One worker: every body task goes through the same host, one after the other.
  const { result, of, value } = await run(nb, ['--max-workers', '1']);
  expect(result.code).toBe(0);
  const body = of('body');
  expect(body).toHaveLength(6);
  expect(new Set(body.map((t) => value(t, 'pid'))).size).toBe(1);
  for (const task of body) {
    expect(task.attempts[0].isolation).toBe('thread');
    expect(value(task, 'seen')).toEqual({ global: null, env: null, prototype: null, calls: 1 });
  }
  expect(value(of('end')[0], 'env')).toBeNull();
});

test('process.exit, an uncaught exception, running out of heap and an endless loop each fail only their task', async () => {
  const nb = writeNotebook(work, 'crashes.ipynb', [
    {
      tags: ['step:start', 'foreach:cases'],
      source: "self.cases = ['exit', 'uncaught', 'oom', 'loop', 'fine'];",
    },
    {
      tags: ['step:body', 'catch:failure', 'timeout:2', 'resources:memory=64'],
      source: [
        'self.pid = process.pid;',
        "if (self.input === 'exit') process.exit(7);",
        "if (self.input === 'uncaught') {",
        "  setTimeout(() => { throw new RangeError('thrown from a timer'); }, 0);",
        '  await new Promise((resolve) => setTimeout(resolve, 5000));',
        '}',
        "if (self.input === 'oom') {",
        '  const hoard: number[][] = [];',
        '  for (;;) hoard.push(new Array(1e6).fill(1.5));',
        '}',
        "if (self.input === 'loop') for (;;) {}",
        'self.failure = null;',
      ].join('\n'),
    },
    {
      tags: ['step:gather'],
      source: 'self.outcomes = inputs.map((i) => (i.failure === null ? null : i.failure.type));',
    },
    { tags: ['step:end'], source: '' },
  ]);
  const { result, of, value } = await run(nb, ['--max-workers', '1']);
  expect(result.code).toBe(0);
  const byCase = new Map(of('body').map((t) => [t.foreachStack[0].index, t]));
  const attempt = (index: number) => byCase.get(index)!.attempts[0];
  expect(attempt(0).error).toMatchObject({
    type: 'TaskProcessDied',
    message: 'the task thread exited with code 7 before recording a result',
  });
  expect(attempt(1).error).toMatchObject({
    type: 'RangeError',
    message: 'the task thread died of an uncaught RangeError: thrown from a timer',
  });
  expect(attempt(2).error).toMatchObject({
    type: 'OutOfMemory',
    message: 'the task ran out of memory: its heap is limited to 64 MB (resources:memory=64)',
  });
  expect(attempt(3).error).toMatchObject({ type: 'StepTimeoutError', timeout: 'killed' });
  expect(attempt(3).error!.message).toMatch(/timed out after 2 s .* did not yield/);
  expect(byCase.get(4)!.attempts[0].status).toBe('succeeded');
  // The same host ran all five, one after the other: none of them took it down.
  const pids = new Set([...byCase.values()].map((t) => t.attempts[0].pid));
  expect(pids.size).toBe(1);
  expect(
    value(
      of('body').find((t) => t.foreachStack[0].index === 4)!,
      'pid',
    ),
  ).toBe([...pids][0]);
  // catch: turned each failure into an artifact and the run went on to the join, in foreach order.
  expect(value(of('gather')[0], 'outcomes')).toEqual([
    'TaskProcessDied',
    'RangeError',
    'OutOfMemory',
    'StepTimeoutError',
    null,
  ]);
});

test('a host killed under its task fails that task only; retry runs it on a new host', async () => {
  const marker = path.join(work, 'killed-once');
  const nb = writeNotebook(work, 'hostkill.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2];' },
    {
      tags: ['step:body', 'retry:1'],
      source: [
        "const fs = require('fs');",
        `if (self.input === 1 && !fs.existsSync(${JSON.stringify(marker)})) {`,
        `  fs.writeFileSync(${JSON.stringify(marker)}, '');`,
        "  process.kill(process.pid, 'SIGKILL');",
        '}',
        'self.pid = process.pid;',
      ].join('\n'),
    },
    { tags: ['step:join'], source: 'self.n = inputs.length;' },
    { tags: ['step:end'], source: '' },
  ]);
  const { result, of } = await run(nb, ['--max-workers', '1']);
  expect(result.code).toBe(0);
  const killed = of('body').find((t) => t.foreachStack[0].index === 1)!;
  expect(killed.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
  expect(killed.attempts[0].error!.message).toBe('the task process was killed by SIGKILL');
  expect(killed.attempts[1].pid).not.toBe(killed.attempts[0].pid);
});

test("each task's output lands in its own log, whole, even a megabyte or the line just before its host dies", async () => {
  const nb = writeNotebook(work, 'output.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2, 3, 4, 5];' },
    {
      tags: ['step:body'],
      source: [
        // More than a pipe holds (64 KiB), multi-byte characters, both streams, and a last line
        // printed right before the host process is killed under the task.
        "const line = `task ${self.input} é€ ${'x'.repeat(200)}`;",
        'for (let i = 0; i < 4000; i++) console.log(line);',
        'console.error(`stderr of ${self.input}`);',
        "if (self.input === 3) { console.log('last words'); process.kill(process.pid, 'SIGKILL'); }",
      ].join('\n'),
    },
    { tags: ['step:join'], source: 'self.n = inputs.length;' },
    { tags: ['step:end'], source: '' },
  ]);
  // Two hosts, the next task's thread warming beside the running one: output must not cross over.
  const { result, of } = await run(nb, ['--max-workers', '2']);
  expect(result.code).not.toBe(0);
  const ds = Datastore.open({ root: home });
  for (const task of of('body')) {
    const index = task.foreachStack[0].index;
    const log = async (stream: 'stdout' | 'stderr') =>
      (await ds.readLog(task.flow, task.runId, task.step, task.taskId, 0, stream)) ?? '';
    const lines = (await log('stdout')).split('\n').filter(Boolean);
    const expected = `task ${index} é€ ${'x'.repeat(200)}`;
    expect({ index, count: lines.filter((l) => l === expected).length }).toEqual({ index, count: 4000 });
    expect(lines.filter((l) => l !== expected)).toEqual(index === 3 ? ['last words'] : []);
    expect((await log('stderr')).split('\n')[0]).toBe(`stderr of ${index}`);
  }
});

test('Ctrl-C while tasks run on several hosts records the run as cancelled, each time', async () => {
  // The interrupt kills the hosts and tells each running task to stop: a message to a host that has
  // just died fails with EPIPE, which once ended the scheduler before it could record the run.
  const nb = writeNotebook(work, 'interrupt.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2, 3, 4, 5, 6, 7];' },
    { tags: ['step:body'], source: 'await new Promise((r) => setTimeout(r, 60000));' },
    { tags: ['step:join'], source: 'self.n = inputs.length;' },
    { tags: ['step:end'], source: '' },
  ]);
  for (let round = 0; round < 4; round++) {
    const idFile = path.join(work, `interrupt-${round}`);
    const child = spawn(process.execPath, [CLI, 'run', nb, '--max-workers', '4', '--run-id-file', idFile], {
      env: { ...process.env, CELLFLOW_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Interrupt once the start task is recorded and the body tasks have had a moment to start.
    for (let i = 0; i < 600 && !fs.existsSync(idFile); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const pathspec = fs.readFileSync(idFile, 'utf8').trim();
    const [flow, runId] = pathspec.split('/');
    const ds = Datastore.open({ root: home });
    for (let i = 0; i < 300 && ds.listTasks(flow, runId).length < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300 + 100 * round));
    child.kill('SIGINT');
    expect({ round, code: await exited, output: /Error|EPIPE/.test(output) ? output : '' }).toEqual({
      round,
      code: 1,
      output: '',
    });
    expect(ds.readRun(flow, runId).status).toBe('cancelled');
  }
}, 120_000);

test('process.chdir in a thread fails pointing at isolation:process, which gives each task its own process', async () => {
  const nb = writeNotebook(work, 'chdir.ipynb', [
    { tags: ['step:start', 'catch:failure'], source: "process.chdir('/');\nself.failure = null;" },
    {
      tags: ['step:moved', 'isolation:process', 'foreach:items'],
      source: "process.chdir('/');\nself.cwd = process.cwd();\nself.items = [1, 2];",
    },
    { tags: ['step:each', 'isolation:process'], source: 'self.pid = process.pid;' },
    { tags: ['step:join'], source: 'self.pids = inputs.map((i) => i.pid);' },
    { tags: ['step:end'], source: '' },
  ]);
  const { result, of, value } = await run(nb, ['--max-workers', '1']);
  expect(result.code).toBe(0);
  const failure = value(of('start')[0], 'failure') as { type: string; message: string };
  expect(failure.type).toBe('ProcessOnlyError');
  expect(failure.message).toMatch(/^process\.chdir\(\) cannot run in a task thread: .*isolation:process/);
  const moved = of('moved')[0];
  expect(value(moved, 'cwd')).toBe('/');
  expect(moved.attempts[0].isolation).toBe('process');
  // A fresh process per task: two tasks, two processes, neither the one that ran `moved`.
  const pids = value(of('join')[0], 'pids') as number[];
  expect(new Set([...pids, moved.attempts[0].pid]).size).toBe(3);
});

test('--isolation process runs every task in a fresh process; the timeout still kills a busy one', async () => {
  const nb = writeNotebook(work, 'processes.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2];' },
    {
      tags: ['step:body', 'timeout:1', 'catch:failure'],
      source: 'self.pid = process.pid;\nif (self.input === 2) for (;;) {}\nself.failure = null;',
    },
    { tags: ['step:join'], source: 'self.pids = inputs.map((i) => i.pid);' },
    { tags: ['step:end'], source: '' },
  ]);
  const { result, of, value } = await run(nb, ['--max-workers', '1', '--isolation', 'process']);
  expect(result.code).toBe(0);
  const body = of('body');
  expect(body.every((t) => t.attempts[0].isolation === 'process')).toBe(true);
  expect(new Set(body.map((t) => t.attempts[0].pid)).size).toBe(3);
  const busy = body.find((t) => t.foreachStack[0].index === 2)!;
  expect(busy.attempts[0].error).toMatchObject({ type: 'StepTimeoutError', timeout: 'killed' });
  expect((value(of('join')[0], 'pids') as number[]).length).toBe(3);
});

test('a native addon that cannot load in a worker thread (heapdump, not context-aware) runs in a process, once', async () => {
  // heapdump registers with NODE_MODULE (not context-aware): Node refuses it in worker threads.
  const project = path.join(work, 'addon');
  fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules', 'heapdump'), path.join(project, 'node_modules', 'heapdump'));
  const nb = writeNotebook(project, 'addon.ipynb', [
    {
      tags: ['step:start', 'retry:0'],
      source: "const heapdump = require('heapdump');\nself.api = typeof heapdump.writeSnapshot;",
    },
    { tags: ['step:end'], source: 'self.pid = process.pid;' },
  ]);
  const { result, of, value } = await run(nb);
  expect(result.code).toBe(0);
  const start = of('start')[0];
  expect(value(start, 'api')).toBe('function');
  expect(start.attempts.map((a) => [a.status, a.isolation])).toEqual([
    ['failed', 'thread'],
    ['succeeded', 'process'],
  ]);
  expect(start.attempts[0].error).toMatchObject({ type: 'NativeAddonInThreadError' });
  expect(start.attempts[0].error!.message).toMatch(/heapdump.*addon\.node cannot load in a worker thread/);
  expect(start.attempts[1].isolationReason).toMatch(
    /^the native addon .*heapdump.*addon\.node cannot load in a worker thread$/,
  );
  // The next step, without the addon, is back in a thread.
  expect(of('end')[0].attempts.map((a) => a.isolation)).toEqual(['thread']);
});
