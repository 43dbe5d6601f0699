// Runs and tasks in the shapes of src/core/protocol.ts, read through the Client API: what the comm
// answers and what a displayed Run or Task carries.
import type { JsonValue } from '../src/core/model';
import type { RunDetailResult, RunView, TaskView } from '../src/core/protocol';
import type { Run } from '../src/client/run';
import type { Task } from '../src/client/task';
import { effectiveRunStatus } from '../src/runtime/datastore/datastore';
import type { RunRecord, TaskRecord } from '../src/runtime/records';

export function runView(record: RunRecord): RunView & { graph: RunRecord['graph'] } {
  return {
    flow: record.flow,
    runId: record.runId,
    user: record.user,
    tags: record.tags,
    params: record.params,
    status: effectiveRunStatus(record),
    createdAt: record.createdAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...(record.origin ? { origin: record.origin } : {}),
    ...(record.seed !== undefined ? { seed: record.seed } : {}),
    graph: record.graph,
  };
}

export function taskView(record: TaskRecord): TaskView {
  return {
    flow: record.flow,
    runId: record.runId,
    step: record.step,
    taskId: record.taskId,
    status: record.status,
    attempts: record.attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      startedAt: a.startedAt,
      ...(a.finishedAt ? { finishedAt: a.finishedAt } : {}),
      ...(a.error ? { error: { message: a.error.message, cell: a.error.cell, line: a.error.line } } : {}),
    })),
    artifacts: record.artifacts,
    foreachStack: record.foreachStack.map((f) => ({ step: f.step, index: f.index, count: f.count })),
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
  };
}

export function runDetail(run: Run): RunDetailResult {
  const record = run.record;
  const tasks = run.datastore.listTasks(record.flow, record.runId).map(taskView);
  return {
    run: {
      ...runView(record),
      // The reproducibility records are plain JSON, typed more precisely by the runtime.
      ...(record.source !== undefined ? { source: asJson(record.source) } : {}),
      ...(record.lockfile !== undefined ? { lockfile: asJson(record.lockfile) } : {}),
      ...(record.environment !== undefined ? { environment: asJson(record.environment) } : {}),
    },
    tasks,
  };
}

export function taskDetail(task: Task): TaskView {
  return taskView(task.record);
}

/** JSON without undefined members (the comm and display_data carry JSON). */
export function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
