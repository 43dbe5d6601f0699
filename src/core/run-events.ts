// The run events `cellflow run --events-fd FD` (and `resume`) writes: one JSON object per line, in the
// order things happen. The kernel follows a run started from JupyterLab with them instead of reading
// the datastore. Pure: the CLI writes these types, the kernel parses them.

/** Fields every event has: what happened and when (ISO time). */
interface EventBase {
  time: string;
}

export type RunEvent =
  /** The run record exists: written before any task starts. */
  | (EventBase & { event: 'run-started'; pathspec: string })
  /** An attempt of a task started (a retry is a new attempt of the same task). */
  | (EventBase & { event: 'task-started'; step: string; taskId: string; attempt: number })
  /** A task succeeded: it ran, its failure was caught (`caught`: the artifact holding the error), or
   * a resume reused the origin's task (`reused`). */
  | (EventBase & {
      event: 'task-finished';
      step: string;
      taskId: string;
      status: 'succeeded';
      caught?: string;
      reused?: boolean;
    })
  /** An attempt failed; `retrying` when another attempt follows, else the task is done with `status`. */
  | (EventBase & {
      event: 'task-failed';
      step: string;
      taskId: string;
      attempt: number;
      status: 'failed' | 'cancelled';
      retrying: boolean;
      error?: string;
    })
  /** The run record is final. */
  | (EventBase & { event: 'run-finished'; pathspec: string; status: 'succeeded' | 'failed' | 'cancelled' });

export type RunEventName = RunEvent['event'];

const NAMES: ReadonlySet<string> = new Set<RunEventName>([
  'run-started',
  'task-started',
  'task-finished',
  'task-failed',
  'run-finished',
]);

/** One line of the stream as an event; undefined for anything else (a torn or foreign line). */
export function parseRunEvent(line: string): RunEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const event = (value as { event?: unknown }).event;
  return typeof event === 'string' && NAMES.has(event) ? (value as RunEvent) : undefined;
}

/** The line an event is written as. */
export function formatRunEvent(event: RunEvent): string {
  return JSON.stringify(event) + '\n';
}
