// Plain-JSON views of runs, tasks and artifacts in the shapes of src/core/protocol.ts: what the kernel
// sends to the JupyterLab extension and what `cellflow card` renders. Never runs code from artifacts.
import type { Table } from 'apache-arrow';
import { types } from 'util';
import type { JsonValue } from '../core/model';
import type { ArtifactPreview, RunDetailResult, RunView, TaskView } from '../core/protocol';
import { effectiveRunStatus, type RunRecord, type TaskRecord } from '../runtime';
import type { Run } from './run';
import type { Task } from './task';

export const DEFAULT_PREVIEW_ROWS = 50;
const MAX_PREVIEW_ROWS = 1000;
const MAX_PREVIEW_CHARS = 200_000;
const HEX_HEAD_BYTES = 64;

export function runView(record: RunRecord): RunView {
  const view: RunView = {
    flow: record.flow,
    runId: record.runId,
    user: record.user,
    tags: record.tags,
    params: record.params,
    status: effectiveRunStatus(record),
    createdAt: record.createdAt,
  };
  if (record.finishedAt) {
    view.finishedAt = record.finishedAt;
  }
  if (record.origin) {
    view.origin = record.origin;
  }
  if (record.seed !== undefined) {
    view.seed = record.seed;
  }
  return view;
}

export function taskView(record: TaskRecord): TaskView {
  const finished =
    record.status === 'succeeded' || record.status === 'failed' || record.status === 'cancelled';
  return {
    flow: record.flow,
    runId: record.runId,
    step: record.step,
    taskId: record.taskId,
    status: record.status,
    attempts: record.attempts.map(({ attempt, status, startedAt, finishedAt, error }) => ({
      attempt,
      status,
      startedAt,
      ...(finishedAt ? { finishedAt } : {}),
      ...(error ? { error: { message: error.message, cell: error.cell, line: error.line } } : {}),
    })),
    // As the Client API: a task's artifacts are visible once its completion marker is written.
    artifacts: finished ? record.artifacts : {},
    foreachStack: record.foreachStack.map(({ step, index, count }) => ({ step, index, count })),
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
  };
}

/** A run with its graph, reproducibility record and every task. */
export function runDetail(run: Run): RunDetailResult {
  const record = run.record;
  const tasks = run.datastore.listTasks(run.flow, run.id).map(taskView);
  return {
    run: {
      ...runView(record),
      graph: record.graph,
      // The typed records are plain JSON: the protocol carries them as JsonValue.
      ...(record.source !== undefined ? { source: record.source as unknown as JsonValue } : {}),
      ...(record.lockfile !== undefined ? { lockfile: record.lockfile as unknown as JsonValue } : {}),
      ...(record.environment !== undefined
        ? { environment: record.environment as unknown as JsonValue }
        : {}),
    },
    tasks,
  };
}

/** A bounded preview of one artifact: Arrow as rows, JSON-able values as JSON, bytes as a hex head. */
export async function artifactPreview(
  task: Task,
  name: string,
  maxRows = DEFAULT_PREVIEW_ROWS,
): Promise<ArtifactPreview> {
  const ref = task.artifact(name);
  const value = await task.data(name);
  if (ref.codec === 'arrow') {
    return tablePreview(value as Table, maxRows);
  }
  if (ref.codec === 'bytes') {
    const bytes = value as Uint8Array;
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEX_HEAD_BYTES));
    return { kind: 'bytes', length: bytes.byteLength, hexHead: head.toString('hex') };
  }
  const json = toDisplayJson(value);
  const text = JSON.stringify(json);
  if (text.length <= MAX_PREVIEW_CHARS) {
    return { kind: 'json', value: json, truncated: false };
  }
  return { kind: 'text', text: `${text.slice(0, MAX_PREVIEW_CHARS)}…` };
}

function tablePreview(table: Table, maxRows: number): ArtifactPreview {
  const columns = table.schema.fields.map((field) => field.name);
  const rows: JsonValue[][] = [];
  const shown = Math.max(0, Math.min(maxRows, MAX_PREVIEW_ROWS, table.numRows));
  for (let i = 0; i < shown; i++) {
    const row = table.get(i);
    rows.push(columns.map((column) => toDisplayJson(row?.[column])));
  }
  return { kind: 'table', columns, rows, totalRows: table.numRows };
}

/** V8 values (Map, Set, BigInt, typed arrays, Date) as the nearest JSON, for display only. */
export function toDisplayJson(value: unknown): JsonValue {
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') {
      return String(item);
    }
    if (types.isMap(item)) {
      return Object.fromEntries([...(item as Map<unknown, unknown>)].map(([k, v]) => [String(k), v]));
    }
    if (types.isSet(item)) {
      return [...(item as Set<unknown>)];
    }
    if (ArrayBuffer.isView(item) && !(item instanceof DataView)) {
      return Array.from(item as unknown as ArrayLike<number | bigint>, (n) =>
        typeof n === 'bigint' ? String(n) : n,
      );
    }
    if (typeof item === 'number' && !Number.isFinite(item)) {
      return String(item);
    }
    if (types.isRegExp(item)) {
      return String(item);
    }
    if (types.isNativeError(item)) {
      return { name: (item as Error).name, message: (item as Error).message };
    }
    return item;
  });
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}
