// `isolation:process`: keeps a few task processes warm so a task starts in a process that has already
// paid Node's and the runtime's start-up, while each process still runs exactly one task and exits
// (isolation as in Metaflow). The default, a fresh worker thread per task, is task-hosts.ts.
import { fork, type ChildProcess } from 'child_process';
import type { Readable } from 'stream';
import * as path from 'path';
import type { SchedulerMessage, WorkerMessage } from './worker-main';
import type { TaskSpec } from './task-spec';
import { deferExtraCaCerts } from './deferred-ca';
import type { Isolation } from '../../core/model';

const WORKER_ENTRY = path.join(__dirname, 'worker-entry.js');

export interface WarmUpInfo {
  datastoreRoot: string;
  javascriptSha256: string;
  filename: string;
  cwd: string;
}

/**
 * How a task's process (or thread) ended. `timedOut`: the engine ended it at its time limit (Slurm's
 * --time). `error`: why a thread ended without recording its attempt (out of memory, an uncaught
 * exception). `addonRefused`: a native addon the task's thread could not load.
 */
export interface TaskExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  reportedOk: boolean;
  timedOut?: boolean;
  error?: { type: string; message: string; stack?: string };
  addonRefused?: string;
}

/** What a task's output is read from: a child process, or an engine's job logs. */
export interface TaskOutputSource {
  stdout: Readable | null;
  stderr: Readable | null;
}

export interface TaskProcess {
  child: TaskOutputSource;
  /** The OS process the task runs in (a task host's for a thread), when there is one here. */
  readonly pid?: number;
  /** Resolves with the exit code (null when killed by a signal) and whether the task reported success. */
  finished: Promise<TaskExit>;
  /** Resolves when the step starts, if later than run() (a task host's thread may still be warming up). */
  started?: Promise<void>;
  run(spec: TaskSpec): void;
  kill(): void;
}

interface LocalTaskProcess extends TaskProcess {
  child: ChildProcess;
}

/** What a task needs from where it runs. */
export interface TaskRequest {
  isolation: Isolation;
  /** resources:memory, in MB: the thread's heap limit, or the process's --max-old-space-size. */
  memoryMb?: number;
  /** Whether the scheduler may ask again (see WorkerPool.acquire). */
  moreToCome: boolean;
}

/** Where the scheduler gets a process for each task: this machine (local-tasks.ts), or an engine (Slurm). */
export interface TaskProcessSource {
  acquire(request: TaskRequest): Promise<TaskProcess>;
  close(): Promise<void>;
  /** The engine enforces `timeout:` itself (from when the task starts, not when it was queued). */
  readonly enforcesTimeout?: boolean;
}

/** Consecutive processes that may die during warm-up before the pool gives up (a broken install or flow import). */
const MAX_WARM_UP_FAILURES = 3;

export class WorkerStartError extends Error {}

interface Started {
  process: LocalTaskProcess;
  /** true once the process said `ready`; false when it exited first. */
  ready: Promise<boolean>;
  /** What the process wrote to stderr before its task was attached: why a warm-up failed. */
  startupErrors: () => string;
}

function startProcess(warm: WarmUpInfo, execArgv: string[]): Started {
  const child = fork(WORKER_ENTRY, [], {
    cwd: warm.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv,
    env: { ...deferExtraCaCerts(process.env), CELLFLOW_WORKER_WARMUP: JSON.stringify(warm) },
    serialization: 'json',
  });
  let reportedOk = false;
  let startupStderr = '';
  const collectStartup = (chunk: Buffer) => {
    if (startupStderr.length < 16384) {
      startupStderr += chunk.toString('utf8');
    }
  };
  child.stderr!.on('data', collectStartup);
  const ready = new Promise<boolean>((resolve) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        child.stderr!.off('data', collectStartup);
        resolve(true);
      }
      if (message.type === 'done') {
        reportedOk = message.ok;
      }
    });
    child.once('exit', () => resolve(false));
  });
  // 'exit' comes from the OS and may overtake the last IPC message still in the pipe; 'disconnect'
  // comes once the channel is read to its end. Waiting for both means a sent `done` is never missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const disconnected = new Promise<void>((resolve) => {
    if (!child.connected) {
      resolve();
    } else {
      child.once('disconnect', () => resolve());
    }
  });
  const finished = Promise.all([exited, disconnected]).then(([exit]) => ({ ...exit, reportedOk }));
  return {
    ready,
    startupErrors: () => startupStderr.trim(),
    process: {
      child,
      pid: child.pid,
      finished,
      run: (spec) => child.send({ type: 'task', spec } satisfies SchedulerMessage, ignoreSendError),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
        }
      },
    },
  };
}

/**
 * The callback of a message to a task process or host: one that has just died (killed by close(), a
 * native crash) fails the write with EPIPE, which must not end the scheduler; its exit reports what
 * happened to the task.
 */
export function ignoreSendError(): void {}

export class WorkerPool {
  private warming = new Set<Promise<TaskProcess | undefined>>();
  private ready: LocalTaskProcess[] = [];
  private closed = false;
  private readonly all = new Set<TaskProcess>();
  private warmUpFailures = 0;
  private lastStartupError = '';

  /**
   * Up to `size` processes are kept started ahead of demand; more would only compete for the CPUs.
   * One starts at once (a flow begins with its single entry task); the rest once tasks keep coming.
   */
  constructor(
    private readonly warm: WarmUpInfo,
    private readonly size: number,
  ) {
    this.refill(1);
  }

  /**
   * A started process, ready for one task. `moreToCome`: whether the scheduler may ask again; when it
   * will not (the last task of a run, e.g. the `end` a resume re-runs), no process is started in
   * advance only to be killed unused, which on a small machine slows the tasks that are running.
   */
  async acquire(execArgv: string[] = [], moreToCome = true): Promise<TaskProcess> {
    if (execArgv.length > 0) {
      return this.coldStart(execArgv);
    } // V8 flags (heap limits) are fixed at start
    for (;;) {
      if (this.closed) {
        throw new WorkerStartError('the run is stopping; no new task is started.');
      }
      const ready = this.ready.shift();
      if (ready && ready.child.exitCode === null) {
        if (moreToCome) {
          this.refill(this.size);
        }
        return ready;
      }
      if (this.warmUpFailures >= MAX_WARM_UP_FAILURES) {
        throw new WorkerStartError(
          `task processes exit while starting (${this.warmUpFailures} in a row):\n${this.lastStartupError || '(no output)'}`,
        );
      }
      if (this.warming.size === 0) {
        this.refill(1);
      }
      await Promise.race(this.warming);
    }
  }

  private async coldStart(execArgv: string[]): Promise<TaskProcess> {
    const { process, ready, startupErrors } = startProcess(this.warm, execArgv);
    this.track(process);
    if (!(await ready)) {
      throw new WorkerStartError(
        `a task process exited while starting:\n${startupErrors() || '(no output)'}`,
      );
    }
    return process;
  }

  /** Starts processes until `target` are ready or starting. */
  private refill(target: number): void {
    while (
      !this.closed &&
      this.warmUpFailures < MAX_WARM_UP_FAILURES &&
      this.ready.length + this.warming.size < target
    ) {
      const { process, ready, startupErrors } = startProcess(this.warm, []);
      this.track(process);
      const warming: Promise<TaskProcess | undefined> = ready.then((ok) => {
        this.warming.delete(warming);
        if (ok) {
          this.warmUpFailures = 0;
        } else if (!this.closed) {
          this.warmUpFailures++;
          this.lastStartupError = startupErrors();
        }
        if (ok && !this.closed) {
          this.ready.push(process);
        }
        return ok ? process : undefined;
      });
      this.warming.add(warming);
    }
  }

  private track(process: TaskProcess): void {
    this.all.add(process);
    void process.finished.then(() => this.all.delete(process));
  }

  /** Stops every process still alive: warm ones that never got a task, or (on abort) running ones. */
  async close(): Promise<void> {
    this.closed = true;
    this.ready = [];
    const alive = [...this.all];
    for (const process of alive) {
      process.kill();
    }
    await Promise.all(alive.map((p) => p.finished));
  }
}
