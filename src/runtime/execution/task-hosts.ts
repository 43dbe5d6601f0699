// The scheduler's side of task hosts (task-host-main.ts): up to `size` host processes, each running
// one task at a time in a fresh worker thread. A host that dies (a native crash, SIGKILL) fails only
// the task it was running and is replaced by the next acquire.
import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import { PassThrough } from 'stream';
import type { FromHost, ThreadOutcome, ToHost } from './task-host-main';
import type { TaskSpec } from './task-spec';
import { WorkerStartError, type TaskExit, type TaskProcess, type WarmUpInfo } from './worker-pool';

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

  output(stream: 'stdout' | 'stderr', text: string): void {
    if (!this.ended) {
      this.child[stream].write(text);
    }
  }

  end(exit: TaskExit): void {
    if (this.ended) {
      return;
    }
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

  constructor(warm: WarmUpInfo, onFree: (host: Host) => void, onExit: (host: Host) => void) {
    this.child = fork(HOST_ENTRY, [], {
      cwd: warm.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
    this.ready = new Promise<boolean>((resolve) => {
      this.child.on('message', (message: FromHost) => {
        if (message.type === 'ready') {
          resolve(true);
        } else if (message.type === 'started') {
          this.current?.begin();
        } else if (message.type === 'output') {
          this.current?.output(message.stream, message.text);
        } else if (message.type === 'finished') {
          const task = this.current;
          this.current = undefined;
          task?.end(exitOf(message.outcome));
          onFree(this);
        }
      });
      this.child.once('exit', () => resolve(false));
    });
    // 'exit' may overtake the last IPC message; 'disconnect' comes once the channel is read to its
    // end, so a `finished` the host sent is never lost to its exit.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const disconnected = new Promise<void>((resolve) => this.child.once('disconnect', () => resolve()));
    this.gone = Promise.all([exited, disconnected]).then(([{ code, signal }]) => {
      this.alive = false;
      const task = this.current;
      this.current = undefined;
      task?.end({ code, signal, reportedOk: false });
      onExit(this);
    });
  }

  startupErrors(): string {
    return this.startupStderr.trim();
  }

  send(message: ToHost): void {
    if (this.alive && this.child.connected) {
      this.child.send(message);
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
