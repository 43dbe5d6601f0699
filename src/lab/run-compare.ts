// Two or more runs side by side for the run browser, one column a run in start order: status and
// times, parameters, each step's tasks and duration, and each artifact's hash (equal, different or
// missing per step and name, as core's run-compare decides). Pure: the view fetches the small values
// (`valuesToFetch`, `scalarCandidates`) and draws the rows.
import type { JsonValue } from '../core/model';
import type { RunDetailResult, TaskView } from '../core/protocol';
import { artifactNames, runsVerdict, type RunsVerdict } from '../core/run-compare';
import { durationBetween, formatBytes, formatTime } from './format';
import { runPathspec, taskPathspec } from './run-facts';

/** One compared line: what each run has (undefined: that run has none) and whether they all agree. */
export interface CompareRow {
  label: string;
  values: (string | undefined)[];
  same: boolean;
}

export interface ArtifactRow {
  step: string;
  name: string;
  verdict: RunsVerdict;
  /** Size and a short hash per run; a foreach step's tasks in order, `n tasks`. */
  values: (string | undefined)[];
  /** Per run, the hashes of the step's tasks joined (what decides the verdict). */
  keys: (string | undefined)[];
  /** Per run, the single task holding it, when the step has one task (what a value preview needs). */
  tasks: (string | undefined)[];
  /** Largest byte size of the artifact across the runs' tasks. */
  bytes: number;
  /** Every run that holds it stored it as JSON (a number, string, object...), not a table or bytes. */
  json: boolean;
  /** For one element of a foreach step (`elements`): its 0-based position, the same in every run. */
  element?: number;
}

export interface RunComparison {
  /** The runs' pathspecs, oldest first: the columns' order. */
  runs: string[];
  /** When each run started and how long it took (ms; undefined while it is running). */
  startedAt: string[];
  durationsMs: (number | undefined)[];
  run: CompareRow[];
  params: CompareRow[];
  /** Each run's parameters as they are (the numbers section reads the numeric ones). */
  paramValues: Record<string, JsonValue | undefined>[];
  steps: CompareRow[];
  artifacts: ArtifactRow[];
  /**
   * A foreach step's artifacts element by element (the i-th task of each run), for the numbers
   * across runs: `body[2].score`. Only for steps of at most MAX_ELEMENT_ROWS tasks a run.
   */
  elements: ArtifactRow[];
}

/** Above this many tasks a run, a foreach step's elements are not compared one by one. */
export const MAX_ELEMENT_ROWS = 20;

const json = (value: JsonValue | undefined) => (value === undefined ? undefined : JSON.stringify(value));

function row(label: string, values: (string | undefined)[]): CompareRow {
  return { label, values, same: values.every((v) => v === values[0]) };
}

function union(...lists: Iterable<string>[]): string[] {
  return [...new Set(lists.flatMap((l) => [...l]))];
}

function tasksByStep(tasks: TaskView[]): Map<string, TaskView[]> {
  const byStep = new Map<string, TaskView[]>();
  for (const task of tasks) {
    byStep.set(task.step, [...(byStep.get(task.step) ?? []), task]);
  }
  // Foreach tasks in element order, so the i-th task of one run meets the i-th of the others.
  const index = (t: TaskView) => t.foreachStack?.at(-1)?.index ?? 0;
  for (const list of byStep.values()) {
    list.sort((x, y) => index(x) - index(y) || x.taskId.localeCompare(y.taskId));
  }
  return byStep;
}

function stepSummary(tasks: TaskView[] | undefined): string | undefined {
  if (!tasks?.length) {
    return undefined;
  }
  const statuses = [...new Set(tasks.map((t) => t.status))].join('/');
  const starts = tasks
    .map((t) => t.startedAt)
    .filter((s): s is string => !!s)
    .sort();
  const ends = tasks
    .map((t) => t.finishedAt)
    .filter((s): s is string => !!s)
    .sort();
  const done = ends.length === tasks.length;
  const duration = starts.length ? durationBetween(starts[0], done ? ends.at(-1) : undefined) : '';
  const count = tasks.length === 1 ? '' : `${tasks.length} tasks, `;
  return `${count}${statuses}${duration ? `, ${duration}` : ''}`;
}

function artifactSide(
  tasks: TaskView[] | undefined,
  name: string,
): { text: string; key: string; bytes: number; json: boolean; task?: string } | undefined {
  const refs = (tasks ?? []).map((t) => t.artifacts[name]);
  if (!refs.length || refs.every((r) => r === undefined)) {
    return undefined;
  }
  const bytes = Math.max(...refs.map((r) => r?.bytes ?? 0));
  // The hashes of every task, in order: a foreach's artifact is equal only when every element's is.
  const key = refs.map((r) => r?.sha256 ?? '-').join(',');
  const single = refs.length === 1 ? refs[0]! : undefined;
  const text = single
    ? `${formatBytes(single.bytes)} ${single.sha256.slice(0, 12)}`
    : `${refs.length} tasks, ${new Set(refs.map((r) => r?.sha256)).size} distinct`;
  return {
    text,
    key,
    bytes,
    json: refs.every((r) => r === undefined || r.codec === 'json'),
    task: single ? taskPathspec(tasks![0]) : undefined,
  };
}

function durationMs(run: RunDetailResult['run']): number | undefined {
  if (!run.finishedAt) {
    return undefined;
  }
  const ms = Date.parse(run.finishedAt) - Date.parse(run.createdAt);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Compares runs column by column, oldest first (whatever order they were picked in). */
export function compareRuns(details: RunDetailResult[]): RunComparison {
  const sorted = [...details].sort(
    (x, y) => x.run.createdAt.localeCompare(y.run.createdAt) || x.run.runId.localeCompare(y.run.runId),
  );
  const runs = sorted.map((d) => d.run);
  const run: CompareRow[] = [
    row(
      'status',
      runs.map((r) => r.status),
    ),
    row(
      'started',
      runs.map((r) => formatTime(r.createdAt)),
    ),
    row(
      'duration',
      runs.map((r) => durationBetween(r.createdAt, r.finishedAt)),
    ),
    row(
      'tasks',
      sorted.map((d) => String(d.tasks.length)),
    ),
    row(
      'tags',
      runs.map((r) => r.tags.join(', ')),
    ),
    row(
      'seed',
      runs.map((r) => (r.seed === undefined ? undefined : String(r.seed))),
    ),
  ];
  // Start and duration always differ between runs: they are facts to read, not differences.
  for (const r of run) {
    if (r.label === 'started' || r.label === 'duration') {
      r.same = true;
    }
  }
  const params = union(...runs.map((r) => Object.keys(r.params)))
    .sort()
    .map((name) =>
      row(
        name,
        runs.map((r) => json(r.params[name])),
      ),
    );
  const byStep = sorted.map((d) => tasksByStep(d.tasks));
  const order = union(...runs.map((r) => r.graph?.order ?? []), ...byStep.map((m) => m.keys()));
  const steps = order.map((step) => {
    const r = row(
      step,
      byStep.map((m) => stepSummary(m.get(step))),
    );
    // A step agrees when its task count and statuses agree; its duration is not a difference.
    const shape = (tasks?: TaskView[]) => (tasks ? tasks.map((t) => t.status).join(',') : undefined);
    const shapes = byStep.map((m) => shape(m.get(step)));
    r.same = shapes.every((s) => s === shapes[0]);
    return r;
  });
  const artifacts: ArtifactRow[] = [];
  for (const step of order) {
    const tasks = byStep.map((m) => m.get(step));
    const names = artifactNames(...tasks.flatMap((list) => list ?? []).map((t) => t.artifacts)).sort();
    for (const name of names) {
      const sides = tasks.map((list) => artifactSide(list, name));
      const keys = sides.map((s) => s?.key);
      artifacts.push({
        step,
        name,
        verdict: runsVerdict(keys),
        values: sides.map((s) => s?.text),
        keys,
        tasks: sides.map((s) => s?.task),
        bytes: Math.max(...sides.map((s) => s?.bytes ?? 0)),
        json: sides.every((s) => s === undefined || s.json),
      });
    }
  }
  const elements: ArtifactRow[] = [];
  for (const step of order) {
    const tasks = byStep.map((m) => m.get(step) ?? []);
    const most = Math.max(...tasks.map((list) => list.length));
    if (most < 2 || most > MAX_ELEMENT_ROWS) {
      continue;
    }
    const names = artifactNames(...tasks.flat().map((t) => t.artifacts)).sort();
    for (let element = 0; element < most; element++) {
      const at = tasks.map((list) => (list[element] ? [list[element]] : undefined));
      for (const name of names) {
        const sides = at.map((list) => artifactSide(list, name));
        const keys = sides.map((side) => side?.key);
        elements.push({
          step,
          name,
          element,
          verdict: runsVerdict(keys),
          values: sides.map((side) => side?.text),
          keys,
          tasks: sides.map((side) => side?.task),
          bytes: Math.max(...sides.map((side) => side?.bytes ?? 0)),
          json: sides.every((side) => side === undefined || side.json),
        });
      }
    }
  }
  return {
    runs: runs.map(runPathspec),
    startedAt: runs.map((r) => r.createdAt),
    durationsMs: runs.map(durationMs),
    params,
    paramValues: runs.map((r) => r.params),
    run,
    steps,
    artifacts,
    elements,
  };
}

/** Whether every run holding the artifact holds it in one task (so its value can be previewed). */
function previewable(row: ArtifactRow): boolean {
  return row.keys.every((key, i) => key === undefined || row.tasks[i] !== undefined);
}

/** The differing artifacts small enough to show their values beside each other. */
export function valuesToFetch(comparison: RunComparison, maxBytes: number): ArtifactRow[] {
  return comparison.artifacts.filter(
    (r) =>
      r.verdict !== 'equal' &&
      r.keys.filter((k) => k !== undefined).length >= 2 &&
      previewable(r) &&
      r.bytes <= maxBytes,
  );
}

/**
 * The artifacts that may hold a number in each run (JSON small enough for one, one task a run, or one
 * foreach element a run), each
 * value once: a task holds what its ancestors set, so a later step's copy holding, in every run that
 * has it, the value an earlier step of that run has under the same name is left out.
 */
export function scalarCandidates(comparison: RunComparison, maxBytes: number): ArtifactRow[] {
  /** Per name, per run, the hashes seen so far. */
  const seen = new Map<string, Set<string>[]>();
  // Whole steps first, then foreach elements one by one (a body's own numbers, element by element).
  return [...comparison.artifacts, ...comparison.elements].filter((r) => {
    if (!r.json || r.bytes > maxBytes || !previewable(r)) {
      return false;
    }
    const perRun = seen.get(r.name) ?? r.keys.map(() => new Set<string>());
    seen.set(r.name, perRun);
    const copy = r.keys.every((key, i) => key === undefined || perRun[i].has(key));
    r.keys.forEach((key, i) => key !== undefined && perRun[i].add(key));
    return !copy;
  });
}
