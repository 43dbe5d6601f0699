// `run` and `resume` from the comm: the real CLI in a child process, its output streamed as `log`
// events, `started` once the run-id file appears and `task` events from the run's task records, every
// event numbered (`seq`) so the extension applies them in order. `stop` interrupts the child with
// SIGINT, which the runtime records as a cancelled run.
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Reply, Request, TaskStatusEvent } from '../src/core/protocol';
import { Datastore, effectiveRunStatus, parsePathspec } from '../src/runtime/datastore/datastore';
import { packageRoot } from './package-root';

const POLL_MS = 250;
/** The extension gives up on a request after 60 s without any message: repeat running tasks' status. */
const KEEPALIVE_MS = 15_000;
/** How much of a CLI that could not start a run is kept for the message (its own, not a stack). */
const MAX_MESSAGE_LINES = 20;

export type Send = (reply: Reply) => void;

/** Runs started from the comm, by request id; stopped with the kernel so none outlives it unseen. */
const children = new Map<string, ChildProcess>();
process.on('exit', () => {
  for (const child of children.values()) {
    child.kill('SIGTERM');
  }
});

export function runArgs(request: Extract<Request, { op: 'run' }>, notebook: string): string[] {
  const args = ['run', notebook];
  for (const [name, value] of Object.entries(request.params ?? {})) {
    args.push('--param', `${name}=${value}`);
  }
  for (const tag of request.tags ?? []) {
    args.push('--tag', tag);
  }
  if (request.seed !== undefined) {
    args.push('--seed', String(request.seed));
  }
  if (request.maxWorkers) {
    args.push('--max-workers', String(request.maxWorkers));
  }
  return args;
}

export function resumeArgs(request: Extract<Request, { op: 'resume' }>): string[] {
  const args = ['resume', request.pathspec];
  if (request.fromStep) {
    args.push('--from', request.fromStep);
  }
  if (request.maxWorkers) {
    args.push('--max-workers', String(request.maxWorkers));
  }
  return args;
}

/** Interrupts the run a `run`/`resume` request started; false when it is not running (any more). */
export function stopRun(requestId: string): boolean {
  const child = children.get(requestId);
  if (!child || child.exitCode !== null) {
    return false;
  }
  // SIGINT, as Ctrl-C in a terminal: the scheduler stops its tasks and records the run as cancelled.
  child.kill('SIGINT');
  return true;
}

export async function streamCli(
  requestId: string,
  cliArgs: string[],
  options: { cwd: string; datastore?: string },
  send: Send,
): Promise<{ pathspec: string; status: string }> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-kernel-run-'));
  const runIdFile = path.join(scratch, 'run-id');
  const args = [path.join(packageRoot(), 'bin', 'cellflow.js'), ...cliArgs, '--run-id-file', runIdFile];
  const env = {
    ...process.env,
    ...(options.datastore ? { CELLFLOW_HOME: path.resolve(options.cwd, options.datastore) } : {}),
  };
  const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(requestId, child);
  let seq = 0;
  let lastEventAt = Date.now();
  const emit = (event: DistributiveOmit<Extract<Reply, { event: string }>, 'id' | 'seq'>) => {
    lastEventAt = Date.now();
    send({ ...event, id: requestId, seq: ++seq } as Reply);
  };
  const stderrTail: string[] = [];

  let pathspec: string | undefined;
  // The CLI writes the run-id file before it prints anything about the run, so looking for it
  // before each log line keeps `started` ahead of the run's output (a poll alone lost that race).
  const announceStarted = () => {
    if (pathspec || !fs.existsSync(runIdFile)) {
      return;
    }
    const text = fs.readFileSync(runIdFile, 'utf8');
    if (!text.endsWith('\n')) {
      return;
    } // caught mid-write: the line is not whole yet
    pathspec = text.trim();
    emit({ event: 'started', pathspec });
  };

  const lines = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
    let partial = '';
    const line = (text: string) => {
      if (name === 'stderr') {
        stderrTail.push(text);
        if (stderrTail.length > MAX_MESSAGE_LINES) {
          stderrTail.shift();
        }
      }
      emit({ event: 'log', line: text, stream: name });
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (parts.length) {
        announceStarted();
      }
      for (const text of parts) {
        line(text);
      }
    });
    stream.on('end', () => {
      if (!partial) {
        return;
      }
      announceStarted();
      line(partial);
    });
  };
  lines(child.stdout!, 'stdout');
  lines(child.stderr!, 'stderr');

  const storeOf = () => Datastore.open({ root: env.CELLFLOW_HOME, cwd: options.cwd });
  const seen = new Map<string, string>();
  const poll = () => {
    announceStarted();
    if (!pathspec) {
      return;
    }
    const { flow, runId } = parsePathspec(pathspec);
    try {
      const quiet = Date.now() - lastEventAt > KEEPALIVE_MS;
      const store = storeOf();
      for (const task of [...startedTasks(store, flow, runId!), ...store.listTasks(flow, runId!)]) {
        const key = `${task.step}/${task.taskId}`;
        if (seen.get(key) === task.status && !(quiet && task.status === 'running')) {
          continue;
        }
        seen.set(key, task.status);
        const event: TaskStatusEvent = { step: task.step, taskId: task.taskId, status: task.status };
        emit({ event: 'task', task: event });
      }
    } catch {
      // a record being written: read it on the next tick
    }
  };
  const timer = setInterval(poll, POLL_MS);
  const streamsClosed = Promise.all(
    [child.stdout!, child.stderr!].map((s) => new Promise<void>((resolve) => s.once('close', resolve))),
  );
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  await streamsClosed;
  children.delete(requestId);
  clearInterval(timer);
  poll();
  fs.rmSync(scratch, { recursive: true, force: true });
  if (!pathspec) {
    // The CLI's own message (bad input: which notebook, cell and line) is what the user needs.
    const message = stderrTail.join('\n').trim();
    throw new Error(message || `cellflow ${cliArgs[0]} exited with code ${code} before starting a run`);
  }
  const { flow, runId } = parsePathspec(pathspec);
  return { pathspec, status: effectiveRunStatus(storeOf().readRun(flow, runId!)) };
}

/**
 * Tasks that have started but not finished: the runtime creates a task's folder (its logs) when the
 * task starts and writes task.json only when it ends, so a folder without task.json is running.
 */
function startedTasks(store: Datastore, flow: string, runId: string): TaskStatusEvent[] {
  const started: TaskStatusEvent[] = [];
  for (const step of store.listSteps(flow, runId)) {
    let ids: string[] = [];
    try {
      ids = fs.readdirSync(store.stepDir(flow, runId, step));
    } catch {
      continue;
    }
    for (const taskId of ids) {
      if (!fs.existsSync(path.join(store.taskDir(flow, runId, step, taskId), 'task.json'))) {
        started.push({ step, taskId, status: 'running' });
      }
    }
  }
  return started;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
