// The sbatch options and batch script for a step's tasks (pure), and reading the controller's job states.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { slurmJob, shellQuote } from '../../../src/runtime/engines/slurm-script';
import { parseJobStates } from '../../../src/runtime/engines/slurm';
import type { StepOptions } from '../../../src/core/model';

const options = (extra: Partial<StepOptions> = {}): StepOptions => ({
  retry: 0,
  resources: {},
  env: {},
  ...extra,
});
const base = {
  run: 'Flow/1700000000000-00000000abcd',
  step: 'body',
  attempt: 0,
  cellflow: ['/usr/bin/node', '/opt/cellflow/bin/cellflow.js'],
  datastore: 's3://bucket/prefix',
  logDir: '/shared/logs',
};

test('tags become sbatch options: timeout → --time (minutes), resources → cpus, mem, gres', () => {
  const job = slurmJob({
    ...base,
    tasks: [{ taskId: '2', inputPaths: ['start/1'] }],
    options: options({ timeoutSeconds: 90, resources: { cpu: 4, memoryMb: 2048, gpu: 1 } }),
    partition: 'gpu',
    after: ['11', '12'],
  });
  expect(job.args).toEqual([
    '--parsable',
    '--job-name=cellflow-Flow-1700000000000-00000000abcd-body',
    '--output=/dev/null',
    '--error=/dev/null',
    '--export=ALL',
    '--partition=gpu',
    '--dependency=afterok:11:12',
    '--time=2',
    '--cpus-per-task=4',
    '--mem=2048M',
    '--gres=gpu:1',
  ]);
  expect(job.script).toContain('--max-old-space-size=2048');
});

test('several tasks are one job array; each element runs cellflow step for its own task', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-sbatch-'));
  const job = slurmJob({
    ...base,
    logDir: dir,
    attempt: 1,
    cellflow: ['/bin/echo'],
    tasks: [0, 1, 2].map((i) => ({ taskId: String(i + 2), inputPaths: ['start/1'], splitIndex: i })),
    options: options(),
  });
  expect(job.args).toContain('--array=0-2');
  // Run the script as Slurm would for element 1: /bin/echo shows the command it would start.
  const script = path.join(dir, 'job.sh');
  fs.writeFileSync(script, job.script);
  const ran = spawnSync('bash', [script], {
    env: { ...process.env, SLURM_ARRAY_TASK_ID: '1' },
    encoding: 'utf8',
  });
  expect(ran.status).toBe(0);
  expect(fs.readFileSync(job.logs[1].stdout, 'utf8')).toBe(
    'step Flow/1700000000000-00000000abcd body 3 --attempt 1 --input-paths start/1 --split-index 1\n',
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('shell quoting keeps hostile words whole', () => {
  expect(shellQuote("it's; rm -rf /")).toBe("'it'\\''s; rm -rf /'");
  expect(shellQuote('s3://b/p')).toBe('s3://b/p');
});

test('job states: plain jobs, started array elements, and pending ranges', () => {
  const states = parseJobStates(
    [
      'JobId=7 JobName=a UserId=root(0) JobState=COMPLETED Reason=None ExitCode=0:0',
      'JobId=9 ArrayJobId=8 ArrayTaskId=1 JobName=b JobState=CANCELLED ExitCode=0:15',
      'JobId=8 ArrayJobId=8 ArrayTaskId=2-3,5%2 JobName=b JobState=PENDING ExitCode=0:0',
      'JobId=10 JobName=c JobState=FAILED ExitCode=1:0',
    ].join('\n'),
  );
  expect(states.get('7')).toEqual({ state: 'COMPLETED', code: 0, signal: 0 });
  expect(states.get('8_1')).toEqual({ state: 'CANCELLED', code: 0, signal: 15 });
  expect([...states.keys()].filter((k) => k.startsWith('8_')).sort()).toEqual(['8_1', '8_2', '8_3', '8_5']);
  expect(states.get('10')).toEqual({ state: 'FAILED', code: 1, signal: 0 });
});
