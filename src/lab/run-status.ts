// Task statuses → one status per step (a foreach body has many tasks), and the run-time bookkeeping of
// a live run fed by the kernel's `task` events. Pure.
import type { TaskStatusEvent } from '../core/protocol';

export type TaskStatus = TaskStatusEvent['status'];

/** What a step's node shows: the most telling status among its tasks. */
export function stepStatusOf(statuses: TaskStatus[]): TaskStatus | undefined {
  if (statuses.length === 0) {
    return undefined;
  }
  // A failure anywhere is what the user must see first; then work in progress; then done.
  for (const status of ['failed', 'running', 'cancelled', 'pending'] as const) {
    if (statuses.includes(status)) {
      return status;
    }
  }
  return 'succeeded';
}

/** Step → status from a list of tasks (records or events). */
export function stepStatuses(tasks: { step: string; status: TaskStatus }[]): Record<string, TaskStatus> {
  const byStep = new Map<string, TaskStatus[]>();
  for (const task of tasks) {
    const list = byStep.get(task.step) ?? [];
    list.push(task.status);
    byStep.set(task.step, list);
  }
  const result: Record<string, TaskStatus> = {};
  for (const [step, statuses] of byStep) {
    result[step] = stepStatusOf(statuses) as TaskStatus;
  }
  return result;
}

/**
 * The latest status of each task of a live run, as `task` events arrive. Events carry the kernel's
 * sequence number: one older than the last applied is dropped, so a late message cannot undo a newer
 * state (a task shown running again after it succeeded).
 */
export class LiveRunState {
  private readonly tasks = new Map<string, { step: string; status: TaskStatus }>();
  private lastSeq = 0;
  pathspec?: string;
  finalStatus?: string;
  /** The comm request that started the run: what Stop names. */
  requestId?: string;
  /** Why the run could not start or was lost (the CLI's message). */
  error?: string;
  /** The failed task's error, where the cell is known (a link to it). */
  failure?: { step: string; message: string; cell?: { index: number; id: string }; line?: number };
  /** A resume: the run it resumes. */
  origin?: string;
  stopping = false;

  /** Applies an event's sequence number; false when the event is older than one already applied. */
  accept(seq: number | undefined): boolean {
    if (seq === undefined) {
      return true;
    }
    if (seq <= this.lastSeq) {
      return false;
    }
    this.lastSeq = seq;
    return true;
  }

  update(event: TaskStatusEvent): void {
    this.tasks.set(`${event.step}/${event.taskId}`, { step: event.step, status: event.status });
  }

  steps(): Record<string, TaskStatus> {
    return stepStatuses([...this.tasks.values()]);
  }

  get running(): boolean {
    return this.finalStatus === undefined;
  }
}
