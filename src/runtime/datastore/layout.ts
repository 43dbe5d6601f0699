// DESIGN's datastore layout as storage keys ('/'-separated, relative to the datastore's root), the
// same on every backend. Every builder validates the names it joins (pathspec.ts).
import { checkName, PathspecError } from './pathspec';

export const FLOWS = 'flows';
export const OBJECTS = 'objects';
export const DEPLOYMENTS = 'deployments';

export function objectKey(sha256: string): string {
  return `${OBJECTS}/${sha256.slice(0, 2)}/${sha256}`;
}

export function flowPrefix(flow: string): string {
  return `${FLOWS}/${checkName('flow name', flow)}`;
}

export function runPrefix(flow: string, runId: string): string {
  return `${flowPrefix(flow)}/${checkName('run id', runId)}`;
}

export function runKey(flow: string, runId: string): string {
  return `${runPrefix(flow, runId)}/run.json`;
}

export function stepPrefix(flow: string, runId: string, step: string): string {
  return `${runPrefix(flow, runId)}/${checkName('step name', step)}`;
}

export function taskPrefix(flow: string, runId: string, step: string, taskId: string): string {
  return `${stepPrefix(flow, runId, step)}/${checkName('task id', taskId)}`;
}

export function taskKey(flow: string, runId: string, step: string, taskId: string): string {
  return `${taskPrefix(flow, runId, step, taskId)}/task.json`;
}

export function logKey(
  flow: string,
  runId: string,
  step: string,
  taskId: string,
  attempt: number,
  stream: 'stdout' | 'stderr',
): string {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new PathspecError(`invalid attempt number ${attempt}`);
  }
  if (stream !== 'stdout' && stream !== 'stderr') {
    throw new PathspecError(`invalid log stream ${JSON.stringify(stream)}`);
  }
  return `${taskPrefix(flow, runId, step, taskId)}/${attempt}.${stream}`;
}

/** What `cellflow deploy` published for the flow: deployments/<Flow>/<deploymentId>.json. */
export function deploymentKey(flow: string, deploymentId: string): string {
  return `${DEPLOYMENTS}/${checkName('flow name', flow)}/${checkName('deployment id', deploymentId)}.json`;
}
