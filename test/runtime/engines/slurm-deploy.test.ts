// `cellflow deploy NB --engine slurm --schedule CRON` on the real one-node cluster with Slurm's own
// scrontab (built by scripts/setup-test-peers.js from Debian's slurm-wlm source): the entry is
// installed beside the user's own lines, the controller holds it as a pending cron job with its
// next start, the job's stored script really runs the flow on Slurm, a second deploy replaces it and
// --remove takes it away.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../../helpers/cli';
import { notebookJson, removeTempDir, tempDir } from '../../helpers/notebook';
import { slurmUnavailableReason, startSlurmCluster, type SlurmCluster } from '../../helpers/slurm-cluster';
import { Datastore } from '../../../src/runtime/datastore/datastore';

const { peerPaths } = require('../../../scripts/setup-test-peers.js') as {
  peerPaths: () => { scrontab: string };
};
const SCRONTAB = peerPaths().scrontab;
const reason =
  slurmUnavailableReason() ??
  (fs.existsSync(SCRONTAB) ? undefined : `no scrontab at ${SCRONTAB} (npm run setup:test builds it)`);
const describeSlurm = reason ? describe.skip : describe;
if (reason) {
  console.warn(`skipping the Slurm deploy tests: ${reason}`);
}

const USER_LINES = "# my own backup, not cellflow's\n#SCRON --job-name=mine\n30 4 * * * true\n";

/** The next local time after `from` whose minute is a multiple of `every`, as squeue prints it. */
function nextMinuteMultiple(from: Date, every: number): string {
  const t = new Date(from);
  t.setSeconds(0, 0);
  do {
    t.setMinutes(t.getMinutes() + 1);
  } while (t.getMinutes() % every !== 0);
  return localIso(t);
}

function nextThreeAm(from: Date): string {
  const t = new Date(from);
  t.setHours(3, 0, 0, 0);
  if (t <= from) {
    t.setDate(t.getDate() + 1);
  }
  return localIso(t);
}

function localIso(t: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}T${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

describeSlurm('cellflow deploy --engine slurm (scrontab)', () => {
  let cluster: SlurmCluster;
  let work: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    cluster = await startSlurmCluster();
    work = tempDir('cellflow-slurm-deploy-');
    env = {
      ...cluster.env,
      PATH: `${path.dirname(SCRONTAB)}:${process.env.PATH}`,
      CELLFLOW_HOME: path.join(work, 'ds'),
    };
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
    if (work) {
      removeTempDir(work);
    }
  });

  const sh = (command: string, args: string[]) =>
    spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  const deploy = (args: string[]) => cellflow(['deploy', ...args], { cwd: work, env, timeoutMs: 60_000 });
  const cronJobs = () =>
    sh('squeue', ['-h', '-o', '%i|%j|%T|%S|%r'])
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('|'));

  test('installs, lists, runs, replaces and removes the flow entry, keeping the user lines', async () => {
    const nb = path.join(work, 'nightly.ipynb');
    const notebook = JSON.parse(
      notebookJson(
        [
          { tags: ['step:start'], source: 'self.x = 20;' },
          { tags: ['step:end'], source: 'self.y = self.x + 1;\nconsole.log("y", self.y);' },
        ],
        'nightly',
      ),
    );
    notebook.metadata.cellflow.schedule = '0 3 * * *';
    fs.writeFileSync(nb, JSON.stringify(notebook, null, 1) + '\n');
    const mine = path.join(work, 'mine.crontab');
    fs.writeFileSync(mine, USER_LINES);
    expect(sh('scrontab', [mine]).status).toBe(0);

    // Install, every 5 minutes.
    const before = new Date();
    const installed = await deploy([
      nb,
      '--engine',
      'slurm',
      '--schedule',
      '*/5 * * * *',
      '--partition',
      cluster.partition,
    ]);
    const after = new Date();
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(
      /installed flow 'nightly' in the scrontab: '\*\/5 \* \* \* \*' \(job \d+, next start /,
    );
    const listed = sh('scrontab', ['-l']).stdout;
    expect(listed.startsWith(USER_LINES)).toBe(true);
    const block = listed.slice(USER_LINES.length).split('\n');
    expect(block[0]).toMatch(/^# cellflow:begin nightly /);
    expect(block[1]).toBe(
      `#SCRON --job-name=cellflow-nightly --chdir=${work} --output=${path.join(work, 'ds', 'cache', 'slurm', 'nightly', 'cron-%j.out')} --partition=${cluster.partition}`,
    );
    expect(block[2]).toMatch(/^\*\/5 \* \* \* \* /);
    expect(block[2]).toContain(
      `--datastore ${path.join(work, 'ds')} run ${nb} --engine slurm --partition debug`,
    );
    expect(block[3]).toBe('# cellflow:end nightly');
    const job = cronJobs().find((j) => j[1] === 'cellflow-nightly')!;
    expect(job).toBeDefined();
    expect(job[2]).toBe('PENDING');
    expect(job[4]).toBe('BeginTime');
    expect([nextMinuteMultiple(before, 5), nextMinuteMultiple(after, 5)]).toContain(job[3]);
    expect(installed.stdout).toContain(`(job ${job[0]}, next start ${job[3]})`);
    const shown = sh('scontrol', ['show', 'job', '-o', job[0]]).stdout;
    expect(shown).toMatch(/ CronJob=Yes /);
    expect(shown).toContain(' CrontabSpec="0,5,10,15,20,25,30,35,40,45,50,55 * * * *" ');
    expect(shown).toContain(` WorkDir=${work} `);
    expect(cronJobs().map((j) => j[1])).toContain('mine');

    // What the controller will start at that time: its stored script, run now as a batch job with
    // the login environment a cron job gets (--export=NONE), really runs the flow on Slurm.
    const script = sh('scontrol', ['write', 'batch_script', job[0], '-']);
    expect(script.status).toBe(0);
    expect(script.stdout).toContain('run ' + nb);
    const scriptFile = path.join(work, 'cron-script.sh');
    fs.writeFileSync(scriptFile, script.stdout);
    const output = path.join(work, 'fired.out');
    const fired = sh('sbatch', [
      '--parsable',
      '--export=NONE',
      `--chdir=${work}`,
      `--output=${output}`,
      scriptFile,
    ]);
    expect(fired.stderr).toBe('');
    const firedId = fired.stdout.trim();
    let state = '';
    for (let i = 0; i < 600 && !/JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT)/.test(state); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = sh('scontrol', ['show', 'job', '-o', firedId]).stdout;
    }
    const firedOutput = fs.existsSync(output) ? fs.readFileSync(output, 'utf8') : '';
    expect({ state: /JobState=(\S+)/.exec(state)?.[1], firedOutput }).toEqual({
      state: 'COMPLETED',
      firedOutput: expect.stringMatching(/✓ run succeeded: nightly\//),
    });
    const datastore = Datastore.open({ root: path.join(work, 'ds') });
    const [runId] = datastore.listRuns('nightly');
    const record = datastore.readRun('nightly', runId);
    expect(record.status).toBe('succeeded');
    expect(record.engine).toEqual({ name: 'slurm', partition: cluster.partition });

    // A second deploy, with the notebook's own schedule, replaces the entry (and its job).
    const replaced = await deploy([nb, '--engine', 'slurm']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(/replaced flow 'nightly' in the scrontab: '0 3 \* \* \*'/);
    const relisted = sh('scrontab', ['-l']).stdout;
    expect(relisted.startsWith(USER_LINES)).toBe(true);
    expect(relisted.match(/# cellflow:begin nightly/g)).toHaveLength(1);
    expect(relisted).toMatch(/\n0 3 \* \* \* /);
    const nightly = cronJobs().filter((j) => j[1] === 'cellflow-nightly');
    expect(nightly).toHaveLength(1);
    expect(nightly[0][0]).not.toBe(job[0]);
    expect(nightly[0][3]).toBe(nextThreeAm(new Date()));

    // --remove takes the entry and its job away; the user's line and job stay.
    const removed = await deploy([nb, '--engine', 'slurm', '--remove']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe("removed flow 'nightly' from the scrontab\n");
    expect(sh('scrontab', ['-l']).stdout).toBe(USER_LINES);
    expect(cronJobs().map((j) => j[1])).toEqual(['mine']);
    const again = await deploy([nb, '--engine', 'slurm', '--remove']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("no scrontab entry for flow 'nightly': nothing removed\n");
  }, 120_000);

  test('a malformed schedule, or none, is bad input (exit 2) and leaves the scrontab alone', async () => {
    const nb = path.join(work, 'plain.ipynb');
    fs.writeFileSync(
      nb,
      notebookJson([
        { tags: ['step:start'], source: 'self.x = 1;' },
        { tags: ['step:end'], source: '' },
      ]),
    );
    const listedBefore = sh('scrontab', ['-l']).stdout;
    const bad = await deploy([nb, '--engine', 'slurm', '--schedule', 'every night']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--schedule: 'every night' is not a cron expression/);
    const none = await deploy([nb, '--engine', 'slurm']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/plain\.ipynb: deploy --engine slurm needs --schedule CRON/);
    expect(sh('scrontab', ['-l']).stdout).toBe(listedBefore);
  });
});
