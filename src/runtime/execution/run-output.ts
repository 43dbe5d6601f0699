// What a run shows and keeps of its tasks' output: every line is written to the attempt's log file in
// the datastore and echoed live with a `step/task` prefix; on a terminal a progress line is redrawn.
import type { Datastore } from '../datastore/datastore';
import { describeLocation } from '../loading/error-location';
import type { TaskRecord } from '../records';
import type { TaskSpec } from './task-spec';
import type { TaskOutputSource } from './worker-pool';

export interface RunReporter {
  taskStarted(step: string, taskId: string, attempt: number): void;
  taskLine(step: string, taskId: string, stream: 'stdout' | 'stderr', line: string): void;
  taskFinished(record: TaskRecord): void;
  taskRetrying(record: TaskRecord, delayMs: number): void;
  taskCaught(record: TaskRecord, artifact: string): void;
  taskReused(record: TaskRecord): void;
  /** A switch task chose its case; `notTaken` are the successors skipped. */
  switchTaken(record: TaskRecord, notTaken: string[]): void;
  note(message: string): void;
  close(): void;
  /** The notebook the run compiled, once known (a resume learns it from the origin's record). */
  notebookKnown?(file: string): void;
  /** The run record is written (`Flow/runId`), before any task starts. */
  runStarted?(pathspec: string): void;
}

/** Streams a task process's output into its attempt's log files and to the reporter, line by line. */
export function attachTaskOutput(
  child: TaskOutputSource,
  datastore: Datastore,
  spec: TaskSpec,
  reporter: RunReporter,
): { closed: Promise<void> } {
  const streams = (['stdout', 'stderr'] as const).map((name) => {
    // Opened on the first output: most tasks print nothing, and a 10,000-task run would otherwise
    // create (and close) 20,000 empty files in the scheduler. No file reads as "printed nothing".
    let log: ReturnType<Datastore['openLog']> | undefined;
    const source = child[name]!;
    let partial = '';
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      log ??= datastore.openLog(spec.flow, spec.runId, spec.step, spec.taskId, spec.attempt, name);
      log.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        reporter.taskLine(spec.step, spec.taskId, name, line);
      }
    });
    return new Promise<void>((resolve) =>
      source.once('close', () => {
        if (partial) {
          reporter.taskLine(spec.step, spec.taskId, name, partial);
        }
        if (!log) {
          resolve();
          return;
        }
        void log.end().then(resolve, (error: Error) => {
          reporter.note(`could not store the ${name} of ${spec.step}/${spec.taskId}: ${error.message}`);
          resolve();
        });
      }),
    );
  });
  return { closed: Promise.all(streams).then(() => undefined) };
}

interface Counts {
  done: number;
  running: number;
  failed: number;
  reused: number;
}

/** Console reporter for `cellflow run` / `resume`. */
export class ConsoleReporter implements RunReporter {
  private readonly counts: Counts = { done: 0, running: 0, failed: 0, reused: 0 };
  private readonly started = Date.now();
  private readonly tty: boolean;
  private progressShown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private notebook: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(out.isTTY) && !process.env.CI;
    if (this.tty) {
      this.timer = setInterval(() => this.drawProgress(), 250).unref();
    }
  }

  taskStarted(): void {
    this.counts.running++;
  }

  notebookKnown(file: string): void {
    this.notebook = file;
  }

  taskLine(step: string, taskId: string, stream: 'stdout' | 'stderr', line: string): void {
    if (this.quiet) {
      return;
    }
    this.print(`${dim(`[${step}/${taskId}]`, this.tty)}${stream === 'stderr' ? ' !' : ''} ${line}`);
  }

  taskFinished(record: TaskRecord): void {
    this.counts.running--;
    if (record.status === 'succeeded') {
      this.counts.done++;
      return;
    }
    this.counts.failed++;
    const last = record.attempts[record.attempts.length - 1];
    const where = last?.error?.cell
      ? describeLocation({ cell: last.error.cell, line: last.error.line ?? 1 }, this.notebook)
      : this.notebook;
    this.print(
      `✗ step ${record.step} (task ${record.taskId}) failed at ${where}: ${last?.error?.message ?? 'unknown error'}`,
    );
  }

  taskRetrying(record: TaskRecord, delayMs: number): void {
    this.counts.running--;
    const last = record.attempts[record.attempts.length - 1];
    this.print(
      `↻ step ${record.step} (task ${record.taskId}) attempt ${last.attempt} failed (${last.error?.message}); retrying in ${delayMs} ms`,
    );
  }

  taskCaught(record: TaskRecord, artifact: string): void {
    this.counts.running--;
    this.counts.done++;
    this.print(
      `⚠ step ${record.step} (task ${record.taskId}) failed; the error is stored in self.${artifact} (catch:${artifact}) and the flow goes on`,
    );
  }

  taskReused(): void {
    this.counts.reused++;
    this.counts.done++;
  }

  switchTaken(record: TaskRecord, notTaken: string[]): void {
    if (this.quiet) {
      return;
    }
    const skipped = notTaken.map((n) => `'${n}'`).join(', ');
    this.print(
      `↷ step ${record.step} (task ${record.taskId}) chose '${record.switchTaken}'; not taken: ${skipped}`,
    );
  }

  note(message: string): void {
    this.print(message);
  }

  close(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
    this.clearProgress();
  }

  summary(): string {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const reused = this.counts.reused ? `, ${this.counts.reused} reused` : '';
    return `${this.counts.done} tasks done${reused}, ${this.counts.failed} failed in ${seconds} s`;
  }

  private print(line: string): void {
    this.clearProgress();
    this.out.write(line + '\n');
  }

  private drawProgress(): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const { done, running, failed } = this.counts;
    this.out.write(`\r\x1b[2K▸ ${done} done · ${running} running · ${failed} failed · ${seconds} s`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (this.progressShown) {
      this.out.write('\r\x1b[2K');
    }
    this.progressShown = false;
  }
}

function dim(text: string, tty: boolean): string {
  return tty ? `\x1b[2m${text}\x1b[0m` : text;
}
