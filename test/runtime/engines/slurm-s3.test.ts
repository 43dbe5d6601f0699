// The Slurm engine beyond a shared folder, on the real one-node cluster: runs whose datastore is a
// real S3 server (versitygw), the jobs reaching it with the credentials of the submitting
// environment and none in their batch scripts; resume of a failed one; and `reproduce` of a Slurm
// run, which re-runs on Slurm as the record says (or says how to run it locally).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../../helpers/notebook';
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../../helpers/slurm-cluster';
import { artifactsByPosition, FANOUT, fanoutFailingWhile } from '../../helpers/slurm-flows';
import { startS3Server, useS3Env, type S3Server } from '../../helpers/s3-server';
import { Datastore } from '../../../src/runtime/datastore/datastore';
import { taskKey } from '../../../src/runtime/execution/scheduler';
import type { RunRecord, TaskRecord } from '../../../src/runtime/records';

const reason = slurmUnavailableReason();
const describeSlurm = reason ? describe.skip : describe;
if (reason) {
  console.warn(`skipping the Slurm-on-S3 and Slurm reproduce tests: ${reason}`);
}

describeSlurm('--engine slurm on S3, and reproduce of a Slurm run', () => {
  let cluster: SlurmCluster;
  let server: S3Server;
  let restoreEnv: () => void;
  let work: string;
  beforeAll(async () => {
    [cluster, server] = await Promise.all([startSlurmCluster(), startS3Server()]);
    restoreEnv = useS3Env(server); // for this process's own reads of the bucket
    work = tempDir('cellflow-slurm-s3-');
  }, 40_000);
  afterAll(async () => {
    restoreEnv?.();
    await Promise.all([cluster?.stop(), server?.stop()]);
    if (work) {
      removeTempDir(work);
    }
  });

  // Only the cellflow commands get the S3 variables (the Slurm daemons were started without them):
  // a job sees them only if sbatch passes the submitting environment on.
  const env = (extra: Record<string, string> = {}) => ({
    ...cluster.env,
    ...server.env,
    CELLFLOW_HOME: path.join(work, 'home'),
    CELLFLOW_RETRY_BACKOFF_MS: '50',
    ...extra,
  });

  async function cli(args: string[], extra: Record<string, string> = {}) {
    const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
    const result = await cellflow([...args, '--run-id-file', idFile], {
      cwd: work,
      env: env(extra),
      timeoutMs: 120_000,
    });
    const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
    return { ...result, pathspec };
  }

  function records(root: string, pathspec: string): { run: RunRecord; tasks: TaskRecord[] } {
    const [flow, runId] = pathspec.split('/');
    const datastore = Datastore.open({ root });
    return { run: datastore.readRun(flow, runId), tasks: datastore.listTasks(flow, runId) };
  }

  /** The batch scripts the controller holds for a run's jobs (`scontrol write batch_script`). */
  function batchScripts(pathspec: string): string[] {
    const slurm = (args: string[]) =>
      spawnSync(args[0], args.slice(1), { env: { ...process.env, ...cluster.env }, encoding: 'utf8' });
    const name = `cellflow-${pathspec.replace('/', '-')}-`;
    const jobs = slurm(['scontrol', 'show', 'job', '-o'])
      .stdout.split('\n')
      .filter((line) => line.includes(` JobName=${name}`))
      .map((line) => /(?:^|\s)ArrayJobId=(\d+)/.exec(line)?.[1] ?? /^JobId=(\d+)/.exec(line)![1]);
    return [...new Set(jobs)].map((job) => slurm(['scontrol', 'write', 'batch_script', job, '-']).stdout);
  }

  test('a foreach on Slurm over S3 gives the artifacts a local run gives; no secret in the job scripts', async () => {
    const nb = writeNotebook(work, 'fanout.ipynb', FANOUT);
    const location = server.url('slurm-fanout');
    // A site that starts jobs clean by default: the run's own jobs still get its environment.
    const slurm = await cli(['run', nb, '--engine', 'slurm', '--datastore', location], {
      SBATCH_EXPORT: 'NONE',
    });
    expect(slurm.stderr).toBe('');
    expect(slurm.code).toBe(0);
    expect(slurm.stdout).toMatch(/\[body\/\d+\] sq 9/);
    const local = await cli(['run', nb, '--datastore', location]);
    expect(local.code).toBe(0);
    const s = records(location, slurm.pathspec);
    const l = records(location, local.pathspec);
    expect(s.run.status).toBe('succeeded');
    expect(s.run.engine).toEqual({ name: 'slurm' });
    expect(s.tasks).toHaveLength(6);
    expect(artifactsByPosition(s.tasks)).toEqual(artifactsByPosition(l.tasks));
    const [flow, runId] = slurm.pathspec.split('/');
    const body = s.tasks.find((t) => t.step === 'body' && t.foreachStack[0].index === 2)!;
    expect(
      await Datastore.open({ root: location }).readLog(flow, runId, 'body', body.taskId, 0, 'stdout'),
    ).toBe('sq 9\n');
    // The jobs found the bucket through the environment sbatch passed on, not through their scripts.
    const scripts = batchScripts(slurm.pathspec);
    expect(scripts).toHaveLength(4); // start, the body array, gather, end
    for (const script of scripts) {
      expect(script).toContain(`CELLFLOW_DATASTORE=${location}`);
      expect(script).not.toContain(server.env.AWS_SECRET_ACCESS_KEY);
      expect(script).not.toContain('AWS_');
    }
  }, 90_000);

  test('a failed Slurm run on S3 resumes on Slurm, re-running only the failed element', async () => {
    const marker = path.join(work, 'fail-element-1');
    fs.writeFileSync(marker, '');
    const nb = writeNotebook(work, 'resumable.ipynb', fanoutFailingWhile(marker));
    const location = server.url('slurm-resume');
    const failed = await cli(['run', nb, '--engine', 'slurm', '--datastore', location]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/element 1 fails/);
    expect(records(location, failed.pathspec).run.status).toBe('failed');
    fs.rmSync(marker);
    const resumed = await cli(['resume', failed.pathspec, '--datastore', location]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const { run: record, tasks } = records(location, resumed.pathspec);
    expect(record.status).toBe('succeeded');
    expect(record.engine?.name).toBe('slurm');
    const rerun = tasks.filter((t) => !t.reusedFrom).map((t) => taskKey(t.step, t.foreachStack));
    expect(rerun.sort()).toEqual(['body@start.1', 'end@', 'gather@'].sort());
    const end = tasks.find((t) => t.step === 'end')!;
    expect(await Datastore.open({ root: location }).loadArtifact(end.artifacts.total)).toBe(14);
  }, 90_000);

  test('reproduce of a Slurm run re-runs it on Slurm and proves it identical; without sbatch it says what to do', async () => {
    const project = path.join(work, 'project');
    fs.mkdirSync(project);
    const manifest = { name: 'fanout', version: '1.0.0', private: true };
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest));
    fs.writeFileSync(
      path.join(project, 'package-lock.json'),
      JSON.stringify({ ...manifest, lockfileVersion: 3, requires: true, packages: { '': manifest } }),
    );
    const nb = writeNotebook(project, 'fanout.ipynb', FANOUT);
    const home = path.join(work, 'ds-reproduce');
    const original = await cli(['run', nb, '--engine', 'slurm', '--partition', cluster.partition], {
      CELLFLOW_HOME: home,
    });
    expect(original.code).toBe(0);

    // Where no Slurm client is, reproduce refuses before it lays anything out, naming the way out.
    const noSlurm = await cli(['reproduce', original.pathspec], {
      CELLFLOW_HOME: home,
      PATH: path.join(work, 'no-bin'),
    });
    expect(noSlurm.code).toBe(2);
    expect(noSlurm.stderr).toMatch(/ran on Slurm.*'sbatch' is not on PATH.*--engine local/s);

    const reproduced = await cli(['reproduce', original.pathspec, '--in', path.join(work, 'reproduced')], {
      CELLFLOW_HOME: home,
    });
    expect(reproduced.code).toBe(0);
    expect(reproduced.stdout).toMatch(/on Slurm \(partition debug\)/);
    expect(reproduced.stdout).toMatch(/✓ reproduced: .* \(\d+ identical, 0 different, 0 missing, 0 added\)/);
    const first = records(home, original.pathspec);
    const again = records(home, reproduced.pathspec);
    expect(again.run.engine).toEqual({ name: 'slurm', partition: cluster.partition });
    expect(again.run.origin).toMatchObject({ kind: 'reproduce', pathspec: original.pathspec });
    expect(again.run.origin?.verdict?.result).toBe('identical');
    expect(artifactsByPosition(again.tasks)).toEqual(artifactsByPosition(first.tasks));
  }, 90_000);
});
