// The scheduler's side of task hosts (task-host-main.ts): up to `size` host processes, each running
// one task at a time in a fresh worker thread. A host that dies (a native crash, SIGKILL) fails only
// the task it was running and is replaced by the next acquire.
import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import { PassThrough, type Readable } from 'stream';
import { StringDecoder } from 'string_decoder';
import type { FromHost, ThreadOutcome, ToHost } from './task-host-main';
import type { TaskSpec } from './task-spec';
import { THREAD_OUTPUT_FDS, type OutputStream } from './thread-output';
import {
  ignoreSendError,
  WorkerStartError,
  type TaskExit,
  type TaskProcess,
  type WarmUpInfo,
} from './worker-pool';

const HOST_ENTRY = path.join(__dirname, 'task-host-main.js');
/** Hosts that may die while starting, in a row, before the pool gives up (a broken install). */
const MAX_START_FAILURES = 3;
/** How long a host has to end a thread it was told to terminate before it is killed itself. */
const TERMINATE_GRACE_MS = 2000;

/** One task attached to a host: its output streams and how it ended. */
class HostedTask implements TaskProcess {
  readonly child = { stdout: new PassThrough(), stderr: new PassThrough() };
  readonly finished: Promise<TaskExit>;
  readonly started: Promise<void>;
  /** Bytes read so far from the host's thread output pipes while this task was attached. */
  readonly received: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  /** The thread's outcome, held until `received` reaches the bytes it says it wrote. */
  reported?: ThreadOutcome;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private settle!: (exit: TaskExit) => void;
  private markStarted!: () => void;
  private ended = false;

  constructor(
    private readonly host: Host,
    private readonly memoryMb: number | undefined,
    private readonly moreToCome: boolean,
  ) {
    this.finished = new Promise((resolve) => (this.settle = resolve));
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  /** The thread has its task (the step's own timeout starts about now). */
  begin(): void {
    this.markStarted();
  }

  get pid(): number | undefined {
    return this.host.child.pid;
  }

  run(spec: TaskSpec): void {
    this.host.send({ type: 'task', spec, memoryMb: this.memoryMb, moreToCome: this.moreToCome });
  }

  kill(): void {
    this.host.send({ type: 'terminate' });
    setTimeout(() => this.host.kill(), TERMINATE_GRACE_MS).unref();
  }

  output(stream: OutputStream, text: string): void {
    if (!this.ended && text) {
      this.child[stream].write(text);
    }
  }

  threadOutput(stream: OutputStream, bytes: Buffer): void {
    this.received[stream] += bytes.length;
    this.output(stream, this.decoders[stream].write(bytes));
  }

  /** Whether every byte the thread reported writing has been read. */
  allOutputRead(): boolean {
    const written = this.reported?.written;
    return !!written && this.received.stdout >= written.stdout && this.received.stderr >= written.stderr;
  }

  end(exit: TaskExit): void {
    if (this.ended) {
      return;
    }
    this.output('stdout', this.decoders.stdout.end());
    this.output('stderr', this.decoders.stderr.end());
    this.ended = true;
    this.markStarted();
    this.child.stdout.end();
    this.child.stderr.end();
    this.settle(exit);
  }
}

class Host {
  readonly child: ChildProcess;
  /** true once the host said `ready`; false when it exited first. */
  readonly ready: Promise<boolean>;
  current?: HostedTask;
  alive = true;
  /** Resolves once the host has exited and its channel is drained. */
  readonly gone: Promise<void>;
  private startupStderr = '';

  constructor(
    warm: WarmUpInfo,
    private readonly onFree: (host: Host) => void,
    onExit: (host: Host) => void,
  ) {
    this.child = fork(HOST_ENTRY, [], {
      cwd: warm.cwd,
      // 4 and 5: the threads' stdout and stderr (thread-output.ts), apart from the host's own.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe'],
      execArgv: [],
      // NODE_EXTRA_CA_CERTS is parsed once per host (it is process-wide): its threads load no TLS.
      env: { ...process.env, CELLFLOW_WORKER_WARMUP: JSON.stringify(warm) },
      serialization: 'json',
    });
    // The host's own output (Node's warnings, a native crash's last words) belongs to its task.
    for (const stream of ['stdout', 'stderr'] as const) {
      this.child[stream]!.setEncoding('utf8');
      this.child[stream]!.on('data', (text: string) => {
        if (this.current) {
          this.current.output(stream, text);
        } else if (stream === 'stderr' && this.startupStderr.length < 16384) {
          this.startupStderr += text;
        }
      });
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const pipe = this.child.stdio[THREAD_OUTPUT_FDS[stream]] as Readable;
      pipe.on('data', (bytes: Buffer) => {
        const task = this.current;
        if (task) {
          task.threadOutput(stream, bytes);
          if (task.allOutputRead()) {
            this.release(task);
          }
        }
      });
    }
    this.ready = new Promise<boolean>((resolve) => {
      this.child.on('message', (message: FromHost) => {
        if (message.type === 'ready') {
          resolve(true);
        } else if (message.type === 'started') {
          this.current?.begin();
        } else if (message.type === 'finished' && this.current) {
          this.current.reported = message.outcome;
          if (this.current.allOutputRead()) {
            this.release(this.current);
          }
        }
      });
      this.child.once('exit', () => resolve(false));
    });
    // 'exit' may overtake the last IPC message and the output still in the pipes; 'disconnect' comes
    // once the channel is read to its end and 'close' once every pipe is, so nothing is lost to it.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const disconnected = new Promise<void>((resolve) => this.child.once('disconnect', () => resolve()));
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.gone = Promise.all([exited, disconnected, closed]).then(([{ code, signal }]) => {
      this.alive = false;
      const task = this.current;
      this.current = undefined;
      task?.end(task.reported ? exitOf(task.reported) : { code, signal, reportedOk: false });
      onExit(this);
    });
  }

  /** The task's thread ended and all it wrote is read: its logs close, and the host takes the next. */
  private release(task: HostedTask): void {
    this.current = undefined;
    task.end(exitOf(task.reported!));
    this.onFree(this);
  }

  startupErrors(): string {
    return this.startupStderr.trim();
  }

  send(message: ToHost): void {
    if (this.alive && this.child.connected) {
      this.child.send(message, ignoreSendError);
    }
  }

  kill(): void {
    if (this.alive && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }
}

function exitOf(outcome: ThreadOutcome): TaskExit {
  return {
    code: outcome.exitCode,
    signal: null,
    reportedOk: outcome.ok,
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.addonRefused ? { addonRefused: outcome.addonRefused } : {}),
  };
}

export class TaskHostPool {
  private readonly hosts = new Set<Host>();
  private idle: Host[] = [];
  private closed = false;
  private startFailures = 0;
  private starting = 0;
  private lastStartupError = '';
  private waiters: (() => void)[] = [];

  /** One host starts at once (a flow begins with its single entry task); more as tasks keep coming. */
  constructor(
    private readonly warm: WarmUpInfo,
    private readonly size: number,
  ) {
    this.start();
  }

  /** A task slot on an idle host. `moreToCome`: whether the scheduler may ask again (see WorkerPool). */
  async acquire(memoryMb: number | undefined, moreToCome: boolean): Promise<TaskProcess> {
    for (;;) {
      if (this.closed) {
        throw new WorkerStartError('the run is stopping; no new task is started.');
      }
      const host = this.idle.pop();
      if (host?.alive) {
        const task = new HostedTask(host, memoryMb, moreToCome);
        host.current = task;
        if (moreToCome) {
          while (this.hosts.size < this.size && this.startFailures < MAX_START_FAILURES) {
            this.start();
          }
        }
        return task;
      }
      if (host) {
        continue;
      }
      if (this.startFailures >= MAX_START_FAILURES) {
        throw new WorkerStartError(
          `task hosts exit while starting (${this.startFailures} in a row):\n${this.lastStartupError || '(no output)'}`,
        );
      }
      // One already starting will do: a second would only compete with it for the CPUs.
      if (this.starting === 0 && this.hosts.size < this.size) {
        this.start();
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) {
      wake();
    }
  }

  private start(): void {
    const host = new Host(
      this.warm,
      (free) => {
        if (!this.closed && free.alive) {
          this.idle.push(free);
        }
        this.notify();
      },
      (gone) => {
        this.hosts.delete(gone);
        this.idle = this.idle.filter((h) => h !== gone);
        this.notify();
      },
    );
    this.hosts.add(host);
    this.starting++;
    void host.ready.then((ok) => {
      this.starting--;
      if (ok) {
        this.startFailures = 0;
        if (!this.closed) {
          this.idle.push(host);
        }
      } else if (!this.closed) {
        this.startFailures++;
        this.lastStartupError = host.startupErrors();
      }
      this.notify();
    });
  }

  /** Stops every host: idle ones, and (on abort) those still running a task. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle = [];
    const alive = [...this.hosts];
    for (const host of alive) {
      host.kill();
    }
    await Promise.all(alive.map((host) => host.gone));
    this.notify();
  }
}
