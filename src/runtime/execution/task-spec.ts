// Everything one task needs, as plain JSON: what the scheduler sends a warm worker, and what
// `cellflow step` accepts, so a distributed engine can run the same unit.
import type { Isolation, JsonValue } from '../../core/model';
import { formatPathspec, parseTaskPathspec } from '../datastore/pathspec';
import type { ArtifactIndex, AttemptRecord, ForeachFrame } from '../records';

export interface TaskSpec {
  datastoreRoot: string;
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  attempt: number;
  /** Attempts already made (retries), carried into the record. */
  previousAttempts: AttemptRecord[];
  /** The compiled flow: JavaScript object in the datastore, and the file it virtually lives in. */
  module: { filename: string; javascriptSha256: string };
  /** Parent tasks' pathspecs (several for a join). */
  parents: string[];
  foreachStack: ForeachFrame[];
  /** Loops: how many tasks of this step ran before at the same foreach position (0 or absent: none). */
  iteration?: number;
  /** Parameter values stored as artifacts once per run; every task sees them. */
  parameterArtifacts: ArtifactIndex;
  params: Record<string, JsonValue>;
  seed?: number;
  /** What `current` tells beyond the task's identity (optional: older specs lack them). */
  originRunId?: string;
  user?: string;
  tags?: string[];
  env: Record<string, string>;
  /** Where this attempt runs, and why a process when the step runs in threads (recorded on the attempt). */
  isolation?: { mode: Isolation; reason?: string };
}

export function pathspecOf(flow: string, runId: string, step?: string, taskId?: string): string {
  return formatPathspec({ flow, runId, step, taskId });
}

/** A task's pathspec (a parent, a foreach's split task), as the task specs carry them. */
export function splitPathspec(spec: string): { flow: string; runId: string; step: string; taskId: string } {
  return parseTaskPathspec(spec);
}
