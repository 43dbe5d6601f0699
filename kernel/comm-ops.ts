// The `cellflow` comm's requests (src/core/protocol.ts), answered with the Client API and, for `run`,
// the real CLI in a child process whose progress is streamed as `started`/`task`/`log` events.
import * as fs from 'fs';
import * as path from 'path';
import { Run } from '../src/client/run';
import { Task } from '../src/client/task';
import type { JsonValue } from '../src/core/model';
import type { PredictionsResult, Reply, Request } from '../src/core/protocol';
import { Datastore, parsePathspec } from '../src/runtime/datastore/datastore';
import { artifactPreview, DEFAULT_PREVIEW_ROWS, runDetail, runView } from '../src/client/views';
import { asJson } from './json';
import { resumeArgs, runArgs, stopRun, streamCli } from './run-stream';
import type { NotebookIndex } from './notebook-index';
import type { StepContext } from './step-context';

export interface CommContext {
  cwd: string;
  steps: StepContext;
  notebooks: NotebookIndex;
}

export type Send = (reply: Reply) => void;

export async function handleRequest(request: Request, send: Send, context: CommContext): Promise<void> {
  const id = typeof request?.id === 'string' ? request.id : '';
  try {
    const result = await answer(request, send, context);
    send({ id, ok: true, result });
  } catch (error) {
    send({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

async function answer(request: Request, send: Send, context: CommContext): Promise<JsonValue> {
  const datastore = () =>
    Datastore.open({ root: 'datastore' in request ? request.datastore : undefined, cwd: context.cwd });
  switch (request?.op) {
    case 'runs': {
      const store = datastore();
      const limit = Math.max(1, Math.min(request.limit ?? 100, 10_000));
      const ids = store.listRuns(parsePathspec(request.flow).flow).slice(0, limit);
      return asJson({ runs: ids.map((runId) => runView(store.readRun(request.flow, runId))) });
    }
    case 'run-detail':
      return asJson(runDetail(Run.get(request.pathspec, datastore())));
    case 'artifact':
      return asJson(
        await artifactPreview(
          Task.get(request.pathspec, datastore()),
          request.name,
          request.maxRows ?? DEFAULT_PREVIEW_ROWS,
        ),
      );
    case 'logs': {
      const task = Task.get(request.pathspec, datastore());
      const attempt = request.attempt ?? task.currentAttempt ?? 0;
      const [stdout, stderr] = await Promise.all([task.log('stdout', attempt), task.log('stderr', attempt)]);
      return { attempt, stdout, stderr };
    }
    case 'interactive-state':
      return asJson({ steps: context.steps.state() });
    case 'predictions':
      return asJson(await runPredictions(datastore(), request.pathspec, request.limit ?? 20));
    case 'run':
      return asJson(await startRun(request, send, context));
    case 'resume':
      return asJson(
        await streamCli(
          request.id,
          resumeArgs(request),
          { cwd: context.cwd, datastore: request.datastore },
          send,
        ),
      );
    case 'stop':
      return { stopped: stopRun(String(request.run)) };
    case 'notebook':
      // Synchronous on purpose: it is applied before the execute_request that follows it is handled.
      context.notebooks.setLive(String(request.notebook), String(request.content));
      return { ok: true };
    default:
      throw new Error(`unknown cellflow request op ${JSON.stringify((request as { op?: unknown })?.op)}`);
  }
}

// ---------------------------------------------------------------- run

function startRun(
  request: Extract<Request, { op: 'run' }>,
  send: Send,
  context: CommContext,
): Promise<{ pathspec: string; status: string }> {
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
  const { logStorageOf, readPredictions } = await import('../src/runtime/serve/prediction-log');
  const { runDrift } = await import('../src/runtime/serve/monitor');
  const records = (await readPredictions(logStorageOf(datastore), flow)).filter((r) => r.run === pathspec);
  const drift: PredictionsResult['drift'] = [];
  for (const endpoint of [...new Set(records.map((r) => r.endpoint))].sort()) {
    const requests = records.filter((r) => r.endpoint === endpoint && r.status === 200).map((r) => r.request);
    if (requests.length === 0) {
      continue;
    }
    try {
      drift.push(runDrift(datastore, pathspec, endpoint, requests));
    } catch {
      // No reference data named for this run: its predictions are shown without drift.
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
  };
}
