// `cellflow run --engine slurm`: each task is a Slurm batch job running `cellflow step`. The scheduler
// (scheduler.ts) decides what is ready, exactly as for a local run; this module is its source of task
// "processes": the ready tasks of one step that come in one turn of the event loop (a foreach's
// elements) go to Slurm as one job array, and the controller's job states say when each has ended.
// Slurm runs, places and limits the jobs; retries are resubmissions (Slurm does not retry a job that
// exits non-zero).
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import type { FlowGraph } from '../../core/model';
import { splitIndexOf } from '../../core/step-semantics';
import { formatPathspec, parseTaskPathspec } from '../datastore/pathspec';
import { UserInputError } from '../errors';
import { makeDirs } from '../make-dirs';
import { cellflowRoot } from '../repro/capture/package-version';
import type { TaskSpec } from '../execution/task-spec';
import type { TaskExit, TaskProcess, TaskProcessSource } from '../execution/worker-pool';
import { slurmJob, type SlurmTask } from './slurm-script';

export interface SlurmEngineOptions {
  graph: FlowGraph;
  datastoreRoot: string;
  logDir: string;
  partition?: string;
  /** How cellflow is started on a node; default: this Node and this cellflow's bin/cellflow.js. */
  cellflow?: string[];
  pollMs?: number;
}

/** The command a node runs: $CELLFLOW_SLURM_COMMAND (words), else this Node and this cellflow. */
export function cellflowCommand(): string[] {
  const configured = process.env.CELLFLOW_SLURM_COMMAND?.trim();
  if (configured) {
    return configured.split(/\s+/);
  }
  return [process.execPath, path.join(cellflowRoot(), 'bin', 'cellflow.js')];
}

/**
 * Fails with a clear message when the Slurm commands are not here (exit 2). `why` says what asked
 * for Slurm and `remedy` what to do instead, for callers other than `--engine slurm`.
 */
export function checkSlurmClient(
  why = '--engine slurm',
  remedy = 'install the Slurm client, or run where it is',
): void {
  for (const command of ['sbatch', 'scontrol', 'scancel']) {
    const found = spawnSync(command, ['--version'], { encoding: 'utf8' });
    if (found.error) {
      throw new UserInputError(`${why}: '${command}' is not on PATH (${remedy}).`);
    }
  }
}

const TERMINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
]);

/** A job's state as the controller reports it. */
export interface JobState {
  state: string;
  code: number;
  signal: number;
}

/**
 * Parses `scontrol show job -o` (one job a line): keys `<jobId>` for plain jobs and
 * `<arrayJobId>_<index>` for array elements that have started (pending elements are one line with a
 * range, and are simply not there yet).
 */
export function parseJobStates(text: string): Map<string, JobState> {
  const states = new Map<string, JobState>();
  for (const line of text.split('\n')) {
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(line)?.[1];
    const jobId = field('JobId');
    const state = field('JobState');
    if (!jobId || !state) {
      continue;
    }
    const [code, signal] = (field('ExitCode') ?? '0:0').split(':').map(Number);
    const arrayJob = field('ArrayJobId');
    const arrayTask = field('ArrayTaskId');
    const entry = { state, code: code || 0, signal: signal || 0 };
    if (!arrayJob || !arrayTask) {
      states.set(jobId, entry);
    }
    // Pending elements share one line with a range: "3-9", "3,5-9", "0-999%10".
    else {
      for (const index of expandRange(arrayTask)) {
        states.set(`${arrayJob}_${index}`, entry);
      }
    }
  }
  return states;
}

function expandRange(text: string): number[] {
  const indices: number[] = [];
  for (const part of text.replace(/%\d+$/, '').split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (!Number.isInteger(from)) {
      continue;
    }
    for (let i = from; i <= (Number.isInteger(to) ? to : from); i++) {
      indices.push(i);
    }
  }
  return indices;
}

/** A task as a Slurm job: its output is tailed from the log files the job writes. */
class SlurmJobTask implements TaskProcess {
  readonly child = { stdout: new PassThrough(), stderr: new PassThrough() };
  readonly finished: Promise<TaskExit>;
  spec?: TaskSpec;
  jobId?: string;
  logs?: { stdout: string; stderr: string };
  offsets = { stdout: 0, stderr: 0 };
  unseenPolls = 0;
  killed = false;
  private settle!: (exit: TaskExit) => void;
  private done = false;

  constructor(private readonly engine: SlurmEngine) {
    this.finished = new Promise((resolve) => (this.settle = resolve));
  }

  run(spec: TaskSpec): void {
    this.spec = spec;
    this.engine.enqueue(this);
  }

  kill(): void {
    this.killed = true;
    if (this.jobId) {
      this.engine.cancel(this.jobId);
    } else if (!this.done) {
      this.end({ code: null, signal: 'SIGKILL', reportedOk: false });
    }
  }

  get ended(): boolean {
    return this.done;
  }

  /** Reads what the job's task wrote since the last look. */
  tail(): void {
    if (!this.logs) {
      return;
    }
    for (const name of ['stdout', 'stderr'] as const) {
      let fd: number;
      try {
        fd = fs.openSync(this.logs[name], 'r');
      } catch {
        continue; // not started yet
      }
      try {
        const buffer = Buffer.alloc(64 * 1024);
        for (;;) {
          const read = fs.readSync(fd, buffer, 0, buffer.length, this.offsets[name]);
          if (read === 0) {
            break;
          }
          this.offsets[name] += read;
          this.child[name].write(Buffer.from(buffer.subarray(0, read)));
        }
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  end(exit: TaskExit): void {
    if (this.done) {
      return;
    }
    this.done = true;
    this.tail();
    this.child.stdout.end();
    this.child.stderr.end();
    if (this.logs) {
      for (const file of Object.values(this.logs)) {
        fs.rmSync(file, { force: true });
      }
    }
    this.settle(exit);
  }
}

export class SlurmEngine implements TaskProcessSource {
  readonly enforcesTimeout = true;
  private pending: SlurmJobTask[] = [];
  private readonly live = new Set<SlurmJobTask>();
  private flushScheduled = false;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private readonly cellflow: string[];

  constructor(private readonly options: SlurmEngineOptions) {
    this.cellflow = options.cellflow ?? cellflowCommand();
    makeDirs(options.logDir);
  }

  async acquire(): Promise<TaskProcess> {
    if (this.closed) {
      throw new Error('the run is stopping; no new job is submitted.');
    }
    return new SlurmJobTask(this);
  }

  enqueue(task: SlurmJobTask): void {
    this.pending.push(task);
    this.live.add(task);
    void task.finished.then(() => this.live.delete(task));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Every task the scheduler readies in this turn (a foreach's elements) is in the queue by then.
      setImmediate(() => this.flush());
    }
  }

  cancel(jobId: string): void {
    execFile('scancel', [jobId], () => undefined);
  }

  /** Submits the queued tasks: one job per step and attempt, an array when there are several. */
  private flush(): void {
    this.flushScheduled = false;
    const queued = this.pending.filter((t) => !t.ended);
    this.pending = [];
    const groups = new Map<string, SlurmJobTask[]>();
    for (const task of queued) {
      const key = `${task.spec!.step}\0${task.spec!.attempt}`;
      groups.set(key, [...(groups.get(key) ?? []), task]);
    }
    for (const group of groups.values()) {
      this.submit(group);
    }
    this.startPolling();
  }

  private submit(group: SlurmJobTask[]): void {
    const first = group[0].spec!;
    const run = formatPathspec({ flow: first.flow, runId: first.runId });
    const prefix = `${run}/`;
    const tasks: SlurmTask[] = group.map(({ spec }) => {
      const parent = spec!.parents[0];
      const parentStep = parent === undefined ? undefined : parseTaskPathspec(parent).step;
      return {
        taskId: spec!.taskId,
        inputPaths: spec!.parents.map((p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p)),
        splitIndex: splitIndexOf(spec!.foreachStack, parentStep),
        iteration: spec!.iteration,
      };
    });
    const job = slurmJob({
      run,
      step: first.step,
      attempt: first.attempt,
      tasks,
      options: this.options.graph.nodes[first.step].options,
      cellflow: this.cellflow,
      datastore: this.options.datastoreRoot,
      logDir: this.options.logDir,
      partition: this.options.partition,
    });
    const submitted = spawnSync('sbatch', job.args, { input: job.script, encoding: 'utf8', timeout: 60_000 });
    const jobId = submitted.stdout?.trim().split(';')[0];
    if (submitted.status !== 0 || !jobId || !/^\d+$/.test(jobId)) {
      const why = (submitted.stderr || submitted.error?.message || '').trim();
      for (const task of group) {
        task.child.stderr.write(`cellflow: sbatch refused the job: ${why}\n`);
        task.end({ code: submitted.status ?? 1, signal: null, reportedOk: false });
      }
      return;
    }
    group.forEach((task, index) => {
      task.jobId = group.length > 1 ? `${jobId}_${index}` : jobId;
      task.logs = job.logs[index];
      if (task.killed) {
        this.cancel(task.jobId);
      }
    });
  }

  private startPolling(): void {
    if (this.poller) {
      return;
    }
    this.poller = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      return;
    }
    if (this.live.size === 0) {
      clearInterval(this.poller);
      this.poller = undefined;
      return;
    }
    this.polling = true;
    try {
      const text = await new Promise<string | undefined>((resolve) =>
        execFile(
          'scontrol',
          ['show', 'job', '-o'],
          { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
          (error, stdout) => resolve(error ? undefined : stdout),
        ),
      );
      if (text === undefined) {
        return;
      } // the controller did not answer this time; ask again
      const states = parseJobStates(text);
      for (const task of [...this.live]) {
        if (!task.jobId) {
          continue;
        }
        const state = states.get(task.jobId);
        task.tail();
        if (!state) {
          // Not there (a moment after sbatch, or a job the controller has forgotten): after a minute,
          // the task's record says what became of it.
          if (++task.unseenPolls > 200) {
            task.end({ code: null, signal: null, reportedOk: false });
          }
          continue;
        }
        task.unseenPolls = 0;
        if (!TERMINAL.has(state.state)) {
          continue;
        }
        task.end(exitOf(state));
      }
    } finally {
      this.polling = false;
    }
  }

  /** Cancels what is still queued or running (an interrupted run) and waits, bounded, for it to end. */
  async close(): Promise<void> {
    this.closed = true;
    const live = [...this.live];
    for (const task of live) {
      task.kill();
    }
    const deadline = Date.now() + 30_000;
    while (this.live.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const task of this.live) {
      task.end({ code: null, signal: 'SIGKILL', reportedOk: false });
    }
    clearInterval(this.poller);
    this.poller = undefined;
  }
}

function exitOf(state: JobState): TaskExit {
  const signal = signalName(state.signal);
  if (state.state === 'TIMEOUT') {
    return { code: null, signal: 'SIGKILL', reportedOk: false, timedOut: true };
  }
  // A job cancelled before it ran has no signal: it was stopped all the same.
  if (state.state === 'CANCELLED' && !signal) {
    return { code: null, signal: 'SIGTERM', reportedOk: false };
  }
  if (signal) {
    return { code: null, signal, reportedOk: false };
  }
  return { code: state.code, signal: null, reportedOk: state.code === 0 && state.state === 'COMPLETED' };
}

function signalName(number: number): NodeJS.Signals | null {
  if (!number) {
    return null;
  }
  const entry = Object.entries(os.constants.signals).find(([, n]) => n === number);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}
