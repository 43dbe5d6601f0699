// Fault injection with real processes: SIGKILL a task, SIGSTOP/SIGKILL the scheduler, kill a task in
// the middle of writing artifacts. After each fault the records must be whole, readers must say what
// happened, and `cellflow resume` must finish the run.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { TaskRecord } from '../../src/runtime/records';
import { BACKENDS, freshLocation } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';
import {
  alive,
  killIfAlive,
  readRunIdFile,
  startCellflow,
  waitFor,
  waitForPid,
  type Background,
} from './process-helpers';

let work: string;
const s3 = s3ServerForFile();
/** The datastore of the block running now: a folder, or s3://BUCKET/PREFIX (set by each describe). */
let home: string;
const started: Background[] = [];
const taskPids: number[] = [];
const env = (extra: NodeJS.ProcessEnv = {}) => ({
  ...(home.startsWith('s3://') ? { CELLFLOW_DATASTORE: home } : { CELLFLOW_HOME: home }),
  ...extra,
});

beforeAll(async () => {
  work = tempDir('cellflow-faults-');
});
afterAll(async () => {
  for (const run of started) {
    killIfAlive(run.child.pid);
  }
  for (const pid of taskPids) {
    killIfAlive(pid);
  }
  removeTempDir(work);
});

function background(args: string[], extra: NodeJS.ProcessEnv = {}): Background {
  const run = startCellflow(args, env(extra));
  started.push(run);
  return run;
}

function readAll(pathspec: string) {
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  return { run: ds.readRun(flow, runId), tasks: ds.listTasks(flow, runId), ds };
}

async function runsJson(extra: NodeJS.ProcessEnv = {}): Promise<{ pathspec: string; status: string }[]> {
  const listed = await cellflow(['runs', '--json'], { env: env(extra) });
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout);
}

/** Every record in the run is schema-valid JSON and no task is left looking as if it still ran. */
function expectWholeRecords(pathspec: string): TaskRecord[] {
  const { run, tasks } = readAll(pathspec);
  expect(schemaErrors('run', run)).toEqual([]);
  for (const task of tasks) {
    expect({ task: task.taskId, errors: schemaErrors('task', task) }).toEqual({
      task: task.taskId,
      errors: [],
    });
    expect(['succeeded', 'failed', 'cancelled']).toContain(task.status);
  }
  return tasks;
}

// Both backends: on S3 the scheduler's heartbeat lives in run.json as it does in the folder.
describe.each(BACKENDS)('%s datastore', (backend) => {
  beforeAll(() => {
    home = backend === 'local' ? path.join(work, 'store') : freshLocation('s3', s3.server, 'faults');
  });

  test('SIGKILL of one foreach task: its attempt fails, its siblings finish, the run fails, resume completes it', async () => {
    const pidFile = path.join(work, `${backend}-victim.pid`);
    const fixed = path.join(work, `${backend}-victim.fixed`);
    const nb = writeNotebook(work, 'killtask.ipynb', [
      { tags: ['step:start', 'foreach:items'], source: 'self.items = [0, 1, 2, 3, 4, 5];' },
      {
        tags: ['step:body'],
        source: [
          "const fs = require('fs');",
          `if (self.input === 2 && !fs.existsSync(${JSON.stringify(fixed)})) {`,
          `  fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');`,
          '  await new Promise((resolve) => setTimeout(resolve, 60_000));',
          '}',
          'self.sq = self.input * self.input;',
        ].join('\n'),
      },
      { tags: ['step:gather'], source: 'self.total = inputs.reduce((sum, i) => sum + i.sq, 0);' },
      { tags: ['step:end'], source: 'console.log(self.total);' },
    ]);
    const idFile = path.join(work, `${backend}-killtask.id`);
    const run = background(['run', nb, '--max-workers', '2', '--run-id-file', idFile]);
    const victim = await waitForPid(pidFile);
    taskPids.push(victim);
    // Let the sibling that shares the workers get going, so the kill lands with work in flight.
    process.kill(victim, 'SIGKILL');
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/step body \(task \d+\) failed .*killed by SIGKILL/);
    expect(result.stderr).not.toMatch(/\n\s+at /);

    const pathspec = readRunIdFile(idFile);
    const tasks = expectWholeRecords(pathspec);
    expect(readAll(pathspec).run.status).toBe('failed');
    const body = tasks.filter((t) => t.step === 'body');
    const killed = body.find((t) => t.foreachStack[0].index === 2)!;
    expect(killed.status).toBe('failed');
    expect(killed.attempts).toHaveLength(1);
    expect(killed.attempts[0].status).toBe('failed');
    expect(killed.attempts[0].error!.message).toBe('the task process was killed by SIGKILL');
    expect(killed.artifacts).toEqual({});
    // Siblings that started finished normally; none is left half-recorded; the join never ran.
    for (const sibling of body.filter((t) => t !== killed)) {
      expect(sibling.status).toBe('succeeded');
    }
    expect(tasks.some((t) => t.step === 'gather')).toBe(false);
    expect((await runsJson()).find((r) => r.pathspec === pathspec)?.status).toBe('failed');

    fs.writeFileSync(fixed, '');
    const resumeId = path.join(work, `${backend}-killtask-resume.id`);
    const resumed = await cellflow(['resume', pathspec, '--run-id-file', resumeId, '--max-workers', '2'], {
      env: env(),
    });
    expect(resumed.code).toBe(0);
    const after = readAll(readRunIdFile(resumeId));
    expect(after.run.status).toBe('succeeded');
    expect(after.run.origin).toMatchObject({ kind: 'resume', pathspec, fromStep: 'body' });
    const gather = after.tasks.find((t) => t.step === 'gather')!;
    expect(after.ds.loadArtifactSync(gather.artifacts.total)).toBe(0 + 1 + 4 + 9 + 16 + 25);
  });

  test('SIGSTOP then SIGKILL of the scheduler: runs shows it abandoned (heartbeat), its task stops, resume completes it', async () => {
    const pidFile = path.join(work, `${backend}-sched-task.pid`);
    const fixed = path.join(work, `${backend}-sched.fixed`);
    const nb = writeNotebook(work, 'killsched.ipynb', [
      { tags: ['step:start'], source: 'self.x = 20;' },
      {
        tags: ['step:slow'],
        source: [
          "const fs = require('fs');",
          `if (!fs.existsSync(${JSON.stringify(fixed)})) {`,
          `  fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');`,
          '  await new Promise((resolve) => setTimeout(resolve, 60_000));',
          '}',
          'self.y = self.x + 1;',
        ].join('\n'),
      },
      { tags: ['step:end'], source: 'self.z = self.y * 2;' },
    ]);
    const idFile = path.join(work, `${backend}-killsched.id`);
    const fast = { CELLFLOW_HEARTBEAT_MS: '100', CELLFLOW_HEARTBEAT_STALE_MS: '1500' };
    const run = background(['run', nb, '--max-workers', '1', '--run-id-file', idFile], fast);
    const taskPid = await waitForPid(pidFile);
    taskPids.push(taskPid);
    const pathspec = readRunIdFile(idFile);
    const scheduler = run.child.pid!;

    expect((await runsJson(fast)).find((r) => r.pathspec === pathspec)?.status).toBe('running');
    const early = await cellflow(['resume', pathspec], { env: env(fast) });
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`${pathspec} is still running`);

    // A frozen scheduler (alive, but no heartbeat) reads as abandoned once the heartbeat is stale.
    process.kill(scheduler, 'SIGSTOP');
    try {
      await waitFor(
        'the run to read as abandoned',
        () => {
          const { run: record } = readAll(pathspec);
          const beat = Date.parse(record.scheduler!.heartbeatAt);
          return Date.now() - beat > 2000 ? true : undefined;
        },
        15_000,
      );
      expect((await runsJson(fast)).find((r) => r.pathspec === pathspec)?.status).toBe('abandoned');
    } finally {
      process.kill(scheduler, 'SIGKILL');
    }
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    // With the default 30 s window the dead pid alone marks it abandoned.
    expect((await runsJson()).find((r) => r.pathspec === pathspec)?.status).toBe('abandoned');
    // The orphaned task notices its scheduler is gone and exits instead of running on.
    await waitFor('the orphaned task to exit', () => (alive(taskPid) ? undefined : true), 10_000);
    const { run: record } = readAll(pathspec);
    expect(schemaErrors('run', record)).toEqual([]);
    expect(record.status).toBe('running'); // nothing rewrote it: readers derive 'abandoned'

    fs.writeFileSync(fixed, '');
    const resumeId = path.join(work, `${backend}-killsched-resume.id`);
    const resumed = await cellflow(['resume', pathspec, '--run-id-file', resumeId], { env: env() });
    expect(resumed.code).toBe(0);
    const after = readAll(readRunIdFile(resumeId));
    expect(after.run.status).toBe('succeeded');
    expect(after.run.origin).toMatchObject({ kind: 'resume', pathspec, fromStep: 'slow' });
    expect(after.tasks.find((t) => t.step === 'start')!.reusedFrom).toMatch(
      new RegExp(`^${pathspec}/start/`),
    );
    const end = after.tasks.find((t) => t.step === 'end')!;
    expect(after.ds.loadArtifactSync(end.artifacts.z)).toBe(42);
  });
});

// The folder only: it watches the temp file of an object being written (objects/.tmp).
test('a task killed while writing its artifacts leaves no partial object visible', async () => {
  // 40 distinct 4 MiB artifacts: each is written to objects/.tmp, fsynced and renamed, so most of the
  // write phase has a partial temp file open; the kill is sent the moment one is seen.
  const pidFile = path.join(work, 'writer.pid');
  const nb = writeNotebook(work, 'midwrite.ipynb', [
    {
      tags: ['step:start'],
      source: [
        "const fs = require('fs');",
        `fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + '\\n');`,
        'for (let i = 0; i < 40; i++) self[`blob${i}`] = Buffer.alloc(4 << 20, i + 1);',
      ].join('\n'),
    },
    { tags: ['step:end'], source: '' },
  ]);
  const store = path.join(work, 'midwrite-store');
  const tmp = path.join(store, 'objects', '.tmp');
  const idFile = path.join(work, 'midwrite.id');
  const run = startCellflow(['run', nb, '--max-workers', '1', '--run-id-file', idFile], {
    CELLFLOW_HOME: store,
  });
  started.push(run);
  const writer = await waitForPid(pidFile);
  taskPids.push(writer);
  await waitFor('a temp object being written', () => {
    const files = fs.existsSync(tmp) ? fs.readdirSync(tmp) : [];
    return files.find((f) => f.startsWith(`${writer}-`));
  });
  process.kill(writer, 'SIGKILL');
  const result = await run.done;
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/step start .*killed by SIGKILL/);

  // The interrupted write is still a temp file (evidence the kill landed mid-write); nothing under
  // the fan-out folders is partial: fsck re-hashes every object and finds no damage.
  expect(fs.readdirSync(tmp).filter((f) => f.startsWith(`${writer}-`))).not.toEqual([]);
  const check = await cellflow(['fsck', '--datastore', store, '--json']);
  expect(check.code).toBe(0);
  const report = JSON.parse(check.stdout);
  expect(report.damagedObjects).toEqual([]);
  expect(report.damagedRecords).toEqual([]);
  expect(report.strayFiles.length).toBeGreaterThan(0);
  expect(report.strayFiles.every((f: string) => f.startsWith('.tmp/'))).toBe(true);
  const [flow, runId] = readRunIdFile(idFile).split('/');
  const ds = Datastore.open({ root: store });
  const start = ds.listTasks(flow, runId, 'start')[0];
  expect(start.status).toBe('failed');
  expect(start.artifacts).toEqual({});
  expect(ds.readRun(flow, runId).status).toBe('failed');
});
