// Task records (task.json) are built here and nowhere else: by the task runner as an attempt starts,
// by the scheduler for an attempt that died unrecorded and for a task resume reuses, and by the
// kernel's saveInteractive. A new field of the record is added once, here.
import type { ArtifactIndex, AttemptRecord, ForeachFrame, TaskRecord, TaskStatus } from '../records';

/** What places a task in its run: its identity, its parent tasks and its foreach position. */
export interface TaskPlace {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  /** Pathspecs of the parent tasks. */
  parents: string[];
  foreachStack: ForeachFrame[];
  /** Loops: tasks of this step that ran before at the same foreach position (0 or absent: none). */
  iteration?: number;
}

/**
 * A task's record with its attempts so far. It started when its first attempt did; `artifacts` is
 * empty until a successful attempt stores them, and `finishedAt` absent while an attempt runs.
 */
export function newTaskRecord(
  place: TaskPlace,
  state: { status: TaskStatus; attempts: AttemptRecord[]; artifacts?: ArtifactIndex; finishedAt?: string },
): TaskRecord {
  const startedAt = state.attempts[0]?.startedAt;
  return {
    flow: place.flow,
    runId: place.runId,
    step: place.step,
    taskId: place.taskId,
    status: state.status,
    attempts: state.attempts,
    artifacts: state.artifacts ?? {},
    parents: place.parents,
    foreachStack: place.foreachStack,
    ...(place.iteration ? { iteration: place.iteration } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(state.finishedAt !== undefined ? { finishedAt: state.finishedAt } : {}),
  };
}

/** The record with one more attempt at its end (the record itself is left as it was). */
export function withAttempt(record: TaskRecord, attempt: AttemptRecord): TaskRecord {
  return { ...record, attempts: [...record.attempts, attempt] };
}

/** The running attempt ended: it and the task take its status, at the same moment. */
export function finishAttempt(
  record: TaskRecord,
  attempt: AttemptRecord,
  status: 'succeeded' | 'failed',
): void {
  const now = new Date().toISOString();
  attempt.status = status;
  attempt.finishedAt = now;
  record.status = status;
  record.finishedAt = now;
}

/**
 * Resume: the origin run's task standing in for this one at `place`. Everything it recorded is kept
 * (its artifact map by reference: no object is read or written) and `reusedFrom` names it.
 */
export function reusedTaskRecord(origin: TaskRecord, place: TaskPlace, reusedFrom: string): TaskRecord {
  return {
    ...origin,
    flow: place.flow,
    runId: place.runId,
    taskId: place.taskId,
    parents: place.parents,
    foreachStack: place.foreachStack,
    ...(place.iteration ? { iteration: place.iteration } : {}),
    reusedFrom,
  };
}
