// The comm protocol between the JupyterLab extension (browser) and the cellflow kernel (Node).
// JupyterLab opens a comm on target `cellflow`; each request carries an id and each reply or event
// echoes it. Chosen over a Python server extension so that runs, artifacts and logs are served by the
// same Node code the CLI uses, with nothing to install on the Jupyter server.
import type { FeatureDrift } from './drift';
import type { CellRef, FlowGraph, JsonValue } from './model';
import type { NotebookOutput } from './notebook-outputs';

export const COMM_TARGET = 'cellflow';

/** MIME type of the rich display of a Run or Task (`display_data`), rendered by the extension. */
export const CELLFLOW_MIMETYPE = 'application/vnd.cellflow.run+json';

/**
 * Every request the extension sends, by op: what it carries and what the final reply's `result` is.
 * Both ends are typed by this map (the kernel's handlers in kernel/comm-ops.ts, the extension's
 * CellflowClient.request), as JupyterLab's debugger types its DAP requests and responses.
 * `datastore` (on every op that touches runs): the datastore root from the extension's settings;
 * absent means the kernel's default (CELLFLOW_HOME, else `.cellflow/` at the project root).
 */
export interface CellflowOps {
  /** Start `cellflow run` on a notebook (path relative to the kernel's working directory); streams
   * `started`, `task` and `log` events and answers when the run has finished. */
  run: {
    request: {
      notebook: string;
      params?: Record<string, string>;
      tags?: string[];
      seed?: number;
      maxWorkers?: number;
      datastore?: string;
    };
    result: RunResult;
  };
  /** `cellflow resume RUN [--from STEP]`, streamed like `run`. */
  resume: {
    request: { pathspec: string; fromStep?: string; maxWorkers?: number; datastore?: string };
    result: RunResult;
  };
  /** Interrupts a run started with `run`/`resume` (its request id): the run is recorded as cancelled. */
  stop: { request: { run: string }; result: { stopped: boolean } };
  /**
   * The notebook as the frontend holds it (nbformat JSON, outputs left out), sent before each execution,
   * so the kernel places new, moved and re-tagged cells before the notebook is saved.
   */
  notebook: { request: { notebook: string; content: string }; result: { ok: true } };
  /** Past runs of a flow, newest first. */
  runs: { request: { flow: string; limit?: number; datastore?: string }; result: RunsResult };
  /** One run: record, graph and every task's status. */
  'run-detail': { request: { pathspec: string; datastore?: string }; result: RunDetailResult };
  /** A preview of one artifact (bounded size), never executing anything. */
  artifact: {
    request: { pathspec: string; name: string; maxRows?: number; datastore?: string };
    result: ArtifactPreview;
  };
  /** What a task printed and displayed during the run, as its cell's notebook outputs. */
  outputs: { request: { pathspec: string; datastore?: string }; result: { outputs: NotebookOutput[] } };
  /**
   * Writes the run as an executed notebook (its notebook with every step's outputs) into the kernel's
   * working directory, the notebook's folder; answers the file's name there.
   */
  'executed-notebook': { request: { pathspec: string; datastore?: string }; result: { file: string } };
  /** A task attempt's stdout and stderr. */
  logs: { request: { pathspec: string; attempt?: number; datastore?: string }; result: LogsResult };
  /** Which steps have interactive results in this kernel and which are stale. */
  'interactive-state': { request: object; result: InteractiveStateResult };
  /** A served run's logged predictions (the newest `limit`) and the input drift of each endpoint. */
  predictions: {
    request: { pathspec: string; limit?: number; datastore?: string };
    result: PredictionsResult;
  };
}

export type Op = keyof CellflowOps;

/** A request as it goes on the wire: its op's fields, the op and an id every reply echoes. */
export type RequestOf<O extends Op> = { id: string; op: O } & CellflowOps[O]['request'];

/** A request as callers write it (the client assigns the id). */
export type RequestBodyOf<O extends Op> = { op: O } & CellflowOps[O]['request'];

export type ResultOf<O extends Op> = CellflowOps[O]['result'];

export type Request = { [O in Op]: RequestOf<O> }[Op];

export type RequestBody = { [O in Op]: RequestBodyOf<O> }[Op];

export type TaskStatusEvent = {
  step: string;
  taskId: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
};

/** Streamed while a run started with `run` or `resume` is in progress. */
export type StreamEvent =
  | { id: string; event: 'started'; pathspec: string; seq?: number }
  | { id: string; event: 'task'; task: TaskStatusEvent; seq?: number }
  | { id: string; event: 'log'; line: string; stream?: 'stdout' | 'stderr'; seq?: number };

/** The final reply to a request: its op's result, or the kernel's error message. */
export type FinalReply =
  { id: string; ok: true; result: ResultOf<Op> } | { id: string; ok: false; error: string };

export type Reply = FinalReply | StreamEvent;

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

/** Result of `run` and `resume`, sent when the run has finished. */
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
  /** Endpoints whose drift cannot be computed, and why (e.g. the run names no reference data). */
  noDrift?: { endpoint: string; reason: string }[];
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
