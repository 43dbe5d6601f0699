// `cellflow step`: the unit a distributed engine schedules. Given a run and the task's inputs (as
// Metaflow's `step --input-paths --split-index`), it derives the full task spec from run.json.
import { Datastore } from '../datastore/datastore';
import { parseRunPathspec, resolveTaskPathspec } from '../datastore/pathspec';
import { UserInputError } from '../errors';
import type { GraphNode } from '../../core/model';
import { childForeachStack, foreachMove } from '../../core/step-semantics';
import type { ForeachFrame, TaskRecord } from '../records';
import { pathspecOf, type TaskSpec } from './task-spec';

export interface StepCommandArgs {
  run: string;
  step: string;
  taskId: string;
  inputPaths: string[];
  splitIndex?: number;
  attempt?: number;
  /** Loops: visits of this step at this foreach position before this one. */
  iteration?: number;
  datastoreRoot?: string;
}

export function taskSpecForStep(args: StepCommandArgs): TaskSpec {
  const { flow, runId } = parseRunPathspec(args.run);
  const datastore = Datastore.open({ root: args.datastoreRoot });
  const run = datastore.readRun(flow, runId);
  const node = run.graph.nodes[args.step];
  if (!node) {
    throw new UserInputError(`${args.run}: the flow has no step '${args.step}'.`);
  }
  if (!run.module) {
    throw new UserInputError(`${args.run}: the run record holds no compiled module.`);
  }
  if (args.step !== run.graph.entry && args.inputPaths.length === 0) {
    throw new UserInputError(
      `step ${args.step}: --input-paths is required for every step but '${run.graph.entry}'.`,
    );
  }
  const parents = args.inputPaths.map((p) => {
    const parent = resolveTaskPathspec(p, { flow, runId });
    return datastore.readTask(parent.flow, parent.runId, parent.step, parent.taskId);
  });
  const attempt = args.attempt ?? 0;
  // A retry in a fresh process (an engine resubmitting the task) carries the earlier attempts on.
  const previousAttempts =
    attempt > 0
      ? (datastore.peekTask(flow, runId, args.step, args.taskId)?.attempts ?? []).filter(
          (a) => a.attempt < attempt,
        )
      : [];
  return {
    datastoreRoot: datastore.root,
    flow,
    runId,
    step: args.step,
    taskId: args.taskId,
    attempt,
    previousAttempts,
    ...(args.iteration ? { iteration: args.iteration } : {}),
    module: { filename: run.module.filename, javascriptSha256: run.module.javascriptSha256 },
    parents: parents.map((p) => pathspecOf(p.flow, p.runId, p.step, p.taskId)),
    foreachStack: foreachStackFor(run.graph.nodes, args, parents),
    parameterArtifacts: run.parameterArtifacts ?? {},
    params: run.params,
    seed: run.seed,
    ...(run.origin?.kind === 'resume' ? { originRunId: parseRunPathspec(run.origin.pathspec).runId } : {}),
    user: run.user,
    tags: run.tags,
    env: node.options.env,
  };
}

function foreachStackFor(
  nodes: Record<string, GraphNode>,
  args: StepCommandArgs,
  parents: TaskRecord[],
): ForeachFrame[] {
  const first = parents[0];
  if (!first) {
    return [];
  }
  const move = foreachMove(nodes, first.step, args.step);
  if (move === 'enter') {
    if (args.splitIndex === undefined) {
      throw new UserInputError(
        `step ${args.step}: --split-index is required after foreach step '${first.step}'.`,
      );
    }
    const count = first.foreachCount ?? 0;
    if (args.splitIndex < 0 || args.splitIndex >= count) {
      throw new UserInputError(
        `--split-index ${args.splitIndex}: '${first.step}' fanned out ${count} tasks.`,
      );
    }
    return childForeachStack(first.foreachStack, move, {
      step: first.step,
      index: args.splitIndex,
      count,
      splitTask: pathspecOf(first.flow, first.runId, first.step, first.taskId),
    });
  }
  return childForeachStack(first.foreachStack, move);
}
