// What `cellflow step` does for Argo's pods besides running the task: derive a foreach join's inputs
// from positional task ids (argo-task-ids.ts), and leave the split list / switch case where the
// workflow reads its output parameters.
import * as fs from 'fs';
import * as path from 'path';
import { foreachClosedBy } from '../../core/step-semantics';
import { type Datastore, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import type { TaskRecord } from '../records';
import { ARGO_OUTPUTS, elementTaskId } from './argo-task-ids';

/**
 * The parents of foreach join STEP at task TASK: for each element of the split's task TASK, the
 * body's last task `P/TASK-i` (with a switch in the body, whichever of the join's parents ran there).
 */
export function foreachJoinInputs(datastore: Datastore, run: string, step: string, taskId: string): string[] {
  const { flow, runId } = parseRunPathspec(run);
  const { nodes } = datastore.readRun(flow, runId).graph;
  const node = nodes[step];
  const split = foreachClosedBy(nodes, step);
  if (!node || split === undefined) {
    throw new UserInputError(`step ${step}: --foreach-join is for a step that closes a foreach.`);
  }
  const count = datastore.readTask(flow, runId, split, taskId).foreachCount;
  if (count === undefined) {
    throw new UserInputError(`step ${step}: task ${split}/${taskId} recorded no foreach count.`);
  }
  return Array.from({ length: count }, (_, i) => {
    const element = elementTaskId(taskId, i);
    const parent = node.parents.find((p) => datastore.peekTask(flow, runId, p, element));
    if (!parent) {
      throw new UserInputError(
        `step ${step}: element ${i} of ${split}/${taskId} has no task ${element} of ${node.parents.join(' or ')}.`,
      );
    }
    return `${parent}/${element}`;
  });
}

export function writeArgoOutputs(dir: string, record: TaskRecord): void {
  fs.mkdirSync(dir, { recursive: true });
  if (record.foreachCount !== undefined) {
    const indexes = Array.from({ length: record.foreachCount }, (_, i) => i);
    fs.writeFileSync(path.join(dir, ARGO_OUTPUTS.foreachIndexes), JSON.stringify(indexes));
  }
  if (record.switchTaken !== undefined) {
    fs.writeFileSync(path.join(dir, ARGO_OUTPUTS.switchCase), record.switchTaken);
  }
}
