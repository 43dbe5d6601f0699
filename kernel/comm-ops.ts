// The `cellflow` comm's requests (src/core/protocol.ts), answered with the Client API and, for `run`,
// the real CLI in a child process whose progress is streamed as `started`/`task`/`log` events.
import * as fs from 'fs';
import * as path from 'path';
import { executedNotebookName, writeExecutedNotebook } from '../src/client/executed-notebook';
import { Flow } from '../src/client/flow';
import { Run } from '../src/client/run';
import { Task } from '../src/client/task';
import type { JsonValue } from '../src/core/model';
import type {
  Op,
  PredictionsResult,
  Reply,
  Request,
  RequestOf,
  ResultOf,
  RunResult,
} from '../src/core/protocol';
import { checkName, Datastore, parsePathspec, UserInputError } from '../src/runtime';
import { artifactPreview, DEFAULT_PREVIEW_ROWS, runDetail, runView } from '../src/client/views';
import { onTheWire } from './json';
import { resumeArgs, runArgs, stopRun, streamCli } from './run-stream';
import type { NotebookIndex } from './notebook-index';
import type { StepContext } from './step-context';

export interface CommContext {
  cwd: string;
  steps: StepContext;
  notebooks: NotebookIndex;
}

export type Send = (reply: Reply) => void;

/** One handler per op, typed by the protocol's map: its request in, its result out. */
type Handlers = {
  [O in Op]: (request: RequestOf<O>, send: Send, context: CommContext) => Promise<ResultOf<O>> | ResultOf<O>;
};

export async function handleRequest(request: Request, send: Send, context: CommContext): Promise<void> {
  const id = typeof request?.id === 'string' ? request.id : '';
  try {
    const result = await answer(request, send, context);
    send({ id, ok: true, result });
  } catch (error) {
    send({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

/** The request's handler; the message comes off the wire, so its op is checked before it is trusted. */
function answer(request: Request, send: Send, context: CommContext): Promise<ResultOf<Op>> | ResultOf<Op> {
  const op = (request as { op?: unknown } | null)?.op;
  if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(HANDLERS, op)) {
    throw new Error(`unknown cellflow request op ${JSON.stringify(op)}`);
  }
  const handler = HANDLERS[op as Op] as (
    request: Request,
    send: Send,
    context: CommContext,
  ) => Promise<ResultOf<Op>> | ResultOf<Op>;
  return handler(request, send, context);
}

const datastoreOf = (request: { datastore?: string }, context: CommContext): Datastore =>
  Datastore.open({ root: request.datastore, cwd: context.cwd });

// Records go through a JSON round trip (onTheWire): undefined members dropped, as the wire would.
const HANDLERS: Handlers = {
  // What `new Flow(name).runs()` shows in this kernel: the client's namespace (the current user,
  // unless a cell set another with namespace(...)), as a data scientist's own list; `cellflow runs`
  // is the place for everyone's. A flow that has not run yet lists no runs.
  runs: (request, _send, context) => {
    const store = datastoreOf(request, context);
    const limit = Math.max(1, Math.min(request.limit ?? 100, 10_000));
    const name = checkName('flow name', request.flow);
    const runs = store.listFlows().includes(name) ? new Flow(name, store).runs({ limit }) : [];
    return onTheWire({ runs: runs.map((run) => runView(run.record)) });
  },
  'run-detail': (request, _send, context) =>
    onTheWire(runDetail(Run.get(request.pathspec, datastoreOf(request, context)))),
  artifact: async (request, _send, context) =>
    onTheWire(
      await artifactPreview(
        Task.get(request.pathspec, datastoreOf(request, context)),
        request.name,
        request.maxRows ?? DEFAULT_PREVIEW_ROWS,
      ),
    ),
  logs: async (request, _send, context) => {
    const task = Task.get(request.pathspec, datastoreOf(request, context));
    const attempt = request.attempt ?? task.currentAttempt ?? 0;
    const [stdout, stderr] = await Promise.all([task.log('stdout', attempt), task.log('stderr', attempt)]);
    return { attempt, stdout, stderr };
  },
  outputs: async (request, _send, context) =>
    onTheWire({ outputs: await Task.get(request.pathspec, datastoreOf(request, context)).outputs() }),
  'executed-notebook': async (request, _send, context) => {
    const run = Run.get(request.pathspec, datastoreOf(request, context));
    const file = executedNotebookName(run);
    await writeExecutedNotebook(run, path.join(context.cwd, file));
    return { file };
  },
  'interactive-state': (_request, _send, context) => onTheWire({ steps: context.steps.state() }),
  predictions: async (request, _send, context) =>
    onTheWire(await runPredictions(datastoreOf(request, context), request.pathspec, request.limit ?? 20)),
  run: (request, send, context) => startRun(request, send, context),
  resume: (request, send, context) =>
    streamCli(request.id, resumeArgs(request), { cwd: context.cwd, datastore: request.datastore }, send),
  stop: (request) => ({ stopped: stopRun(String(request.run)) }),
  // Synchronous on purpose: it is applied before the execute_request that follows it is handled.
  notebook: (request, _send, context) => {
    context.notebooks.setLive(String(request.notebook), String(request.content));
    return { ok: true };
  },
};

// ---------------------------------------------------------------- run

function startRun(request: RequestOf<'run'>, send: Send, context: CommContext): Promise<RunResult> {
  const notebook = path.resolve(context.cwd, String(request.notebook ?? ''));
  if (!request.notebook || !fs.existsSync(notebook)) {
    throw new Error(`notebook ${request.notebook} not found`);
  }
  return streamCli(
    request.id,
    runArgs(request, notebook),
    { cwd: path.dirname(notebook), datastore: request.datastore },
    send,
  );
}

/** A run's logged predictions and, per endpoint with a reference, the drift of its requests. */
async function runPredictions(
  datastore: Datastore,
  pathspec: string,
  limit: number,
): Promise<PredictionsResult> {
  const { flow } = parsePathspec(pathspec);
  const { logStorageOf, readPredictions } = await import('../src/runtime/serve');
  const { runDrift } = await import('../src/runtime/serve');
  const records = (await readPredictions(logStorageOf(datastore), flow)).filter((r) => r.run === pathspec);
  const drift: PredictionsResult['drift'] = [];
  const noDrift: NonNullable<PredictionsResult['noDrift']> = [];
  for (const endpoint of [...new Set(records.map((r) => r.endpoint))].sort()) {
    const requests = records.filter((r) => r.endpoint === endpoint && r.status === 200).map((r) => r.request);
    if (requests.length === 0) {
      continue;
    }
    try {
      drift.push(runDrift(datastore, pathspec, endpoint, requests));
    } catch (error) {
      // No reference data named for this run: its predictions are shown without drift, saying why.
      // Any other failure is the panel's error, not a chart that silently stays away.
      if (!(error instanceof UserInputError)) {
        throw error;
      }
      noDrift.push({ endpoint, reason: error.message });
    }
  }
  const newest = records.slice(-Math.max(1, Math.min(limit, 1000))).reverse();
  return {
    run: pathspec,
    total: records.length,
    predictions: newest.map((r) => ({
      id: r.id,
      time: r.time,
      endpoint: r.endpoint,
      status: r.status,
      latencyMs: r.latencyMs,
      response: r.response as JsonValue,
    })),
    drift,
    ...(noDrift.length > 0 ? { noDrift } : {}),
  };
}
