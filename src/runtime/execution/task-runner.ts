// Runs exactly one task attempt inside the current process: builds `self`/`inputs`/`current`, calls
// the step, stores the artifacts and writes the task record, whose final write is the completion marker.
import * as path from 'path';
import type { Current, CurrentForeachFrame, FlowModule, GraphNode } from '../../core/model';
import {
  foreachElementsRef,
  foreachSelf,
  inheritedParent,
  startingArtifacts,
} from '../../core/step-semantics';
import {
  bindMergeArtifacts,
  createJoinInput,
  createSelf,
  joinInputList,
  registerJoinInput,
  type LoadArtifact,
  type SelfState,
} from '../scope/artifact-scope';
import { Datastore, PreconditionFailedError } from '../datastore/datastore';
import { locateInNotebook } from '../loading/error-location';
import { foreachElements, isOneShotIterator } from '../scope/foreach-values';
import { loadFlowModule } from '../loading/module-loader';
import { inlineSourceMap, mapStack } from '../loading/stack-mapping';
import type { ArtifactIndex, AttemptRecord, ForeachFrame, TaskRecord } from '../records';
import { taskRandom } from '../scope/seeded-random';
import { StepTimeoutError, withStepTimeout } from './step-timeout';
import { chosenCase } from '../scope/switch-case';
import { startInputCapture } from '../repro/capture/task-inputs';
import { errorOutput, type NotebookOutput } from '../../core/notebook-outputs';
import { captureTaskOutputs, userStack } from './task-outputs';
import { pathspecOf, splitPathspec, type TaskSpec } from './task-spec';
import { finishAttempt, newTaskRecord, withAttempt } from './task-record';

export interface TaskOutcome {
  record: TaskRecord;
  ok: boolean;
}

/** `javascript`: the flow module's code when the caller has already read it (a warm task process has). */
export async function runTask(spec: TaskSpec, javascript?: string): Promise<TaskOutcome> {
  const datastore = Datastore.open({ root: spec.datastoreRoot });
  const startedAt = new Date().toISOString();
  const attempt: AttemptRecord = {
    attempt: spec.attempt,
    status: 'running',
    startedAt,
    pid: process.pid,
    ...(spec.isolation ? { isolation: spec.isolation.mode } : {}),
    ...(spec.isolation?.reason ? { isolationReason: spec.isolation.reason } : {}),
  };
  const record = newTaskRecord(spec, { status: 'running', attempts: [...spec.previousAttempts, attempt] });
  Object.assign(process.env, spec.env);

  let module: FlowModule | undefined;
  let node: GraphNode | undefined;
  let state: SelfState | undefined;
  let outputs: NotebookOutput[] = [];
  try {
    javascript ??= datastore.objects.getSync(spec.module.javascriptSha256).toString('utf8');
    module = loadFlowModule(javascript, spec.module.filename, {
      // A local folder datastore keeps transpiled local modules; any other store goes without.
      transpileCacheDir: path.isAbsolute(datastore.root)
        ? path.join(datastore.root, 'cache', 'transpiled')
        : undefined,
    });
    node = module.manifest.graph.nodes[spec.step];
    const step = module.steps[spec.step];
    if (!node || typeof step !== 'function') {
      throw new Error(`the flow has no step '${spec.step}'.`);
    }

    const load: LoadArtifact = (ref, name) =>
      datastore.loadArtifactSync(ref, `${pathspecOf(spec.flow, spec.runId, spec.step)}.${name}`);
    const parents = spec.parents.map((p) => {
      const { flow, runId, step: parentStep, taskId } = splitPathspec(p);
      return datastore.readTask(flow, runId, parentStep, taskId);
    });

    const foreachStack = spec.foreachStack.map((frame): CurrentForeachFrame => ({
      step: frame.step,
      index: frame.index,
      count: frame.count,
      input: foreachElement(datastore, frame, module!, load),
    }));
    const parameterNames = module.manifest.parameters.map((p) => p.name);
    const inherited = startingArtifacts({
      isJoin: node.isJoin,
      parameters: spec.parameterArtifacts,
      parent: inheritedParent(node.isJoin, parents)?.artifacts,
    });
    state = createSelf(inherited, load, foreachSelf(foreachStack), new Set(parameterNames));
    const inputs = joinInputList(
      node.isJoin
        ? parents.map((parent) =>
            registerJoinInput(createJoinInput(parent.step, parent.artifacts, load), parent.artifacts),
          )
        : [],
    );
    const user = spec.user ?? 'unknown';
    const current: Current = {
      flowName: spec.flow,
      runId: spec.runId,
      originRunId: spec.originRunId ?? null,
      stepName: spec.step,
      taskId: spec.taskId,
      attempt: spec.attempt,
      isInteractive: false,
      pathspec: pathspecOf(spec.flow, spec.runId, spec.step, spec.taskId),
      foreachStack,
      parameterNames,
      user,
      namespace: `user:${user}`,
      tags: [...(spec.tags ?? [])],
      seed: spec.seed,
      random: taskRandom(
        spec.seed,
        spec.iteration ? `${spec.step}#${spec.iteration}` : spec.step,
        spec.foreachStack.map((f) => f.index),
      ),
    };

    // The files the step reads are its data inputs (task.json `inputs`), whether it succeeds or not.
    const endCapture = startInputCapture(datastore, spec.module.filename);
    const outputCapture = captureTaskOutputs();
    try {
      await withStepTimeout(
        () =>
          step({
            self: state!.self,
            inputs,
            current,
            mergeArtifacts: bindMergeArtifacts(state!, spec.step, node!.isJoin),
          }),
        spec.step,
        node.options.timeoutSeconds,
      );
    } finally {
      outputs = outputCapture.finish();
      Object.assign(record, await endCapture());
    }

    let foreachValues: unknown[] | undefined;
    if (node.foreach) {
      const value = state.self[node.foreach];
      const elements = foreachElements(node.foreach, value);
      record.foreachCount = elements.length;
      // A generator cannot be stored or read twice: its elements become the artifact. Other
      // iterables stay as they are and the elements are stored beside them.
      if (isOneShotIterator(value)) {
        state.self[node.foreach] = elements;
      } else if (!Array.isArray(value)) {
        foreachValues = elements;
      }
    }
    if (node.switch !== undefined) {
      record.switchTaken = chosenCase(node, state.self[node.switch]);
    }
    // catch:ARTIFACT is null when the step succeeded, as Metaflow's @catch sets its var to None.
    if (node.options.catch) {
      state.self[node.options.catch] = null;
    }
    record.artifacts = await saveState(datastore, state);
    await saveOutputs(datastore, record, outputs);
    if (foreachValues) {
      record.foreachValues = await datastore.saveArtifact(node.foreach!, foreachValues);
    }
    finishAttempt(record, attempt, 'succeeded');
    datastore.writeTask(record);
    return { record, ok: true };
  } catch (error) {
    // Another attempt recorded this task first (two engines ran it): its record stands, this one's
    // result is dropped, and saying so is this attempt's failure.
    if (error instanceof PreconditionFailedError) {
      return lostRace(datastore, spec, error);
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const stack =
      err.stack && javascript
        ? mapStack(err.stack, spec.module.filename, inlineSourceMap(javascript))
        : err.stack;
    const location = module
      ? locateInNotebook(stack, spec.module.filename, module.manifest.lineMap)
      : undefined;
    attempt.error = {
      type: errorType(error),
      message: err.message,
      stack,
      ...(location ?? {}),
      ...(error instanceof StepTimeoutError ? { timeout: 'in-process' as const } : {}),
    };
    // With catch:, the attempt keeps what the step set before it threw (Metaflow's @catch does):
    // the scheduler gives those artifacts to the caught task. Best effort: an artifact that cannot
    // be stored must not hide the step's own error.
    if (node?.options.catch && state) {
      try {
        attempt.artifacts = await saveState(datastore, state);
      } catch {
        attempt.artifacts = state.untouched();
      }
    }
    record.artifacts = {};
    // The failed task's outputs end with its error, as the cell's would in the notebook.
    try {
      await saveOutputs(datastore, record, [
        ...outputs,
        errorOutput(attempt.error.type ?? 'Error', attempt.error.message, userStack(stack)),
      ]);
    } catch {
      // Best effort: outputs that cannot be stored must not hide the step's own error.
    }
    finishAttempt(record, attempt, 'failed');
    try {
      datastore.writeTask(record);
    } catch (writeError) {
      if (writeError instanceof PreconditionFailedError) {
        return lostRace(datastore, spec, writeError);
      }
      throw writeError;
    }
    return { record, ok: false };
  }
}

function lostRace(datastore: Datastore, spec: TaskSpec, error: PreconditionFailedError): TaskOutcome {
  const winner = datastore.peekTask(spec.flow, spec.runId, spec.step, spec.taskId);
  const message = `another attempt recorded task ${pathspecOf(spec.flow, spec.runId, spec.step, spec.taskId)} first (${error.message}); this attempt's result was not stored`;
  const attempt: AttemptRecord = {
    attempt: spec.attempt,
    status: 'failed',
    startedAt: new Date().toISOString(),
    error: { message },
  };
  const record = winner ?? newTaskRecord(spec, { status: 'failed', attempts: spec.previousAttempts });
  return { record: withAttempt(record, attempt), ok: false };
}

/** A task that showed anything keeps it as one object (`task.json` `outputs`). */
async function saveOutputs(
  datastore: Datastore,
  record: TaskRecord,
  outputs: NotebookOutput[],
): Promise<void> {
  if (outputs.length > 0) {
    record.outputs = await datastore.saveArtifact('outputs', outputs);
  }
}

async function saveState(datastore: Datastore, state: SelfState): Promise<ArtifactIndex> {
  const artifacts = state.untouched();
  for (const [name, value] of state.touched()) {
    artifacts[name] = await datastore.saveArtifact(name, value);
  }
  return artifacts;
}

/** The thrown value's constructor name (`TypeError`, a user's class), as Metaflow records the type. */
function errorType(error: unknown): string {
  if (error instanceof Error) {
    return error.constructor?.name || error.name || 'Error';
  }
  if (error === null) {
    return 'null';
  }
  return typeof error === 'object' ? (error.constructor?.name ?? 'Object') : typeof error;
}

/** The element a foreach frame stands for: from the split task's stored elements or its array. */
function foreachElement(
  datastore: Datastore,
  frame: ForeachFrame,
  module: FlowModule,
  load: LoadArtifact,
): unknown {
  if (!frame.splitTask) {
    return undefined;
  }
  const { flow, runId, step, taskId } = splitPathspec(frame.splitTask);
  const artifact = module.manifest.graph.nodes[frame.step]?.foreach;
  const split = datastore.readTask(flow, runId, step, taskId);
  const ref = foreachElementsRef(split, artifact);
  if (!artifact || !ref) {
    return undefined;
  }
  return (load(ref, artifact) as unknown[])[frame.index];
}
