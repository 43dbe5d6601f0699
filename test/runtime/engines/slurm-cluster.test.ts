// The test cluster itself: it comes up, runs a batch job, and is gone after stop().
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../../helpers/slurm-cluster';

const reason = slurmUnavailableReason();
const describeSlurm = reason ? describe.skip : describe;
if (reason) {
  console.warn(`skipping the Slurm cluster tests: ${reason}`);
}

describeSlurm('the Slurm test cluster', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
  }, 40_000);
  afterAll(async () => cluster?.stop());

  test('runs a batch job and reports its exit code', async () => {
    const env = { ...process.env, ...cluster.env };
    const submitted = spawnSync('sbatch', ['--parsable', '--wrap', 'exit 3', '-o', '/dev/null'], {
      env,
      encoding: 'utf8',
    });
    expect(submitted.stderr).toBe('');
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^\d+$/);
    let line = '';
    for (let i = 0; i < 300 && !/JobState=FAILED/.test(line); i++) {
      line = spawnSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' }).stdout;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(line).toMatch(/JobState=FAILED/);
    expect(line).toMatch(/ExitCode=3:0/);
  });

  test('stop() removes its folder', async () => {
    const other = await startSlurmCluster();
    await other.stop();
    expect(fs.existsSync(other.dir)).toBe(false);
  }, 40_000);
});
