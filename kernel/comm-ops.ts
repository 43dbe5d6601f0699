// The `cellflow` comm's requests (src/core/protocol.ts), answered with the Client API and, for `run`,
// the real CLI in a child process whose progress is streamed as `started`/`task`/`log` events.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Run } from '../src/client/run';
import { Task } from '../src/client/task';
import type { JsonValue } from '../src/core/model';
import type { Reply, Request, TaskStatusEvent } from '../src/core/protocol';
import { Datastore, effectiveRunStatus, parsePathspec } from '../src/runtime/datastore/datastore';
import { artifactPreview, DEFAULT_PREVIEW_ROWS, runDetail, runView } from '../src/client/views';
import { asJson } from './json';
import { packageRoot } from './package-root';
import type { StepContext } from './step-context';

const POLL_MS = 250;
/** The extension gives up on a request after 60 s without any message: repeat running tasks' status. */
const KEEPALIVE_MS = 15_000;

/** Runs started from the comm; stopped with the kernel so none outlives it unseen. */
const children = new Set<import('child_process').ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

export interface CommContext {
  cwd: string;
  steps: StepContext;
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
    case 'run':
      return asJson(await startRun(request, send, context));
    default:
      throw new Error(`unknown cellflow request op ${JSON.stringify((request as { op?: unknown })?.op)}`);
  }
}

// ---------------------------------------------------------------- run

async function startRun(
  request: Extract<Request, { op: 'run' }>,
  send: Send,
  context: CommContext,
): Promise<{ pathspec: string; status: string }> {
  const notebook = path.resolve(context.cwd, String(request.notebook ?? ''));
  if (!request.notebook || !fs.existsSync(notebook))
    throw new Error(`notebook ${request.notebook} not found`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-kernel-run-'));
  const runIdFile = path.join(scratch, 'run-id');
  const args = [path.join(packageRoot(), 'bin', 'cellflow.js'), 'run', notebook, '--run-id-file', runIdFile];
  for (const [name, value] of Object.entries(request.params ?? {})) args.push('--param', `${name}=${value}`);
  if (request.maxWorkers) args.push('--max-workers', String(request.maxWorkers));
  const env = {
    ...process.env,
    ...(request.datastore ? { CELLFLOW_HOME: path.resolve(context.cwd, request.datastore) } : {}),
  };
  const child = spawn(process.execPath, args, { cwd: context.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let lastEventAt = Date.now();
  const emit: Send = (reply) => {
    lastEventAt = Date.now();
    send(reply);
  };

  let pathspec: string | undefined;
  // The CLI writes the run-id file before it prints anything about the run, so looking for it
  // before each log line keeps `started` ahead of the run's output (a poll alone lost that race).
  const announceStarted = () => {
    if (pathspec || !fs.existsSync(runIdFile)) return;
    const text = fs.readFileSync(runIdFile, 'utf8');
    if (!text.endsWith('\n')) return; // caught mid-write: the line is not whole yet
    pathspec = text.trim();
    emit({ id: request.id, event: 'started', pathspec });
  };

  const lines = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (parts.length) announceStarted();
      for (const line of parts) emit({ id: request.id, event: 'log', line });
    });
    stream.on('end', () => {
      if (!partial) return;
      announceStarted();
      emit({ id: request.id, event: 'log', line: partial });
    });
  };
  lines(child.stdout!);
  lines(child.stderr!);

  const seen = new Map<string, string>();
  const poll = () => {
    announceStarted();
    if (!pathspec) return;
    const { flow, runId } = parsePathspec(pathspec);
    const store = Datastore.open({ root: env.CELLFLOW_HOME, cwd: path.dirname(notebook) });
    try {
      const quiet = Date.now() - lastEventAt > KEEPALIVE_MS;
      for (const task of store.listTasks(flow, runId!)) {
        const key = `${task.step}/${task.taskId}`;
        if (seen.get(key) === task.status && !(quiet && task.status === 'running')) continue;
        seen.set(key, task.status);
        const event: TaskStatusEvent = { step: task.step, taskId: task.taskId, status: task.status };
        emit({ id: request.id, event: 'task', task: event });
      }
    } catch {
      // a record being written: read it on the next tick
    }
  };
  const timer = setInterval(poll, POLL_MS);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  children.delete(child);
  clearInterval(timer);
  poll();
  fs.rmSync(scratch, { recursive: true, force: true });
  if (!pathspec) throw new Error(`cellflow run exited with code ${code} before starting a run`);
  const { flow, runId } = parsePathspec(pathspec);
  const store = Datastore.open({ root: env.CELLFLOW_HOME, cwd: path.dirname(notebook) });
  return { pathspec, status: effectiveRunStatus(store.readRun(flow, runId!)) };
}
