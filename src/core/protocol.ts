// The comm protocol between the JupyterLab extension (browser) and the cellflow kernel (Node).
// JupyterLab opens a comm on target `cellflow`; each request carries an id and each reply or event
// echoes it. Chosen over a Python server extension so that runs, artifacts and logs are served by the
// same Node code the CLI uses, with nothing to install on the Jupyter server.
import type { JsonValue } from './model';

export const COMM_TARGET = 'cellflow';

/** MIME type of the rich display of a Run or Task (`display_data`), rendered by the extension. */
export const CELLFLOW_MIMETYPE = 'application/vnd.cellflow.run+json';

export type Request =
  /** Start `cellflow run` on a notebook (path relative to the kernel's working directory). */
  | { id: string; op: 'run'; notebook: string; params?: Record<string, string>; maxWorkers?: number }
  /** Past runs of a flow, newest first. */
  | { id: string; op: 'runs'; flow: string; limit?: number }
  /** One run: record, graph and every task's status. */
  | { id: string; op: 'run-detail'; pathspec: string }
  /** A preview of one artifact (bounded size), never executing anything. */
  | { id: string; op: 'artifact'; pathspec: string; name: string; maxRows?: number }
  /** A task attempt's stdout and stderr. */
  | { id: string; op: 'logs'; pathspec: string; attempt?: number }
  /** Which steps have interactive results in this kernel and which are stale. */
  | { id: string; op: 'interactive-state' };

export type TaskStatusEvent = {
  step: string;
  taskId: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
};

export type Reply =
  | { id: string; ok: true; result: JsonValue }
  | { id: string; ok: false; error: string }
  /** Streamed while a run started with `op: 'run'` is in progress. */
  | { id: string; event: 'started'; pathspec: string }
  | { id: string; event: 'task'; task: TaskStatusEvent }
  | { id: string; event: 'log'; line: string };

/** Artifact previews: the extension escapes every string it shows. */
export type ArtifactPreview =
  | { kind: 'table'; columns: string[]; rows: JsonValue[][]; totalRows: number }
  | { kind: 'json'; value: JsonValue; truncated: boolean }
  | { kind: 'bytes'; length: number; hexHead: string }
  | { kind: 'text'; text: string };
