// The comm protocol between the JupyterLab extension (browser) and the cellflow kernel (Node).
// JupyterLab opens a comm on target `cellflow`; each request carries an id and each reply or event
// echoes it. Chosen over a Python server extension so that runs, artifacts and logs are served by the
// same Node code the CLI uses, with nothing to install on the Jupyter server.
import type { FeatureDrift } from './drift';
import type { CellRef, FlowGraph, JsonValue } from './model';

export const COMM_TARGET = 'cellflow';

/** MIME type of the rich display of a Run or Task (`display_data`), rendered by the extension. */
export const CELLFLOW_MIMETYPE = 'application/vnd.cellflow.run+json';

export type Request =
  /** Start `cellflow run` on a notebook (path relative to the kernel's working directory). */
  | {
      id: string;
      op: 'run';
      notebook: string;
      params?: Record<string, string>;
      tags?: string[];
      seed?: number;
      maxWorkers?: number;
      datastore?: string;
    }
  /** `cellflow resume RUN [--from STEP]`, streamed like `run`. */
  | { id: string; op: 'resume'; pathspec: string; fromStep?: string; maxWorkers?: number; datastore?: string }
  /** Interrupts a run started with `run`/`resume` (its request id): the run is recorded as cancelled. */
  | { id: string; op: 'stop'; run: string }
  /**
   * The notebook as the frontend holds it (nbformat JSON, outputs left out), sent before each execution,
   * so the kernel places new, moved and re-tagged cells before the notebook is saved.
   */
  | { id: string; op: 'notebook'; notebook: string; content: string }
  /** Past runs of a flow, newest first. */
  | { id: string; op: 'runs'; flow: string; limit?: number; datastore?: string }
  /** One run: record, graph and every task's status. */
  | { id: string; op: 'run-detail'; pathspec: string; datastore?: string }
  /** A preview of one artifact (bounded size), never executing anything. */
  | { id: string; op: 'artifact'; pathspec: string; name: string; maxRows?: number; datastore?: string }
  /** A task attempt's stdout and stderr. */
  | { id: string; op: 'logs'; pathspec: string; attempt?: number; datastore?: string }
  /** Which steps have interactive results in this kernel and which are stale. */
  | { id: string; op: 'interactive-state' }
  /** A served run's logged predictions (the newest `limit`) and the input drift of each endpoint. */
  | { id: string; op: 'predictions'; pathspec: string; limit?: number; datastore?: string };

// `datastore` (optional on every op that touches runs): the datastore root from the extension's
// settings; absent means the kernel's default (CELLFLOW_HOME, else `.cellflow/` at the project root).

export type TaskStatusEvent = {
  step: string;
  taskId: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
};

export type Reply =
  | { id: string; ok: true; result: JsonValue }
  | { id: string; ok: false; error: string }
  /** Streamed while a run started with `op: 'run'` is in progress. */
  | { id: string; event: 'started'; pathspec: string; seq?: number }
  | { id: string; event: 'task'; task: TaskStatusEvent; seq?: number }
  | { id: string; event: 'log'; line: string; stream?: 'stdout' | 'stderr'; seq?: number };

// `seq` on events: 1, 2, 3... per request, in the order the kernel sent them; the extension applies an
// event only if its seq is newer than the last one it applied, so a late message cannot undo a later state.

/** Artifact previews: the extension escapes every string it shows. */
export type ArtifactPreview =
  | { kind: 'table'; columns: string[]; rows: JsonValue[][]; totalRows: number }
  | { kind: 'json'; value: JsonValue; truncated: boolean }
  | { kind: 'bytes'; length: number; hexHead: string }
  | { kind: 'text'; text: string };

// ---------------------------------------------------------------- results (`ok: true` replies)
// Structural subsets of the runtime's RunRecord and TaskRecord (src/runtime/records.ts), so the kernel
// may send the records as they are; the extension reads only these fields.

export type RunStatusName = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'abandoned';

/** A run as `runs` lists it and `run-detail` shows it. */
export interface RunView {
  flow: string;
  runId: string;
  user: string;
  tags: string[];
  params: Record<string, JsonValue>;
  status: RunStatusName;
  createdAt: string;
  finishedAt?: string;
  origin?: { kind: string; pathspec: string; fromStep?: string; verdict?: VerdictView };
  seed?: number;
}

/** A difference a reproduction found (records.ts ReproductionDifference). */
export interface VerdictDifferenceView {
  step: string;
  task?: string;
  position?: string;
  artifact: string;
  verdict: string;
  cause?: string;
  original?: string;
  reproduced?: string;
}

/** A reproduction's verdict as run.json stores it (records.ts ReproductionVerdict). */
export interface VerdictView {
  result: 'identical' | 'different';
  identical: number;
  different: number;
  missing: number;
  added: number;
  first?: VerdictDifferenceView;
  differences?: VerdictDifferenceView[];
  known?: string[];
  explanation?: string;
  why?: string;
}

/** Reproducibility parts of a run record, shown as they are (see DESIGN "Run record"). */
export interface RunReproView {
  source?: JsonValue;
  lockfile?: JsonValue;
  environment?: JsonValue;
}

export interface TaskView {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  status: TaskStatusEvent['status'];
  attempts: {
    attempt: number;
    status: string;
    startedAt: string;
    finishedAt?: string;
    error?: { message: string; cell?: CellRef; line?: number };
  }[];
  artifacts: Record<string, { sha256: string; codec: string; bytes: number }>;
  foreachStack?: { step: string; index: number; count: number }[];
  startedAt?: string;
  finishedAt?: string;
}

/** Result of `run`, sent when the run has finished. */
export interface RunResult {
  pathspec: string;
  status: RunStatusName;
}

/** Result of `runs`: newest first. */
export interface RunsResult {
  runs: RunView[];
}

/** Result of `predictions`: what `cellflow predictions` and `cellflow monitor` say about one run. */
export interface PredictionsResult {
  run: string;
  total: number;
  /** The newest ones, newest first. */
  predictions: {
    id: string;
    time: string;
    endpoint: string;
    status: number;
    latencyMs: number;
    response: JsonValue;
  }[];
  drift: { endpoint: string; reference: string; requests: number; features: FeatureDrift[] }[];
}

/** Result of `run-detail`. */
export interface RunDetailResult {
  run: RunView & RunReproView & { graph: FlowGraph };
  tasks: TaskView[];
}

/** Result of `logs`. */
export interface LogsResult {
  attempt: number;
  stdout: string;
  stderr: string;
}

/** Result of `interactive-state`: steps run in this kernel; `stale` once an upstream step re-ran. */
export interface InteractiveStateResult {
  steps: {
    step: string;
    stale: boolean;
    /** Why: a parameter changed since it ran, or an upstream step re-ran. */
    reason?: 'parameters' | 'upstream';
    ranAt?: string;
    /** A foreach body: the one element it ran on (0-based index). */
    element?: { split: string; index: number; count: number };
    /** Built on a join that gathered only the foreach elements run in the kernel (0-based `ran`). */
    partial?: { join: string; split: string; ran: number[]; count: number };
    /** A switch step: the case its latest interactive run chose. */
    switchTaken?: string;
    /** A case its switch's latest interactive run did not choose: a flow run would skip it. Listed
     * whether or not the step ran here. */
    notTaken?: { switch: string; taken: string };
  }[];
}

/** Data of a `CELLFLOW_MIMETYPE` display: a Run as `run-detail` returns it, or one Task. */
export type CellflowDisplay = ({ kind: 'run' } & RunDetailResult) | { kind: 'task'; task: TaskView };
