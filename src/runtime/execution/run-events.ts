// `--events-fd FD`: a RunReporter that writes the run's events (src/core/run-events.ts) as JSON lines
// to a file descriptor and passes every call on to the reporter it wraps (the console output).
// Written synchronously, so an event is on its way before the step it announces can print anything.
import * as fs from 'fs';
import { formatRunEvent, type RunEvent } from '../../core/run-events';
import type { TaskRecord } from '../records';
import type { RunReporter } from './run-output';

type Untimed<E> = E extends unknown ? Omit<E, 'time'> : never;

export class RunEventReporter implements RunReporter {
  constructor(
    private readonly inner: RunReporter,
    readonly fd: number,
  ) {}

  /** Writes one event; a reader that went away (EPIPE) does not stop the run. */
  emit(event: Untimed<RunEvent>): void {
    try {
      fs.writeSync(this.fd, formatRunEvent({ ...event, time: new Date().toISOString() } as RunEvent));
    } catch {
      // the reader is gone: the run goes on, its record is the source of truth
    }
  }

  runStarted(pathspec: string): void {
    this.emit({ event: 'run-started', pathspec });
    this.inner.runStarted?.(pathspec);
  }

  taskStarted(step: string, taskId: string, attempt: number): void {
    this.emit({ event: 'task-started', step, taskId, attempt });
    this.inner.taskStarted(step, taskId, attempt);
  }

  taskLine(step: string, taskId: string, stream: 'stdout' | 'stderr', line: string): void {
    this.inner.taskLine(step, taskId, stream, line);
  }

  taskFinished(record: TaskRecord): void {
    this.emit(
      record.status === 'succeeded'
        ? { event: 'task-finished', step: record.step, taskId: record.taskId, status: 'succeeded' }
        : failure(record, false),
    );
    this.inner.taskFinished(record);
  }

  taskRetrying(record: TaskRecord, delayMs: number): void {
    this.emit(failure(record, true));
    this.inner.taskRetrying(record, delayMs);
  }

  taskCaught(record: TaskRecord, artifact: string): void {
    this.emit({
      event: 'task-finished',
      step: record.step,
      taskId: record.taskId,
      status: 'succeeded',
      caught: artifact,
    });
    this.inner.taskCaught(record, artifact);
  }

  taskReused(record: TaskRecord): void {
    this.emit({
      event: 'task-finished',
      step: record.step,
      taskId: record.taskId,
      status: 'succeeded',
      reused: true,
    });
    this.inner.taskReused(record);
  }

  switchTaken(record: TaskRecord, notTaken: string[]): void {
    this.inner.switchTaken(record, notTaken);
  }

  note(message: string): void {
    this.inner.note(message);
  }

  close(): void {
    this.inner.close();
  }

  notebookKnown(file: string): void {
    this.inner.notebookKnown?.(file);
  }
}

function failure(record: TaskRecord, retrying: boolean): Untimed<RunEvent> {
  const last = record.attempts[record.attempts.length - 1];
  return {
    event: 'task-failed',
    step: record.step,
    taskId: record.taskId,
    attempt: last?.attempt ?? 0,
    status: record.status === 'cancelled' ? 'cancelled' : 'failed',
    retrying,
    ...(last?.error?.message ? { error: last.error.message } : {}),
  };
}
