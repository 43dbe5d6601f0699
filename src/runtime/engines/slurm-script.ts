// What Slurm is given for a group of tasks of one step: the sbatch options (from the step's tags) and
// the batch script, which runs `cellflow step` for the task its array index names. Pure: the same
// tasks give the same job, so it is unit-tested without a cluster.
import type { StepOptions } from '../../core/model';
import { killGraceMs } from '../execution/step-timeout';

/** One task of the group: what `cellflow step` needs besides the run and the step. */
export interface SlurmTask {
  taskId: string;
  /** Parent tasks as `step/taskId` (within the run). */
  inputPaths: string[];
  splitIndex?: number;
  iteration?: number;
}

export interface SlurmJobRequest {
  /** Flow/runId */
  run: string;
  step: string;
  attempt: number;
  /** One task: a plain job; more (a foreach's elements): a job array, one element a task. */
  tasks: SlurmTask[];
  options: StepOptions;
  /** The command that starts cellflow on a node, e.g. ['/usr/bin/node', '/opt/cellflow/bin/cellflow.js']. */
  cellflow: string[];
  datastore: string;
  /** A folder every node shares: each task writes its stdout and stderr there. */
  logDir: string;
  partition?: string;
  /** Job ids this job waits for (`afterok`). */
  after?: string[];
}

export interface SlurmJob {
  /** sbatch's arguments (the script goes on its standard input). */
  args: string[];
  script: string;
  /** The log files of each task, in task order. */
  logs: { stdout: string; stderr: string }[];
}

export function logFiles(logDir: string, step: string, taskId: string, attempt: number) {
  const base = `${logDir}/${step}.${taskId}.${attempt}`;
  return { stdout: `${base}.stdout`, stderr: `${base}.stderr` };
}

export function slurmJob(request: SlurmJobRequest): SlurmJob {
  const { run, step, attempt, tasks, options } = request;
  if (tasks.length === 0) {
    throw new Error('a Slurm job needs at least one task');
  }
  const args = ['--parsable', `--job-name=cellflow-${run.replace('/', '-')}-${step}`];
  args.push('--output=/dev/null', '--error=/dev/null'); // each task's own log files are below
  // The task sees the environment of the run that submitted it, as a local task does: the S3
  // endpoint and credentials travel there, never in the script, whatever a site's SBATCH_EXPORT says.
  args.push('--export=ALL');
  if (tasks.length > 1) {
    args.push(`--array=0-${tasks.length - 1}`);
  }
  if (request.partition) {
    args.push(`--partition=${request.partition}`);
  }
  if (request.after && request.after.length > 0) {
    args.push(`--dependency=afterok:${request.after.join(':')}`);
  }
  if (options.timeoutSeconds) {
    // The step's own timer fails it in time; Slurm's limit (whole minutes) is the backstop.
    const seconds = options.timeoutSeconds + killGraceMs(options.timeoutSeconds) / 1000;
    args.push(`--time=${Math.ceil(seconds / 60)}`);
  }
  const { cpu, memoryMb, gpu } = options.resources;
  if (cpu) {
    args.push(`--cpus-per-task=${cpu}`);
  }
  if (memoryMb) {
    args.push(`--mem=${memoryMb}M`);
  }
  if (gpu) {
    args.push(`--gres=gpu:${gpu}`);
  }

  const logs = tasks.map((t) => logFiles(request.logDir, step, t.taskId, attempt));
  const column = (values: (string | number | undefined)[]) =>
    `(${values.map((v) => shellQuote(v === undefined ? '' : String(v))).join(' ')})`;
  const lines = [
    '#!/bin/bash',
    `# cellflow: ${run} step ${step}, attempt ${attempt}, ${tasks.length} task${tasks.length === 1 ? '' : 's'}`,
    `TASK_IDS=${column(tasks.map((t) => t.taskId))}`,
    `INPUT_PATHS=${column(tasks.map((t) => t.inputPaths.join(',')))}`,
    `SPLIT_INDEX=${column(tasks.map((t) => t.splitIndex))}`,
    `ITERATION=${column(tasks.map((t) => t.iteration))}`,
    `STDOUT=${column(logs.map((l) => l.stdout))}`,
    `STDERR=${column(logs.map((l) => l.stderr))}`,
    'i=${SLURM_ARRAY_TASK_ID:-0}',
    `export CELLFLOW_DATASTORE=${shellQuote(request.datastore)}`,
    ...(memoryMb ? [`export NODE_OPTIONS="--max-old-space-size=${memoryMb} \${NODE_OPTIONS:-}"`] : []),
    `args=(step ${shellQuote(run)} ${shellQuote(step)} "\${TASK_IDS[$i]}" --attempt ${attempt})`,
    '[ -n "${INPUT_PATHS[$i]}" ] && args+=(--input-paths "${INPUT_PATHS[$i]}")',
    '[ -n "${SPLIT_INDEX[$i]}" ] && args+=(--split-index "${SPLIT_INDEX[$i]}")',
    '[ -n "${ITERATION[$i]}" ] && args+=(--iteration "${ITERATION[$i]}")',
    `exec ${request.cellflow.map(shellQuote).join(' ')} "\${args[@]}" >"\${STDOUT[$i]}" 2>"\${STDERR[$i]}"`,
    '',
  ];
  return { args, script: lines.join('\n'), logs };
}

/** A word for bash, single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
