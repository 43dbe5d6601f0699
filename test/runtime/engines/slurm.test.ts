// `cellflow run --engine slurm` on a real one-node Slurm cluster (slurm-wlm, munge): every task a
// batch job, a foreach a job array, retries resubmitted, a job killed with scancel, and resume.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../../helpers/notebook';
import { artifactsByPosition, FANOUT, fanoutFailingWhile } from '../../helpers/slurm-flows';
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../../helpers/slurm-cluster';
import { Datastore } from '../../../src/runtime/datastore/datastore';
import { taskKey } from '../../../src/runtime/execution/scheduler';
import type { RunRecord, TaskRecord } from '../../../src/runtime/records';
import { schemaErrors } from '../../helpers/run-schema';

const reason = slurmUnavailableReason();
const describeSlurm = reason ? describe.skip : describe;
if (reason) {
  console.warn(`skipping the Slurm engine tests: ${reason}`);
}

describeSlurm('cellflow run --engine slurm', () => {
  let cluster: SlurmCluster;
  let work: string;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
    work = tempDir('cellflow-slurm-run-');
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
    if (work) {
      removeTempDir(work);
    }
  });

  const env = (home: string) => ({ ...cluster.env, CELLFLOW_HOME: home, CELLFLOW_RETRY_BACKOFF_MS: '50' });

  async function run(args: string[], home: string) {
    const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
    const result = await cellflow([...args, '--run-id-file', idFile], {
      cwd: work,
      env: env(home),
      timeoutMs: 120_000,
    });
    const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
    return { ...result, pathspec };
  }

  function records(home: string, pathspec: string): { run: RunRecord; tasks: TaskRecord[] } {
    const [flow, runId] = pathspec.split('/');
    const datastore = Datastore.open({ root: home });
    return { run: datastore.readRun(flow, runId), tasks: datastore.listTasks(flow, runId) };
  }

  test('a foreach runs as a job array and gives the artifacts a local run gives', async () => {
    const nb = writeNotebook(work, 'fanout.ipynb', FANOUT);
    const home = path.join(work, 'ds-fanout');
    const slurm = await run(['run', nb, '--engine', 'slurm', '--partition', cluster.partition], home);
    expect(slurm.stderr).toBe('');
    expect(slurm.code).toBe(0);
    expect(slurm.stdout).toMatch(/\[body\/\d+\] sq 9/);
    expect(slurm.stdout).toMatch(/✓ run succeeded/);
    const local = await run(['run', nb], home);
    expect(local.code).toBe(0);
    const s = records(home, slurm.pathspec);
    const l = records(home, local.pathspec);
    expect(s.run.status).toBe('succeeded');
    expect(s.run.engine).toEqual({ name: 'slurm', partition: cluster.partition });
    expect(schemaErrors('run', s.run)).toEqual([]);
    for (const t of s.tasks) {
      expect(schemaErrors('task', t)).toEqual([]);
    }
    expect(s.tasks).toHaveLength(6);
    expect(artifactsByPosition(s.tasks)).toEqual(artifactsByPosition(l.tasks));
    // Each task's output is in the datastore as for a local run.
    const body = s.tasks.find((t) => t.step === 'body' && t.foreachStack[0].index === 2)!;
    const [flow, runId] = slurm.pathspec.split('/');
    const log = await Datastore.open({ root: home }).readLog(flow, runId, 'body', body.taskId, 0, 'stdout');
    expect(log).toBe('sq 9\n');
  }, 90_000);

  test('a job killed with scancel fails its attempt and the resubmitted attempt succeeds', async () => {
    const marker = path.join(work, 'slow-started');
    const nb = writeNotebook(work, 'killed.ipynb', [
      { tags: ['step:start'], source: 'self.x = 1;' },
      {
        tags: ['step:slow', 'retry:1'],
        source: [
          "const fs = require('fs');",
          `if (!fs.existsSync(${JSON.stringify(marker)})) {`,
          `  fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid));`,
          '  await new Promise((resolve) => setTimeout(resolve, 120000));',
          '}',
          'self.y = self.x + 1;',
        ].join('\n'),
      },
      { tags: ['step:end'], source: 'console.log(self.y);' },
    ]);
    const home = path.join(work, 'ds-killed');
    const running = run(['run', nb, '--engine', 'slurm'], home);
    // Once the first attempt is inside the step, cancel its job as an operator would.
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(marker) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(fs.existsSync(marker)).toBe(true);
    const jobs = spawnSync('squeue', ['-h', '-o', '%i %j'], {
      env: { ...process.env, ...cluster.env },
      encoding: 'utf8',
    });
    const slowJob = jobs.stdout
      .split('\n')
      .find((line) => line.endsWith('-slow'))!
      .split(' ')[0];
    expect(spawnSync('scancel', [slowJob], { env: { ...process.env, ...cluster.env } }).status).toBe(0);
    const result = await running;
    expect(result.code).toBe(0);
    const { run: record, tasks } = records(home, result.pathspec);
    expect(record.status).toBe('succeeded');
    const slow = tasks.find((t) => t.step === 'slow')!;
    expect(slow.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(slow.attempts[0].error?.message).toMatch(/killed by SIG|exited with code/);
    expect(result.stdout).toMatch(/\[end\/\d+\] 2/);
  }, 90_000);

  test('a failed Slurm run ends failed, and resume re-runs only the failed element on Slurm', async () => {
    const marker = path.join(work, 'fail-element-1');
    fs.writeFileSync(marker, '');
    const nb = writeNotebook(work, 'resumable.ipynb', fanoutFailingWhile(marker));
    const home = path.join(work, 'ds-resume');
    const failed = await run(['run', nb, '--engine', 'slurm'], home);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/element 1 fails/);
    expect(records(home, failed.pathspec).run.status).toBe('failed');
    fs.rmSync(marker);
    const resumed = await run(['resume', failed.pathspec], home);
    expect(resumed.code).toBe(0);
    const { run: record, tasks } = records(home, resumed.pathspec);
    expect(record.status).toBe('succeeded');
    expect(record.engine?.name).toBe('slurm'); // the origin's engine
    expect(record.origin?.pathspec).toBe(failed.pathspec);
    const rerun = tasks.filter((t) => !t.reusedFrom).map((t) => taskKey(t.step, t.foreachStack));
    expect(rerun.sort()).toEqual(['body@start.1', 'end@', 'gather@'].sort());
    const end = tasks.find((t) => t.step === 'end')!;
    expect(Datastore.open({ root: home }).loadArtifactSync(end.artifacts.total)).toBe(14);
  }, 120_000);
});
