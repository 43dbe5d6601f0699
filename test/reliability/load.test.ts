// Concurrency and load with real processes: ten runs of one flow at once into one datastore, and a
// foreach whose scheduler's peak RSS is measured against the memory budget. The 2,000-task figure is
// measured by hand (see ARCHITECTURE.md "Guarantees"; about 4 minutes on the shared 2-core machine);
// CI runs 200 tasks, which exercises the same code paths.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';

/** The scheduler's budget (issue 3: a 10,000-task foreach under 300 MB peak RSS). */
const SCHEDULER_RSS_BUDGET_MB = 300;

let work: string;
beforeAll(() => {
  work = tempDir('cellflow-load-');
});
afterAll(() => removeTempDir(work));

test('10 runs of the same flow at once all succeed with distinct ids and intact records', async () => {
  const home = path.join(work, 'concurrent');
  const hello = path.join(REPO, 'examples', 'hello.ipynb');
  const results = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const idFile = path.join(work, `concurrent-${i}.id`);
      const result = await cellflow(['run', hello, '-q', '--max-workers', '1', '--run-id-file', idFile], {
        env: { CELLFLOW_HOME: home },
        timeoutMs: 120_000,
      });
      return { ...result, pathspec: fs.readFileSync(idFile, 'utf8').trim() };
    }),
  );
  for (const result of results) {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  }
  const ids = results.map((r) => r.pathspec);
  expect(new Set(ids).size).toBe(10);
  const ds = Datastore.open({ root: home });
  expect(ds.listRuns('hello')).toHaveLength(10);
  for (const pathspec of ids) {
    const [flow, runId] = pathspec.split('/');
    const run = ds.readRun(flow, runId);
    expect(run.status).toBe('succeeded');
    expect(schemaErrors('run', run)).toEqual([]);
    const tasks = ds.listTasks(flow, runId);
    expect(tasks.map((t) => t.step).sort()).toEqual(['a', 'b', 'end', 'join', 'start']);
    for (const task of tasks) {
      expect(schemaErrors('task', task)).toEqual([]);
      expect(task.runId).toBe(runId);
      for (const parent of task.parents) {
        expect(parent.startsWith(`${pathspec}/`)).toBe(true);
      }
    }
    const join = tasks.find((t) => t.step === 'join')!;
    expect(ds.loadArtifactSync(join.artifacts.out)).toBe(3);
  }
  const check = await cellflow(['fsck', '--datastore', home, '--json']);
  expect(check.code).toBe(0);
  const report = JSON.parse(check.stdout);
  expect(report.runs).toBe(10);
  expect(report.tasks).toBe(50);
  expect(report.strayFiles).toEqual([]);
}, 180_000);

test('a 200-task foreach completes within the scheduler memory budget (peak RSS measured)', async () => {
  const home = path.join(work, 'foreach');
  const notebook = path.join(REPO, 'bench', 'flows', 'foreach_noop.ipynb');
  // The scheduler is this process: it reports its own peak RSS (getrusage) when the run is over.
  const measured = `
    require(${JSON.stringify(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))})
      .main([process.execPath, 'cellflow', 'run', ${JSON.stringify(notebook)}, '--param', 'tasks=200', '--max-workers', '2', '-q'])
      .then(() => process.stdout.write('RSS ' + process.resourceUsage().maxRSS + '\\n'));`;
  const started = Date.now();
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', measured], {
      env: { ...process.env, CELLFLOW_HOME: home, CI: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (exit) => resolve({ code: exit, stdout: out }));
  });
  expect({ code, tail: code === 0 ? '' : stdout.slice(-3000) }).toEqual({ code: 0, tail: '' });
  expect(stdout).toMatch(/✓ run succeeded: BenchForeach\/\S+ \(203 tasks done, 0 failed/);
  const peakMb = Number(/RSS (\d+)/.exec(stdout)![1]) / 1024;
  console.log(
    `200-task foreach: scheduler peak RSS ${peakMb.toFixed(1)} MB, ${Date.now() - started} ms wall`,
  );
  expect(peakMb).toBeLessThan(SCHEDULER_RSS_BUDGET_MB);
  const ds = Datastore.open({ root: home });
  const [runId] = ds.listRuns('BenchForeach');
  const join = ds.listTasks('BenchForeach', runId, 'join')[0];
  expect(ds.loadArtifactSync(join.artifacts.count)).toBe(200);
}, 240_000);
