// The pathspec grammar (`Flow[/runId[/step[/taskId]]]`, as Metaflow's) and the one rule for every name
// that becomes part of a storage key: `[A-Za-z0-9_-]{1,128}`, so `..`, `/` and NUL can never occur.
import { UserInputError } from '../errors';

/** A pathspec or a name inside one is malformed (bad input: exit 2). */
export class PathspecError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'PathspecError';
  }
}

/** The run, step or task a pathspec names does not exist in this datastore (bad input: exit 2). */
export class NotFoundError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export interface Pathspec {
  flow: string;
  runId?: string;
  step?: string;
  taskId?: string;
}

export const NAME = /^[A-Za-z0-9_-]+$/;
const MAX_NAME = 128;

/** Throws unless `value` is a safe single path component: `[A-Za-z0-9_-]`, so never `..`, `/` or NUL. */
export function checkName(kind: string, value: string, where = ''): string {
  if (typeof value !== 'string' || !NAME.test(value) || value.length > MAX_NAME) {
    throw new PathspecError(
      `invalid ${kind} ${JSON.stringify(value)}${where}: use 1-${MAX_NAME} characters from A-Z, a-z, 0-9, '_' and '-'`,
    );
  }
  return value;
}

/** True when `value` would pass checkName (listings skip entries that would not). */
export function isName(value: string): boolean {
  return NAME.test(value) && value.length <= MAX_NAME;
}

/** `Flow[/runId[/step[/taskId]]]`, each part validated. */
export function parsePathspec(spec: string): Pathspec {
  const parts = String(spec).split('/');
  if (parts.length > 4 || parts.some((part) => part === '')) {
    throw new PathspecError(
      `invalid pathspec ${JSON.stringify(spec)}: expected Flow[/runId[/step[/taskId]]]`,
    );
  }
  const kinds = ['flow name', 'run id', 'step name', 'task id'];
  parts.forEach((part, i) => checkName(kinds[i], part, ` in pathspec ${JSON.stringify(spec)}`));
  const [flow, runId, step, taskId] = parts;
  return { flow, runId, step, taskId };
}

/** `Flow/runId` exactly: what every command that takes a run expects. */
export function parseRunPathspec(spec: string): { flow: string; runId: string } {
  const { flow, runId, step } = parsePathspec(spec);
  if (!runId || step) {
    throw new PathspecError(`${spec}: expected a run pathspec Flow/runId.`);
  }
  return { flow, runId };
}

/** `Flow/runId/step/taskId` exactly: a task's pathspec. */
export function parseTaskPathspec(spec: string): Required<Pathspec> {
  const { flow, runId, step, taskId } = parsePathspec(spec);
  if (!runId || !step || !taskId) {
    throw new PathspecError(`${spec}: expected a task pathspec Flow/runId/step/taskId.`);
  }
  return { flow, runId, step, taskId };
}

/**
 * A task's pathspec in full, or as Metaflow's `--input-paths` give it, `step/taskId` within the run
 * `within`.
 */
export function resolveTaskPathspec(
  spec: string,
  within: { flow: string; runId: string },
): Required<Pathspec> {
  const parts = String(spec).split('/');
  return parseTaskPathspec(
    parts.length === 2 ? formatPathspec({ ...within, step: parts[0], taskId: parts[1] }) : spec,
  );
}

/** `Flow/runId` of a run, step or task pathspec: the run it belongs to. */
export function runPathspecOf(spec: string): string {
  const { flow, runId } = parsePathspec(spec);
  if (!runId) {
    throw new PathspecError(`${spec}: expected a pathspec inside a run, Flow/runId[/step[/taskId]].`);
  }
  return formatPathspec({ flow, runId });
}

export function formatPathspec(spec: Pathspec): string {
  return [spec.flow, spec.runId, spec.step, spec.taskId].filter((part) => part !== undefined).join('/');
}
