// Runs exactly one task attempt inside the current process: builds `self`/`inputs`/`current`, calls
// the step, stores the artifacts and writes the task record, whose final write is the completion marker.
import type { Current, FlowModule, JoinInput } from '../core/model';
import {
  createJoinInput,
  createSelf,
  mergeArtifacts,
  registerJoinInput,
  type LoadArtifact,
} from './artifact-scope';
import { Datastore, PreconditionFailedError } from './datastore/datastore';
import { locateInNotebook } from './error-location';
import { loadFlowModule } from './module-loader';
import { inlineSourceMap, mapStack } from './stack-mapping';
import type { ArtifactIndex, AttemptRecord, TaskRecord } from './records';
import { taskRandom } from './seeded-random';
import { chosenCase } from './switch-case';
import { startInputCapture } from './repro/task-inputs';
import { pathspecOf, splitPathspec, type TaskSpec } from './task-spec';

export interface TaskOutcome {
  record: TaskRecord;
  ok: boolean;
}

/** `javascript`: the flow module's code when the caller has already read it (a warm task process has). */
export async function runTask(spec: TaskSpec, javascript?: string): Promise<TaskOutcome> {
  const datastore = Datastore.open({ root: spec.datastoreRoot });
  const startedAt = new Date().toISOString();
  const attempt: AttemptRecord = { attempt: spec.attempt, status: 'running', startedAt, pid: process.pid };
  const record: TaskRecord = {
    flow: spec.flow,
    runId: spec.runId,
    step: spec.step,
    taskId: spec.taskId,
    status: 'running',
    attempts: [...spec.previousAttempts, attempt],
    artifacts: {},
    parents: spec.parents,
    foreachStack: spec.foreachStack,
    ...(spec.iteration ? { iteration: spec.iteration } : {}),
    startedAt: spec.previousAttempts[0]?.startedAt ?? startedAt,
  };
  Object.assign(process.env, spec.env);

  let module: FlowModule | undefined;
  try {
    javascript ??= datastore.objects.getSync(spec.module.javascriptSha256).toString('utf8');
    module = loadFlowModule(javascript, spec.module.filename);
    const node = module.manifest.graph.nodes[spec.step];
    const step = module.steps[spec.step];
    if (!node || typeof step !== 'function') throw new Error(`the flow has no step '${spec.step}'.`);

    const load: LoadArtifact = (ref, name) =>
      datastore.loadArtifactSync(ref, `${pathspecOf(spec.flow, spec.runId, spec.step)}.${name}`);
    const parents = spec.parents.map((p) => {
      const { flow, runId, step: parentStep, taskId } = splitPathspec(p);
      return datastore.readTask(flow, runId, parentStep, taskId);
    });

    const frame = spec.foreachStack[spec.foreachStack.length - 1];
    const foreach = frame
      ? {
          input: foreachElement(datastore, frame.splitTask, module, frame.step, frame.index, load),
          index: frame.index,
        }
      : undefined;
    // A join starts from the parameters only; other steps start from their parent's artifacts.
    const inherited: ArtifactIndex = node.isJoin
      ? { ...spec.parameterArtifacts }
      : { ...(parents[0]?.artifacts ?? spec.parameterArtifacts) };
    const state = createSelf(inherited, load, foreach);
    const inputs: JoinInput[] = node.isJoin
      ? parents.map((parent) =>
          registerJoinInput(createJoinInput(parent.step, parent.artifacts, load), parent.artifacts),
        )
      : [];
    const random = taskRandom(
      spec.seed,
      spec.iteration ? `${spec.step}#${spec.iteration}` : spec.step,
      spec.foreachStack.map((f) => f.index),
    );
    const current: Current = {
      flowName: spec.flow,
      runId: spec.runId,
      stepName: spec.step,
      taskId: spec.taskId,
      attempt: spec.attempt,
      isInteractive: false,
      pathspec: pathspecOf(spec.flow, spec.runId, spec.step, spec.taskId),
      seed: spec.seed,
      random,
    };

    // The files the step reads are its data inputs (task.json `inputs`), whether it succeeds or not.
    const endCapture = startInputCapture(datastore, spec.module.filename);
    try {
      await step({
        self: state.self,
        inputs,
        current,
        mergeArtifacts: (i, o) => mergeArtifacts(state, i, o),
      });
    } finally {
      Object.assign(record, await endCapture());
    }

    const artifacts = state.untouched();
    for (const [name, value] of state.touched()) artifacts[name] = await datastore.saveArtifact(name, value);
    record.artifacts = artifacts;
    if (node.foreach) {
      const elements = state.self[node.foreach];
      if (!Array.isArray(elements)) {
        throw new Error(
          `foreach:${node.foreach} needs self.${node.foreach} to be an array, got ${describeType(elements)}.`,
        );
      }
      if (elements.length === 0)
        throw new Error(`foreach:${node.foreach} has no elements: self.${node.foreach} is an empty array.`);
      record.foreachCount = elements.length;
    }
    if (node.switch !== undefined) record.switchTaken = chosenCase(node, state.self[node.switch]);
    finish(record, attempt, 'succeeded');
    datastore.writeTask(record);
    return { record, ok: true };
  } catch (error) {
    // Another attempt recorded this task first (two engines ran it): its record stands, this one's
    // result is dropped, and saying so is this attempt's failure.
    if (error instanceof PreconditionFailedError) return lostRace(datastore, spec, error);
    const err = error instanceof Error ? error : new Error(String(error));
    const stack =
      err.stack && javascript
        ? mapStack(err.stack, spec.module.filename, inlineSourceMap(javascript))
        : err.stack;
    const location = module
      ? locateInNotebook(stack, spec.module.filename, module.manifest.lineMap)
      : undefined;
    attempt.error = { message: err.message, stack, ...(location ?? {}) };
    record.artifacts = {};
    finish(record, attempt, 'failed');
    try {
      datastore.writeTask(record);
    } catch (writeError) {
      if (writeError instanceof PreconditionFailedError) return lostRace(datastore, spec, writeError);
      throw writeError;
    }
    return { record, ok: false };
  }
}

function lostRace(datastore: Datastore, spec: TaskSpec, error: PreconditionFailedError): TaskOutcome {
  const winner = datastore.readTaskIfPresent(spec.flow, spec.runId, spec.step, spec.taskId);
  const message = `another attempt recorded task ${pathspecOf(spec.flow, spec.runId, spec.step, spec.taskId)} first (${error.message}); this attempt's result was not stored`;
  const attempt: AttemptRecord = {
    attempt: spec.attempt,
    status: 'failed',
    startedAt: new Date().toISOString(),
    error: { message },
  };
  const record =
    winner ?? ({ ...spec, status: 'failed', attempts: [attempt], artifacts: {} } as unknown as TaskRecord);
  return { record: { ...record, attempts: [...record.attempts, attempt] }, ok: false };
}

function finish(record: TaskRecord, attempt: AttemptRecord, status: 'succeeded' | 'failed'): void {
  const now = new Date().toISOString();
  attempt.status = status;
  attempt.finishedAt = now;
  record.status = status;
  record.finishedAt = now;
}

function foreachElement(
  datastore: Datastore,
  splitTask: string | undefined,
  module: FlowModule,
  splitStep: string,
  index: number,
  load: LoadArtifact,
): unknown {
  if (!splitTask) return undefined;
  const { flow, runId, step, taskId } = splitPathspec(splitTask);
  const artifact = module.manifest.graph.nodes[splitStep]?.foreach;
  const ref = artifact ? datastore.readTask(flow, runId, step, taskId).artifacts[artifact] : undefined;
  if (!artifact || !ref) return undefined;
  return (load(ref, artifact) as unknown[])[index];
}

function describeType(value: unknown): string {
  if (value === undefined) return 'undefined (was it assigned?)';
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
