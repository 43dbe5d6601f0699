// Two runs side by side for the run browser: status and times, parameters, each step's tasks and
// duration, and each artifact's hash (equal or different per step and name, as core's run-compare
// decides). Pure: the view fetches the small differing values (`valuesToFetch`) and draws the rows.
import type { JsonValue } from '../core/model';
import type { RunDetailResult, TaskView } from '../core/protocol';
import { artifactNames, hashVerdict, type ArtifactVerdict } from '../core/run-compare';
import { durationBetween, formatBytes, formatTime } from './format';
import { runPathspec, taskPathspec } from './run-facts';

/** One compared line: what each run has (undefined: that run has none) and whether they agree. */
export interface CompareRow {
  label: string;
  a?: string;
  b?: string;
  same: boolean;
}

export interface ArtifactRow {
  step: string;
  name: string;
  verdict: ArtifactVerdict;
  /** Size and a short hash per run; a foreach step's tasks in order, `n tasks`. */
  a?: string;
  b?: string;
  /** The single task holding it in each run, when the step has one task (what a value preview needs). */
  taskA?: string;
  taskB?: string;
  /** Largest byte size of the artifact across both runs' tasks. */
  bytes: number;
}

export interface RunComparison {
  a: string;
  b: string;
  run: CompareRow[];
  params: CompareRow[];
  steps: CompareRow[];
  artifacts: ArtifactRow[];
}

const json = (value: JsonValue | undefined) => (value === undefined ? undefined : JSON.stringify(value));

function row(label: string, a: string | undefined, b: string | undefined): CompareRow {
  return { label, a, b, same: a === b };
}

function union(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])];
}

function tasksByStep(tasks: TaskView[]): Map<string, TaskView[]> {
  const byStep = new Map<string, TaskView[]>();
  for (const task of tasks) {
    byStep.set(task.step, [...(byStep.get(task.step) ?? []), task]);
  }
  // Foreach tasks in element order, so the i-th task of one run meets the i-th of the other.
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
): { text: string; key: string; bytes: number } | undefined {
  const refs = (tasks ?? []).map((t) => t.artifacts[name]);
  if (!refs.length || refs.every((r) => r === undefined)) {
    return undefined;
  }
  const bytes = Math.max(...refs.map((r) => r?.bytes ?? 0));
  // The hashes of every task, in order: a foreach's artifact is equal only when every element's is.
  const key = refs.map((r) => r?.sha256 ?? '-').join(',');
  const text =
    refs.length === 1
      ? `${formatBytes(refs[0]!.bytes)} ${refs[0]!.sha256.slice(0, 12)}`
      : `${refs.length} tasks, ${new Set(refs.map((r) => r?.sha256)).size} distinct`;
  return { text, key, bytes };
}

export function compareRuns(a: RunDetailResult, b: RunDetailResult): RunComparison {
  const run: CompareRow[] = [
    row('status', a.run.status, b.run.status),
    row('started', formatTime(a.run.createdAt), formatTime(b.run.createdAt)),
    row(
      'duration',
      durationBetween(a.run.createdAt, a.run.finishedAt),
      durationBetween(b.run.createdAt, b.run.finishedAt),
    ),
    row('tasks', String(a.tasks.length), String(b.tasks.length)),
    row('tags', a.run.tags.join(', '), b.run.tags.join(', ')),
    row(
      'seed',
      a.run.seed === undefined ? undefined : String(a.run.seed),
      b.run.seed === undefined ? undefined : String(b.run.seed),
    ),
  ];
  // Started and duration always differ between two runs: they are facts to read, not differences.
  for (const r of run) {
    if (r.label === 'started' || r.label === 'duration') {
      r.same = true;
    }
  }
  const params = union(Object.keys(a.run.params), Object.keys(b.run.params))
    .sort()
    .map((name) => row(name, json(a.run.params[name]), json(b.run.params[name])));
  const stepsA = tasksByStep(a.tasks);
  const stepsB = tasksByStep(b.tasks);
  const order = union(
    union(a.run.graph?.order ?? [], b.run.graph?.order ?? []),
    union(stepsA.keys(), stepsB.keys()),
  );
  const steps = order.map((step) => {
    const r = row(step, stepSummary(stepsA.get(step)), stepSummary(stepsB.get(step)));
    // A step agrees when its task count and statuses agree; its duration is not a difference.
    const shape = (tasks?: TaskView[]) => (tasks ? tasks.map((t) => t.status).join(',') : undefined);
    r.same = shape(stepsA.get(step)) === shape(stepsB.get(step));
    return r;
  });
  const artifacts: ArtifactRow[] = [];
  for (const step of order) {
    const ta = stepsA.get(step);
    const tb = stepsB.get(step);
    const names = artifactNames(...[...(ta ?? []), ...(tb ?? [])].map((t) => t.artifacts)).sort();
    for (const name of names) {
      const sa = artifactSide(ta, name);
      const sb = artifactSide(tb, name);
      const verdict = hashVerdict(sa?.key, sb?.key);
      artifacts.push({
        step,
        name,
        verdict,
        a: sa?.text,
        b: sb?.text,
        taskA: ta?.length === 1 && sa ? taskPathspec(ta[0]) : undefined,
        taskB: tb?.length === 1 && sb ? taskPathspec(tb[0]) : undefined,
        bytes: Math.max(sa?.bytes ?? 0, sb?.bytes ?? 0),
      });
    }
  }
  return { a: runPathspec(a.run), b: runPathspec(b.run), run, params, steps, artifacts };
}

/** The differing artifacts small enough to show both values beside each other. */
export function valuesToFetch(comparison: RunComparison, maxBytes: number): ArtifactRow[] {
  return comparison.artifacts.filter(
    (r) => r.verdict === 'different' && r.taskA && r.taskB && r.bytes <= maxBytes,
  );
}
