// `run` and `resume` from the comm: the real CLI in a child process, its output streamed as `log`
// events and its run events (`--events-fd 3`, src/core/run-events.ts) turned into `started` and
// `task` events, every event numbered (`seq`) so the extension applies them in order. `stop`
// interrupts the child with SIGINT, which the runtime records as a cancelled run.
import { type ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import type { Readable } from 'stream';
import type { RequestOf, RunResult, StreamEvent, TaskStatusEvent } from '../src/core/protocol';
import { parseRunEvent, type RunEvent } from '../src/core/run-events';
import { Datastore, effectiveRunStatus, parseRunPathspec, resolveDatastoreLocation } from '../src/runtime';
import { packageRoot } from './package-root';

/** The child's file descriptor for run events (0-2 are stdin, stdout, stderr). */
const EVENTS_FD = 3;
/** The extension gives up on a request after 60 s without any message: repeat running tasks' status. */
const KEEPALIVE_MS = 15_000;
/** How much of a CLI that could not start a run is kept for the message (its own, not a stack). */
const MAX_MESSAGE_LINES = 20;

export type Send = (reply: StreamEvent) => void;

/** Runs started from the comm, by request id; stopped with the kernel so none outlives it unseen. */
const children = new Map<string, ChildProcess>();
process.on('exit', () => {
  for (const child of children.values()) {
    child.kill('SIGTERM');
  }
});

export function runArgs(request: RequestOf<'run'>, notebook: string): string[] {
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

export function resumeArgs(request: RequestOf<'resume'>): string[] {
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
): Promise<RunResult> {
  const args = [path.join(packageRoot(), 'bin', 'cellflow.js'), ...cliArgs, '--events-fd', String(EVENTS_FD)];
  // The request's datastore (the extension's setting) as CELLFLOW_DATASTORE: it outranks a
  // CELLFLOW_DATASTORE the kernel inherited, and an s3:// location is passed as is, not as a path.
  const env = {
    ...process.env,
    ...(options.datastore
      ? { CELLFLOW_DATASTORE: resolveDatastoreLocation(options.datastore, options.cwd) }
      : {}),
  };
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  children.set(requestId, child);
  let seq = 0;
  let lastEventAt = Date.now();
  const emit = (event: DistributiveOmit<StreamEvent, 'id' | 'seq'>) => {
    lastEventAt = Date.now();
    send({ ...event, id: requestId, seq: ++seq } as StreamEvent);
  };
  const stderrTail: string[] = [];

  let pathspec: string | undefined;
  let finished: Extract<RunEvent, { event: 'run-finished' }> | undefined;
  // The events and the output come on different pipes: output read before `run-started` waits for
  // it, so `started` stays ahead of the run's output as the extension expects.
  const held: DistributiveOmit<StreamEvent, 'id' | 'seq'>[] = [];
  const statuses = new Map<string, TaskStatusEvent>();
  const taskStatus = (task: TaskStatusEvent) => {
    statuses.set(`${task.step}/${task.taskId}`, task);
    emit({ event: 'task', task });
  };
  const onRunEvent = (event: RunEvent) => {
    switch (event.event) {
      case 'run-started':
        pathspec = event.pathspec;
        emit({ event: 'started', pathspec });
        held.splice(0).forEach(emit);
        return;
      case 'task-started':
        return taskStatus({ step: event.step, taskId: event.taskId, status: 'running' });
      case 'task-finished':
        return taskStatus({ step: event.step, taskId: event.taskId, status: event.status });
      case 'task-failed':
        // A failed attempt that is retried leaves the task running.
        return taskStatus({
          step: event.step,
          taskId: event.taskId,
          status: event.retrying ? 'running' : event.status,
        });
      case 'run-finished':
        finished = event;
        return;
    }
  };
  const log = (line: string, stream: 'stdout' | 'stderr') => {
    if (stream === 'stderr') {
      stderrTail.push(line);
      if (stderrTail.length > MAX_MESSAGE_LINES) {
        stderrTail.shift();
      }
    }
    if (pathspec) {
      emit({ event: 'log', line, stream });
    } else {
      held.push({ event: 'log', line, stream });
    }
  };
  const streams = [
    eachLine(child.stdout!, (line) => log(line, 'stdout')),
    eachLine(child.stderr!, (line) => log(line, 'stderr')),
    eachLine(child.stdio[EVENTS_FD] as Readable, (line) => {
      const event = parseRunEvent(line);
      if (event) {
        onRunEvent(event);
      }
    }),
  ];
  // The extension gives up on a request after 60 s of silence: a long task says it is still running.
  const keepalive = setInterval(() => {
    if (Date.now() - lastEventAt < KEEPALIVE_MS) {
      return;
    }
    for (const task of statuses.values()) {
      if (task.status === 'running') {
        emit({ event: 'task', task });
      }
    }
  }, KEEPALIVE_MS).unref();
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  await Promise.all(streams);
  children.delete(requestId);
  clearInterval(keepalive);
  held.splice(0).forEach(emit);
  if (!pathspec) {
    // The CLI's own message (bad input: which notebook, cell and line) is what the user needs.
    const message = stderrTail.join('\n').trim();
    throw new Error(message || `cellflow ${cliArgs[0]} exited with code ${code} before starting a run`);
  }
  if (finished) {
    return { pathspec, status: finished.status };
  }
  // Killed before it could say how the run ended: the record says (abandoned when it stopped beating).
  const { flow, runId } = parseRunPathspec(pathspec);
  const store = Datastore.open({ root: options.datastore, cwd: options.cwd });
  return { pathspec, status: effectiveRunStatus(store.readRun(flow, runId)) };
}

/** Calls `onLine` for every line of the stream (the last one without its newline too); resolves at its end. */
function eachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    parts.forEach(onLine);
  });
  return new Promise<void>((resolve) =>
    stream.once('close', () => {
      if (partial) {
        onLine(partial);
      }
      resolve();
    }),
  );
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
