// One flow run from start to end: load and store the code, record the run, schedule the tasks in warm
// task processes, and close the record. `resume` is the same with some tasks reused from an origin run.
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import type { FlowGraph, Isolation, JsonValue } from '../../core/model';
import { Datastore, effectiveRunStatus, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { type FlowSource } from '../loading/flow-source';
import { loadFlowSourceCached } from '../loading/compile-cache';
import { resolveParams } from './parameters';
import type { ArtifactIndex, RunRecord, TaskRecord } from '../records';
import { ConsoleReporter, type RunReporter } from './run-output';
import { Scheduler, taskKey } from './scheduler';
import { pathspecOf } from './task-spec';
import { LocalTaskSource } from './local-tasks';
import { runWorkdir } from './run-workdir';
import { currentUser } from '../user';
import { drawSeed } from './seed';
import { startProvenanceCapture } from '../repro/capture/provenance-thread';
import { checkSlurmClient, SlurmEngine } from '../engines/slurm';
import type { TaskProcessSource } from './worker-pool';

export interface RunOptions {
  input: string;
  params?: string[];
  tags?: string[];
  maxWorkers?: number;
  seed?: number;
  datastoreRoot?: string;
  reporter?: RunReporter;
  runIdFile?: string;
  /** How many times a step may run at one foreach position before the run fails (loops). */
  maxIterations?: number;
  /** Where the tasks run: this machine's task processes (default), or Slurm jobs. */
  engine?: EngineChoice;
  /** Locally, for steps without an isolation: tag: a fresh worker thread (default) or process per task. */
  isolation?: Isolation;
}

export interface EngineChoice {
  name: 'local' | 'slurm';
  partition?: string;
}

export interface RunResult {
  record: RunRecord;
  pathspec: string;
  /** Where run.json lives: an absolute path (or, for a remote datastore, its URL). */
  recordLocation: string;
  ok: boolean;
  tasks: number;
  failed: string[];
}

/** How often a running scheduler stamps run.json; CELLFLOW_HEARTBEAT_MS shortens it for tests. */
function heartbeatMs(): number {
  const configured = Number(process.env.CELLFLOW_HEARTBEAT_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : 5000;
}

export async function runFlow(options: RunOptions): Promise<RunResult> {
  const cwd = path.dirname(path.resolve(options.input));
  const source = loadFlowSourceCached(options.input, Datastore.open({ root: options.datastoreRoot, cwd }));
  const params = resolveParams(source.manifest.parameters, options.params ?? [], source.inputPath);
  return execute(source, params, options);
}

export interface ResumeOptions extends Omit<RunOptions, 'input' | 'params'> {
  pathspec: string;
  fromStep?: string;
}

export async function resumeRun(options: ResumeOptions): Promise<RunResult> {
  const { flow, runId } = parseRunPathspec(options.pathspec);
  const datastore = Datastore.open({ root: options.datastoreRoot });
  const origin = datastore.readRun(flow, runId);
  if (effectiveRunStatus(origin) === 'running') {
    throw new UserInputError(
      `${options.pathspec} is still running (${runningWhere(origin)}); resume it once it has finished or been abandoned.`,
    );
  }
  if (!origin.input) {
    throw new UserInputError(
      `${options.pathspec}: the run does not record its notebook; it cannot be resumed.`,
    );
  }
  // Where it ran, or (another user's machine, the notebook gone) its sources from the datastore.
  const { input } = await runWorkdir(datastore, origin);
  const source = loadFlowSourceCached(input, datastore);
  const from = options.fromStep ?? firstFailedStep(datastore, origin);
  if (!from) {
    throw new UserInputError(`${options.pathspec} succeeded: name the step to resume from with --from STEP.`);
  }
  if (!source.manifest.graph.nodes[from]) {
    throw new UserInputError(`--from ${from}: the flow has no step '${from}'.`);
  }
  // --from re-runs that step and everything after it. Without it, as Metaflow: every successful task
  // is cloned (in a loop, every iteration before the failure) and the failed ones run again.
  const rerun = options.fromStep ? descendantsOf(source.manifest.graph, from) : new Set<string>();
  const reuse = new Map<string, TaskRecord>();
  // Resuming from the failure (no --from): the successful tasks of the failed step and after are
  // cloned too wherever their parents were (a foreach with one failed element re-runs that element
  // only), as Metaflow's resume does. `--from STEP` re-runs STEP and everything after it.
  const reuseIfParentsReused = new Map<string, TaskRecord>();
  for (const task of datastore.listTasks(flow, runId)) {
    if (task.status !== 'succeeded' || !source.manifest.graph.nodes[task.step]) {
      continue;
    }
    const key = taskKey(task.step, task.foreachStack, task.iteration);
    if (!rerun.has(task.step)) {
      reuse.set(key, task);
    } else if (!options.fromStep) {
      reuseIfParentsReused.set(key, task);
    }
  }
  return execute(source, origin.params, {
    ...options,
    input,
    tags: options.tags ?? origin.tags,
    seed: options.seed ?? origin.seed,
    datastoreRoot: datastore.root,
    // A Slurm run resumes on Slurm; an Argo workflow's run resumes here (a resume is a local
    // scheduler's run, which Argo's static DAG cannot be).
    engine:
      options.engine ?? (origin.engine?.name === 'slurm' ? { ...origin.engine, name: 'slurm' } : undefined),
    origin: { kind: 'resume', pathspec: options.pathspec, fromStep: from },
    reuse,
    reuseIfParentsReused,
  });
}

/** Who is running it: our scheduler's pid and host, or the engine's workflow. */
function runningWhere(record: RunRecord): string {
  if (record.scheduler) {
    return `scheduler pid ${record.scheduler.pid} on ${record.scheduler.host}`;
  }
  const engine = record.engine;
  if (engine?.name === 'argo') {
    const workflow = engine.workflow ? ` ${engine.workflow}` : '';
    const namespace = engine.namespace ? ` in namespace ${engine.namespace}` : '';
    return `Argo workflow${workflow}${namespace}, last heartbeat ${engine.heartbeatAt ?? record.createdAt}`;
  }
  return 'no scheduler recorded';
}

interface ExecuteOptions extends RunOptions {
  origin?: RunRecord['origin'];
  reuse?: Map<string, TaskRecord>;
  reuseIfParentsReused?: Map<string, TaskRecord>;
}

async function execute(
  source: FlowSource,
  params: Record<string, JsonValue>,
  options: ExecuteOptions,
): Promise<RunResult> {
  const datastore = Datastore.open({ root: options.datastoreRoot, cwd: path.dirname(source.inputPath) });
  const { manifest } = source;
  const flow = manifest.flow;
  const slurm = options.engine?.name === 'slurm';
  if (slurm) {
    checkSlurmClient();
  }
  const runId = datastore.newRunId();
  // Every run has a seed: drawn here when none was given, recorded, and reused by reproduce.
  const seed = options.seed ?? drawSeed();
  // Provenance (code snapshot, lockfile, environment) is captured on another thread while tasks run.
  const provenance = startProvenanceCapture(datastore, {
    flow,
    runId,
    inputPath: source.inputPath,
    inputText: source.text,
    moduleFilename: source.moduleFilename,
    typescript: source.typescript,
  });
  // Observed below once the run has started; if storing the module fails first (a full disk), its
  // rejection must not surface as an unhandled rejection with a stack trace.
  provenance.catch(() => undefined);
  const [typescript, javascript] = await Promise.all([
    datastore.objects.put(Buffer.from(source.typescript)),
    datastore.objects.put(Buffer.from(source.javascript)),
  ]);
  const parameterArtifacts: ArtifactIndex = {};
  for (const [name, value] of Object.entries(params)) {
    parameterArtifacts[name] = await datastore.saveArtifact(name, value);
  }

  const user = currentUser();
  const record: RunRecord = {
    flow,
    runId,
    user,
    tags: [...new Set(options.tags ?? [])],
    params,
    status: 'running',
    createdAt: new Date().toISOString(),
    graph: manifest.graph,
    parameters: manifest.parameters,
    ...(options.origin ? { origin: options.origin } : {}),
    seed,
    input: source.inputPath,
    module: {
      typescriptSha256: typescript.sha256,
      javascriptSha256: javascript.sha256,
      filename: source.moduleFilename,
    },
    parameterArtifacts,
    ...(slurm ? { engine: options.engine } : {}),
    scheduler: { pid: process.pid, host: os.hostname(), heartbeatAt: new Date().toISOString() },
  };
  datastore.writeRun(record);
  const pathspec = pathspecOf(flow, runId);
  if (options.runIdFile) {
    fs.writeFileSync(options.runIdFile, pathspec + '\n');
  }

  const reporter: RunReporter = options.reporter ?? new ConsoleReporter(path.basename(source.inputPath));
  reporter.runStarted?.(pathspec);
  reporter.notebookKnown?.(path.basename(source.inputPath));
  let provenanceError: Error | undefined;
  const provenanceLanded = provenance.then(
    (captured) => {
      Object.assign(record, captured.provenance);
      for (const warning of captured.warnings) {
        reporter.note(`warning: ${warning}`);
      }
      if (record.status !== 'running') {
        return;
      }
      try {
        datastore.writeRun(record);
      } catch (error) {
        // As for the heartbeat: the atomic write left the previous record, and the final write
        // (which carries the provenance too) tries again. Thrown here, it crashed the scheduler with
        // a stack trace when the provenance landed while a task had filled the disk.
        reporter.note(`could not update the run record: ${(error as Error).message}`);
      }
    },
    (error: Error) => {
      provenanceError = error;
    },
  );
  const heartbeat = setInterval(() => {
    record.scheduler!.heartbeatAt = new Date().toISOString();
    try {
      datastore.writeRun(record);
    } catch (error) {
      // A full or failing disk must not kill the scheduler from a timer: the atomic write left the
      // previous record in place, and the next beat (or the final record) tries again.
      reporter.note(`could not update the run's heartbeat: ${(error as Error).message}`);
    }
  }, heartbeatMs()).unref();

  // On Slurm every ready task is submitted at once: Slurm decides how many run.
  const maxWorkers = slurm
    ? (options.maxWorkers ?? Number.MAX_SAFE_INTEGER)
    : Math.max(1, options.maxWorkers ?? os.availableParallelism());
  const pool: TaskProcessSource = slurm
    ? new SlurmEngine({
        graph: manifest.graph,
        datastoreRoot: datastore.root,
        partition: options.engine?.partition,
        logDir: process.env.CELLFLOW_SLURM_LOG_DIR
          ? path.join(process.env.CELLFLOW_SLURM_LOG_DIR, flow, runId)
          : path.join(datastore.cacheDir, 'slurm', flow, runId),
      })
    : new LocalTaskSource(
        {
          datastoreRoot: datastore.root,
          javascriptSha256: javascript.sha256,
          filename: source.moduleFilename,
          cwd: path.dirname(source.inputPath),
        },
        maxWorkers,
        options.isolation ?? firstIsolation(manifest.graph),
      );
  const scheduler = new Scheduler({
    datastore,
    pool,
    graph: manifest.graph,
    flow,
    runId,
    module: { filename: source.moduleFilename, javascriptSha256: javascript.sha256 },
    params,
    parameterArtifacts,
    seed,
    maxWorkers,
    reporter,
    reuse: options.reuse,
    maxIterations: options.maxIterations,
    reuseIfParentsReused: options.reuseIfParentsReused,
    isolation: options.isolation,
    originRunId:
      options.origin?.kind === 'resume' ? parseRunPathspec(options.origin.pathspec).runId : undefined,
    user,
    tags: record.tags,
    retryBackoffMs: process.env.CELLFLOW_RETRY_BACKOFF_MS
      ? Number(process.env.CELLFLOW_RETRY_BACKOFF_MS)
      : undefined,
  });
  const interrupt = () => {
    reporter.note('interrupted: stopping running tasks');
    scheduler.abort();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let result;
  try {
    result = await scheduler.run();
    await provenanceLanded;
    if (provenanceError) {
      reporter.note(`could not record the run's provenance: ${provenanceError.message}`);
    }
  } finally {
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
    clearInterval(heartbeat);
    await pool.close();
    reporter.close();
  }
  const reachedEnd = datastore
    .listTasks(flow, runId, manifest.graph.end)
    .some((t) => t.status === 'succeeded');
  const ok = result.ok && reachedEnd && !provenanceError;
  // Interrupted (SIGINT/SIGTERM, the Stop button) is not failed: nothing in the flow went wrong.
  record.status = ok ? 'succeeded' : scheduler.aborted ? 'cancelled' : 'failed';
  record.finishedAt = new Date().toISOString();
  delete record.scheduler;
  datastore.writeRun(record);
  return {
    record,
    pathspec,
    recordLocation: datastore.runRecordPath(flow, runId),
    ok,
    tasks: result.tasks,
    failed: result.failed,
  };
}

/** The isolation of the flow's entry step: the pool to start before the first task asks. */
function firstIsolation(graph: FlowGraph): Isolation {
  return graph.nodes[graph.entry]?.options.isolation ?? 'thread';
}

/** A fresh run seed: a non-negative 31-bit integer, so `--seed N` can always give it back. */
/** The step to resume from by default: the earliest failed step in graph order. */
function firstFailedStep(datastore: Datastore, run: RunRecord): string | undefined {
  const failed = new Set(
    datastore
      .listTasks(run.flow, run.runId)
      .filter((t) => t.status !== 'succeeded')
      .map((t) => t.step),
  );
  const order = topologicalOrder(run.graph);
  const first = order.find((step) => failed.has(step));
  if (first) {
    return first;
  }
  if (run.status === 'succeeded') {
    return undefined;
  }
  // The run stopped before some steps got a task: resume from the first step that has none.
  const ran = new Set(datastore.listTasks(run.flow, run.runId).map((t) => t.step));
  return order.find((step) => !ran.has(step));
}

function topologicalOrder(graph: FlowGraph): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (step: string) => {
    if (seen.has(step)) {
      return;
    }
    seen.add(step);
    for (const next of graph.nodes[step].next) {
      visit(next);
    }
    order.unshift(step);
  };
  visit(graph.entry);
  return order;
}

function descendantsOf(graph: FlowGraph, step: string): Set<string> {
  const found = new Set<string>([step]);
  const queue = [step];
  while (queue.length > 0) {
    for (const next of graph.nodes[queue.shift()!].next) {
      if (!found.has(next)) {
        found.add(next);
        queue.push(next);
      }
    }
  }
  return found;
}
