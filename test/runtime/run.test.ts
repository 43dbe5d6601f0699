// The local runtime end to end: real `cellflow run` processes, real task processes, real files. The
// tests that exercise the datastore run on both backends (a folder, and a bucket on a real S3 server);
// the process-pool, timeout and parameter tests do not depend on it and run on the folder only.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook, type CellSpec } from '../helpers/notebook';
import { Run, setDatastore } from '../../src/client';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { RunRecord, TaskRecord } from '../../src/runtime/records';
import { schemaErrors } from '../helpers/run-schema';
import { PYTHON } from '../helpers/python-peers';
import { BACKENDS, freshLocation, objectFile, objectsFolder } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';

let work: string;
const s3 = s3ServerForFile();
/** The datastore of the block running now: a folder, or s3://BUCKET/PREFIX (set by each describe). */
let home: string;
const env = () => ({
  ...(home.startsWith('s3://') ? { CELLFLOW_DATASTORE: home } : { CELLFLOW_HOME: home }),
  CELLFLOW_RETRY_BACKOFF_MS: '50',
});

beforeAll(async () => {
  work = tempDir();
});
afterAll(async () => {
  setDatastore();
  removeTempDir(work);
});

async function run(notebook: string, extra: string[] = []) {
  const idFile = path.join(work, `run-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['run', notebook, '--run-id-file', idFile, ...extra], { env: env() });
  const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
  return { ...result, pathspec };
}

/** A run's records, each checked against schema/run.schema.json on the way. */
function records(pathspec: string): { run: RunRecord; tasks: TaskRecord[] } {
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  const run = ds.readRun(flow, runId);
  const tasks = ds.listTasks(flow, runId);
  expect(schemaErrors('run', run)).toEqual([]);
  for (const task of tasks) {
    expect(schemaErrors('task', task)).toEqual([]);
  }
  return { run, tasks };
}

function artifact(pathspec: string, step: string, name: string): unknown {
  const ds = Datastore.open({ root: home });
  const task = records(pathspec).tasks.find((t) => t.step === step && t.status === 'succeeded');
  if (!task) {
    throw new Error(`no succeeded task for ${step} in ${pathspec}`);
  }
  return ds.loadArtifactSync(task.artifacts[name]);
}

const linear = (cells: CellSpec[]) => cells;

describe.each(BACKENDS)('%s datastore', (backend) => {
  beforeAll(() => {
    home = backend === 'local' ? path.join(work, 'store') : freshLocation('s3', s3.server, 'run');
  });

  test('hello: branch and join give out === 3, with every task recorded', async () => {
    const result = await run(path.join(REPO, 'examples', 'hello.ipynb'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { run: record, tasks } = records(result.pathspec);
    expect(record.status).toBe('succeeded');
    expect(tasks.map((t) => t.step).sort()).toEqual(['a', 'b', 'end', 'join', 'start']);
    expect(artifact(result.pathspec, 'join', 'out')).toBe(3);
    expect(result.stdout).toMatch(/\[join\/\d+\] 3/);
  });

  // 100 tasks on the folder; 10 on S3, where every task's records and objects are round trips to the
  // server (the per-task overhead on S3 is a bench row): the same assertions over a smaller fan-out.
  const fanOut = backend === 'local' ? 100 : 10;
  test(`foreach over ${fanOut} items joins ${fanOut} inputs in order`, async () => {
    const nb = writeNotebook(work, 'fan.ipynb', [
      {
        tags: ['step:start', 'foreach:items'],
        source: `self.items = Array.from({ length: ${fanOut} }, (_, i) => i);`,
      },
      { tags: ['step:square'], source: 'self.sq = self.input * self.input;\nself.pos = self.index;' },
      {
        tags: ['step:gather'],
        source: 'self.all = inputs.map((i) => i.sq);\nself.positions = inputs.map((i) => i.pos);',
      },
      { tags: ['step:end'], source: 'console.log(self.all.length);' },
    ]);
    const result = await run(nb, ['--max-workers', '2']);
    expect(result.code).toBe(0);
    const all = artifact(result.pathspec, 'gather', 'all') as number[];
    expect(all).toHaveLength(fanOut);
    expect(all).toEqual(Array.from({ length: fanOut }, (_, i) => i * i));
    expect(artifact(result.pathspec, 'gather', 'positions')).toEqual(
      Array.from({ length: fanOut }, (_, i) => i),
    );
    expect(records(result.pathspec).tasks.filter((t) => t.step === 'square')).toHaveLength(fanOut);
  });

  test('a failing step fails the run with exit 1 and the notebook cell and line; resume reuses earlier tasks', async () => {
    const flag = path.join(work, `fixed-${backend}`);
    const cells = linear([
      { tags: ['step:start'], source: 'self.big = Array.from({ length: 1000 }, (_, i) => `row ${i}`);' },
      { tags: ['step:middle'], source: 'self.n = self.big.length;' },
      {
        tags: ['step:flaky'],
        source: `const fs = require('fs');\nif (!fs.existsSync(${JSON.stringify(flag)})) {\n  throw new Error('not yet');\n}\nself.done = self.n + 1;`,
      },
      { tags: ['step:end'], source: 'console.log(self.done);' },
    ]);
    const nb = writeNotebook(work, 'flaky.ipynb', cells);
    const failed = await run(nb);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('flaky.ipynb: cell 2 (id c2), line 3');
    expect(failed.stdout).toContain('not yet');
    expect(records(failed.pathspec).run.status).toBe('failed');

    const objectsDir = objectsFolder(home, s3.server);
    const before = snapshotObjects(objectsDir);
    fs.writeFileSync(flag, '');
    const idFile = path.join(work, 'resume-id');
    const resumed = await cellflow(['resume', failed.pathspec, '--run-id-file', idFile], { env: env() });
    expect(resumed.code).toBe(0);
    const pathspec = fs.readFileSync(idFile, 'utf8').trim();
    const { run: record, tasks } = records(pathspec);
    expect(record.origin).toEqual({ kind: 'resume', pathspec: failed.pathspec, fromStep: 'flaky' });
    const byStep = Object.fromEntries(tasks.map((t) => [t.step, t]));
    expect(byStep.start.reusedFrom).toMatch(new RegExp(`^${failed.pathspec}/start/`));
    expect(byStep.middle.reusedFrom).toMatch(new RegExp(`^${failed.pathspec}/middle/`));
    expect(byStep.flaky.reusedFrom).toBeUndefined();
    expect(byStep.middle.artifacts.big.sha256).toBe(
      records(failed.pathspec).tasks.find((t) => t.step === 'middle')!.artifacts.big.sha256,
    );
    expect(artifact(pathspec, 'flaky', 'done')).toBe(1001);
    // No object that existed before the resume was written again.
    const after = snapshotObjects(objectsDir);
    for (const [file, stamp] of before) {
      expect(after.get(file)).toBe(stamp);
    }
  });

  test('retry succeeds on the second attempt and records both attempts', async () => {
    const nb = writeNotebook(work, 'retry.ipynb', [
      {
        tags: ['step:start', 'retry:2'],
        source:
          "console.log('attempt ' + current.attempt);\nif (current.attempt === 0) throw new Error('first attempt fails');\nself.attempt = current.attempt;",
      },
      { tags: ['step:end'], source: '' },
    ]);
    const result = await run(nb);
    expect(result.code).toBe(0);
    const start = records(result.pathspec).tasks.find((t) => t.step === 'start')!;
    expect(start.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(artifact(result.pathspec, 'start', 'attempt')).toBe(1);
    // Each attempt's log holds its own output; a stream that printed nothing has no log.
    const log = (attempt: number, stream: 'stdout' | 'stderr') =>
      Datastore.open({ root: home }).readLog(start.flow, start.runId, 'start', start.taskId, attempt, stream);
    expect(await log(0, 'stdout')).toBe('attempt 0\n');
    expect(await log(1, 'stdout')).toBe('attempt 1\n');
    expect(await log(1, 'stderr')).toBeUndefined();
  });

  test('catch stores the error as an artifact and the flow goes on', async () => {
    const nb = writeNotebook(work, 'catchy.ipynb', [
      { tags: ['step:start'], source: 'self.x = 1;' },
      { tags: ['step:risky', 'catch:failure'], source: "self.x = 2;\nthrow new Error('bad luck');" },
      { tags: ['step:end'], source: 'self.seen = self.failure.message;' },
    ]);
    const result = await run(nb);
    expect(result.code).toBe(0);
    expect(artifact(result.pathspec, 'end', 'seen')).toBe('bad luck');
    // As Metaflow's @catch: what the failed attempt set before it threw is kept.
    expect(artifact(result.pathspec, 'end', 'x')).toBe(2);
  });

  test('an Arrow table written by one step is read by the next, by the Client API and by pyarrow', async () => {
    // A project of its own whose node_modules provides apache-arrow, as a user's would.
    const project = path.join(work, `arrow-project-${backend}`);
    fs.mkdirSync(project, { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    const nb = writeNotebook(project, 'arrow.ipynb', [
      { source: "import { tableFromArrays } from 'apache-arrow';" },
      {
        tags: ['step:start'],
        source: [
          'const n = 50_000;',
          'self.frame = tableFromArrays({',
          '  id: Int32Array.from({ length: n }, (_, i) => i),',
          '  score: Float64Array.from({ length: n }, (_, i) => i / 2),',
          '});',
        ].join('\n'),
      },
      {
        tags: ['step:end'],
        source:
          "self.total = self.frame.getChild('score')!.toArray().reduce((a: number, b: number) => a + b, 0);",
      },
    ]);
    const result = await run(nb);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(artifact(result.pathspec, 'end', 'total')).toBe((49_999 * 50_000) / 4);

    setDatastore(home);
    const frame = (await Run.get(result.pathspec).data('frame')) as { numRows: number };
    expect(frame.numRows).toBe(50_000);

    const task = records(result.pathspec).tasks.find((t) => t.step === 'start')!;
    expect(task.artifacts.frame.codec).toBe('arrow');
    const object = objectFile(Datastore.open({ root: home }), task.artifacts.frame.sha256, work);
    const script = [
      'import sys, pyarrow.ipc as ipc',
      't = ipc.open_file(sys.argv[1]).read_all()',
      'print(t.num_rows, t.column_names, t.column("score").to_pylist()[-1])',
    ].join('\n');
    expect(execFileSync(PYTHON, ['-c', script, object], { encoding: 'utf8' }).trim()).toBe(
      "50000 ['id', 'score'] 24999.5",
    );
  });
});

// Counts the task hosts and processes the scheduler holds besides the one running this cell (Linux /proc).
const COUNT_SPARE_PROCESSES = `
const fs = require('fs');
self.spare = fs.readdirSync('/proc').filter((pid) => {
  if (!/^\\d+$/.test(pid) || Number(pid) === process.pid) return false;
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmdline = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
    return ppid === process.ppid && (cmdline.includes('task-host-main') || cmdline.includes('worker-main'));
  } catch {
    return false;
  }
}).length;`;

describe('local datastore', () => {
  beforeAll(() => {
    home = path.join(work, 'store');
  });

  test('the last task of a run starts no spare process: resume at end runs in the only one', async () => {
    const nb = writeNotebook(work, 'spare.ipynb', [
      { tags: ['step:start'], source: COUNT_SPARE_PROCESSES },
      { tags: ['step:end'], source: COUNT_SPARE_PROCESSES },
    ]);
    const first = await run(nb, ['--max-workers', '2']);
    expect(first.code).toBe(0);
    // Positive control: with a step still to come, processes are kept warm beside the running one.
    expect(artifact(first.pathspec, 'start', 'spare')).toBeGreaterThanOrEqual(1);

    const idFile = path.join(work, 'spare-resume-id');
    const resumed = await cellflow(
      ['resume', first.pathspec, '--from', 'end', '--max-workers', '2', '--run-id-file', idFile],
      { env: env() },
    );
    expect(resumed.code).toBe(0);
    expect(artifact(fs.readFileSync(idFile, 'utf8').trim(), 'end', 'spare')).toBe(0);
  });

  test('timeout kills a sleeping task and fails the attempt', async () => {
    const nb = writeNotebook(work, 'sleepy.ipynb', [
      {
        tags: ['step:start', 'timeout:1'],
        source: 'await new Promise((resolve) => setTimeout(resolve, 60_000));',
      },
      { tags: ['step:end'], source: '' },
    ]);
    const began = Date.now();
    const result = await run(nb);
    expect(Date.now() - began).toBeLessThan(20_000);
    expect(result.code).toBe(1);
    const start = records(result.pathspec).tasks.find((t) => t.step === 'start')!;
    expect(start.status).toBe('failed');
    expect(start.attempts[0].error?.message).toMatch(/timed out after 1 s/);
  });

  test('--param overrides a parameter; a bad value is exit 2 naming the parameter', async () => {
    const nb = writeNotebook(work, 'params.ipynb', [
      { tags: ['parameters'], source: "const alpha = 0.5;\nconst label = 'base';" },
      { tags: ['step:start'], source: 'self.y = self.alpha * 2;' },
      { tags: ['step:end'], source: 'self.tag = self.label;' },
    ]);
    const result = await run(nb, ['--param', 'alpha=4', '--param', 'label=tuned']);
    expect(result.code).toBe(0);
    expect(artifact(result.pathspec, 'start', 'y')).toBe(8);
    expect(artifact(result.pathspec, 'end', 'tag')).toBe('tuned');
    expect(records(result.pathspec).run.params).toEqual({ alpha: 4, label: 'tuned' });

    const bad = await run(nb, ['--param', 'alpha=lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--param alpha=lots: expected a number');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  test('two runs of the same flow started at once both succeed with distinct ids', async () => {
    const hello = path.join(REPO, 'examples', 'hello.ipynb');
    const [a, b] = await Promise.all([
      run(hello, ['--max-workers', '1']),
      run(hello, ['--max-workers', '1']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.pathspec).not.toBe(b.pathspec);
    expect(artifact(a.pathspec, 'join', 'out')).toBe(3);
    expect(artifact(b.pathspec, 'join', 'out')).toBe(3);
  });

  test('an artifact that cannot be stored fails the task naming it', async () => {
    const nb = writeNotebook(work, 'unstorable.ipynb', [
      { tags: ['step:start'], source: 'self.fn = () => 1;' },
      { tags: ['step:end'], source: '' },
    ]);
    const result = await run(nb);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/'fn'|\bfn\b/);
  });
});

function snapshotObjects(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of fs.readdirSync(dir)) {
    for (const name of fs.readdirSync(path.join(dir, sub))) {
      // An object written again is a new file (temp + rename): a new inode. Its mtime is no witness:
      // storing an object that exists refreshes it for the collector (objects.ts).
      const stat = fs.statSync(path.join(dir, sub, name));
      out.set(`${sub}/${name}`, `${stat.ino}:${stat.size}`);
    }
  }
  return out;
}
