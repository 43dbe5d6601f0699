// Entry point of a task host: a process apart from the scheduler that runs one task at a time, each
// in a fresh worker thread (task-thread-main.ts, started by task-thread-entry.ts). The next task's
// thread is started while the current one runs, so a task finds its isolate warm. Whatever a thread
// does (process.exit, an uncaught exception, running out of heap, an endless loop the scheduler has
// it terminated for) ends that thread and fails its task only; the host reports it and goes on with
// the next task.
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { TaskSpec } from './task-spec';
import type { FromThread, ThreadData, ThreadWarmUp, ToThread } from './task-thread-main';
import { newOutputCounters, readOutputCounters, type OutputStream } from './thread-output';

const THREAD_ENTRY = path.join(__dirname, 'task-thread-entry.js');

export type ToHost =
  | { type: 'task'; spec: TaskSpec; memoryMb?: number; moreToCome: boolean }
  /** End the running task's thread now (its timeout passed, or the run is stopping). */
  | { type: 'terminate' };

/** How a task's thread ended, when the task could not say so itself (`error`). */
export interface ThreadOutcome {
  ok: boolean;
  exitCode: number | null;
  error?: { type: string; message: string; stack?: string };
  addonRefused?: string;
  /** The bytes the thread wrote to the host's output pipes: the scheduler reads that many for it. */
  written: Record<OutputStream, number>;
}

export type FromHost =
  | { type: 'ready' }
  /** The task's thread has its task: the step starts now. */
  | { type: 'started' }
  | { type: 'finished'; outcome: ThreadOutcome };

interface Thread {
  worker: Worker;
  memoryMb?: number;
  outputCounters: SharedArrayBuffer;
  done?: Extract<FromThread, { type: 'done' }>;
  /** Set on the thread that runs a task: tells the scheduler the step has started. */
  onStarted?: () => void;
  error?: Error;
  ended: Promise<number>;
}

const warm = JSON.parse(process.env.CELLFLOW_WORKER_WARMUP ?? '{}') as ThreadWarmUp;

function send(message: FromHost): void {
  process.send!(message);
}

function startThread(memoryMb: number | undefined): Thread {
  const outputCounters = newOutputCounters();
  const worker = new Worker(THREAD_ENTRY, {
    workerData: { ...warm, outputCounters } satisfies ThreadData,
    // A non-context-aware addon is refused in every thread, instead of loading in the first and
    // crashing the host when a later thread loads it again.
    execArgv: ['--force-context-aware'],
    ...(memoryMb ? { resourceLimits: { maxOldGenerationSizeMb: memoryMb } } : {}),
  });
  const thread: Thread = { worker, memoryMb, outputCounters, ended: Promise.resolve(0) };
  worker.on('message', (message: FromThread) => {
    if (message.type === 'done') {
      thread.done = message;
    } else if (message.type === 'started') {
      thread.onStarted?.();
    }
  });
  worker.on('error', (error) => {
    thread.error ??= error;
  });
  thread.ended = new Promise<number>((resolve) => worker.once('exit', resolve));
  return thread;
}

function describeError(error: Error, memoryMb: number | undefined): ThreadOutcome['error'] {
  if ((error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const limit = memoryMb
      ? `its heap is limited to ${memoryMb} MB (resources:memory=${memoryMb})`
      : "it reached V8's default heap limit (raise it with resources:memory=MB)";
    return { type: 'OutOfMemory', message: `the task ran out of memory: ${limit}` };
  }
  return {
    type: error.constructor?.name || error.name || 'Error',
    message: `the task thread died of an uncaught ${error.name}: ${error.message}`,
    stack: error.stack,
  };
}

let spare: Thread | undefined;
let running: Thread | undefined;

async function runOne(request: Extract<ToHost, { type: 'task' }>): Promise<void> {
  let thread: Thread;
  if (spare && spare.memoryMb === request.memoryMb) {
    thread = spare;
    spare = undefined;
  } else {
    thread = startThread(request.memoryMb);
  }
  running = thread;
  thread.onStarted = () => send({ type: 'started' });
  thread.worker.postMessage({ type: 'task', spec: request.spec } satisfies ToThread);
  // The next task's isolate starts now, beside this one, unless no task will follow.
  if (request.moreToCome && !spare) {
    spare = startThread(undefined);
  }
  const exitCode = await thread.ended;
  running = undefined;
  const done = thread.done;
  const outcome: ThreadOutcome = {
    ok: done?.ok ?? false,
    exitCode,
    ...(thread.error ? { error: describeError(thread.error, thread.memoryMb) } : {}),
    ...(done?.addonRefused ? { addonRefused: done.addonRefused } : {}),
    written: readOutputCounters(thread.outputCounters),
  };
  send({ type: 'finished', outcome });
}

function main(): void {
  if (!process.send) {
    throw new Error('task-host-main must be started by the cellflow scheduler (it needs an IPC channel).');
  }
  // The scheduler died: nobody will collect the results, so the host ends with its threads.
  process.once('disconnect', () => process.exit(3));
  process.on('message', (message: ToHost) => {
    if (message.type === 'task') {
      void runOne(message);
    } else if (message.type === 'terminate') {
      void running?.worker.terminate();
    }
  });
  spare = startThread(undefined);
  send({ type: 'ready' });
}

main();
