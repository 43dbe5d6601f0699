// Artifact by artifact comparison of two runs of the same flow. Tasks are matched by step, foreach
// position and loop iteration (task ids depend on scheduling order); artifacts by their sha256
// (core's run-compare, which the run browser's Compare shares).
// Each difference is classified: where it starts (a value written by a task whose parents were all
// identical), downstream of an earlier difference (written from differing inputs), or inherited
// (the task passed its parent's value on unchanged).
import {
  artifactNames,
  artifactVerdict,
  sameArtifacts,
  type ArtifactVerdict,
} from '../../../core/run-compare';
import type { ArtifactRef, TaskRecord } from '../../records';
import { taskKey } from '../../execution/scheduler';

export type Verdict = 'identical' | 'different' | 'missing' | 'added';
export type Cause = 'starts' | 'downstream' | 'inherited';

/** Core's verdict in reproduce's words: run a is the original, run b the reproduction. */
const VERDICT: Record<ArtifactVerdict, Verdict> = {
  equal: 'identical',
  different: 'different',
  'only-a': 'missing',
  'only-b': 'added',
};

export interface ArtifactComparison {
  step: string;
  artifact: string;
  verdict: Verdict;
  /** Tasks this row covers, and how many of them disagree. */
  tasks: number;
  mismatched: number;
  /** A row about one task of a step with several (a foreach body): its position and original task id. */
  task?: { position: string; taskId: string };
  /** Why a non-identical row differs (see the header comment). */
  cause?: Cause;
  original?: ArtifactRef;
  reproduced?: ArtifactRef;
}

interface Pair {
  step: string;
  artifact: string;
  verdict: Verdict;
  cause?: Cause;
  position: string;
  taskId: string;
  original?: ArtifactRef;
  reproduced?: ArtifactRef;
}

const key = (t: TaskRecord) => taskKey(t.step, t.foreachStack, t.iteration);

/** Foreach indices (outermost first) and loop iteration: how a user tells a step's tasks apart. */
export function positionLabel(t: TaskRecord): string {
  const at = t.foreachStack.map((f) => String(f.index)).join('.');
  return (at ? `[${at}]` : '') + (t.iteration ? `#${t.iteration}` : '');
}

/**
 * Rows in the flow's step order: a step with one task gets one row per artifact; a step with several
 * gets one row per artifact for the tasks that agree and one row per task and artifact that differs.
 */
export function compareRuns(
  original: TaskRecord[],
  reproduced: TaskRecord[],
  stepOrder: string[],
): ArtifactComparison[] {
  const done = (tasks: TaskRecord[]) =>
    new Map(tasks.filter((t) => t.status === 'succeeded').map((t) => [key(t), t]));
  const before = done(original);
  const after = done(reproduced);
  const byPathspec = new Map(
    [...before.values()].map((t) => [`${t.flow}/${t.runId}/${t.step}/${t.taskId}`, t]),
  );
  const afterByPathspec = new Map(
    [...after.values()].map((t) => [`${t.flow}/${t.runId}/${t.step}/${t.taskId}`, t]),
  );

  const differs = new Map<string, boolean>();
  const taskDiffers = (t: TaskRecord): boolean => {
    const k = key(t);
    const known = differs.get(k);
    if (known !== undefined) {
      return known;
    }
    const twin = after.get(k);
    const own = !twin || !sameArtifacts(t.artifacts, twin.artifacts);
    differs.set(k, own);
    return own;
  };
  const tainted = new Map<string, boolean>();
  const upstreamDiffers = (t: TaskRecord, seen = new Set<string>()): boolean => {
    const k = key(t);
    const known = tainted.get(k);
    if (known !== undefined) {
      return known;
    }
    if (seen.has(k)) {
      return false;
    }
    seen.add(k);
    const parents = t.parents.map((p) => byPathspec.get(p)).filter((p): p is TaskRecord => !!p);
    const result = parents.some((p) => taskDiffers(p) || upstreamDiffers(p, seen));
    tainted.set(k, result);
    return result;
  };
  const passedOn = (t: TaskRecord, name: string, sha: string, index: Map<string, TaskRecord>) =>
    t.parents.some((p) => index.get(p)?.artifacts[name]?.sha256 === sha);

  const pairs: Pair[] = [];
  const stepTasks = new Map<string, number>();
  const count = (step: string) => stepTasks.set(step, (stepTasks.get(step) ?? 0) + 1);
  for (const [position, task] of before) {
    count(task.step);
    const twin = after.get(position);
    for (const name of artifactNames(task.artifacts, twin?.artifacts)) {
      const a = task.artifacts[name];
      const b = twin?.artifacts[name];
      const verdict = VERDICT[artifactVerdict(a, b)];
      const pair: Pair = {
        step: task.step,
        artifact: name,
        verdict,
        position: positionLabel(task),
        taskId: task.taskId,
        original: a,
        reproduced: b,
      };
      if (verdict !== 'identical') {
        const inherited =
          a &&
          b &&
          passedOn(task, name, a.sha256, byPathspec) &&
          passedOn(twin!, name, b.sha256, afterByPathspec);
        pair.cause = inherited ? 'inherited' : upstreamDiffers(task) ? 'downstream' : 'starts';
      }
      pairs.push(pair);
    }
  }
  for (const [position, task] of after) {
    if (before.has(position)) {
      continue;
    }
    count(task.step);
    for (const [name, ref] of Object.entries(task.artifacts)) {
      pairs.push({
        step: task.step,
        artifact: name,
        verdict: 'added',
        cause: 'starts',
        position: positionLabel(task),
        taskId: task.taskId,
        reproduced: ref,
      });
    }
  }
  return orderRows(groupRows(pairs, stepTasks), stepOrder);
}

function groupRows(pairs: Pair[], stepTasks: Map<string, number>): ArtifactComparison[] {
  const rows: ArtifactComparison[] = [];
  const summaries = new Map<string, ArtifactComparison>();
  for (const pair of pairs) {
    const several = (stepTasks.get(pair.step) ?? 0) > 1;
    if (several && pair.verdict !== 'identical') {
      rows.push({
        step: pair.step,
        artifact: pair.artifact,
        verdict: pair.verdict,
        tasks: 1,
        mismatched: 1,
        task: { position: pair.position, taskId: pair.taskId },
        cause: pair.cause,
        original: pair.original,
        reproduced: pair.reproduced,
      });
      continue;
    }
    const id = `${pair.step}\u0000${pair.artifact}`;
    let row = summaries.get(id);
    if (!row) {
      row = { step: pair.step, artifact: pair.artifact, verdict: 'identical', tasks: 0, mismatched: 0 };
      row.original = pair.original;
      row.reproduced = pair.reproduced;
      summaries.set(id, row);
      rows.push(row);
    }
    row.tasks += 1;
    if (pair.verdict !== 'identical') {
      row.mismatched += 1;
      row.verdict = pair.verdict;
      row.cause = pair.cause;
      row.original = pair.original;
      row.reproduced = pair.reproduced;
    }
  }
  return rows;
}

/** Rows in the flow's step order, then by artifact name, then by task position. */
export function orderRows(rows: ArtifactComparison[], stepOrder: string[]): ArtifactComparison[] {
  const index = (step: string) => {
    const i = stepOrder.indexOf(step);
    return i < 0 ? stepOrder.length : i;
  };
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const taskOrder = (r: ArtifactComparison) => (r.task ? Number(r.task.taskId) || 0 : -1);
  return [...rows].sort(
    (a, b) => index(a.step) - index(b.step) || text(a.artifact, b.artifact) || taskOrder(a) - taskOrder(b),
  );
}

/** The row a reader should look at first: the earliest difference that starts in its own step. */
export function firstDifference(rows: ArtifactComparison[]): ArtifactComparison | undefined {
  return (
    rows.find((r) => r.verdict !== 'identical' && r.cause === 'starts') ??
    rows.find((r) => r.verdict !== 'identical')
  );
}

/** Per (task, artifact) pair: how many were identical, different, missing and added. */
export function countPairs(rows: ArtifactComparison[]): Record<Verdict, number> {
  const counts = { identical: 0, different: 0, missing: 0, added: 0 };
  for (const row of rows) {
    counts.identical += row.tasks - row.mismatched;
    if (row.verdict !== 'identical') {
      counts[row.verdict] += row.mismatched;
    }
  }
  return counts;
}

/** Shown values: a rendered value of at most ~200 characters, else the object's sha256 prefix. */
export type ValueText = (ref: ArtifactRef | undefined) => string;

const CAUSE_NOTE: Record<Cause, string> = {
  starts: '← difference starts here',
  downstream: 'downstream of an earlier difference',
  inherited: 'inherited unchanged from its parent',
};

/** The table reproduce prints: grouped by step (its name once), one row per differing task. */
export function formatComparison(rows: ArtifactComparison[], valueText: ValueText): string {
  const first = firstDifference(rows);
  let previousStep: string | undefined;
  const cells = rows.map((r) => {
    const step = r.step === previousStep ? '' : r.step;
    previousStep = r.step;
    const result =
      r.verdict +
      (r.tasks > 1
        ? r.mismatched > 0
          ? ` (${r.mismatched} of ${r.tasks} tasks)`
          : ` (${r.tasks} tasks)`
        : '');
    const note = r.cause
      ? r === first
        ? CAUSE_NOTE.starts
        : r.cause === 'starts'
          ? 'starts here too'
          : CAUSE_NOTE[r.cause]
      : '';
    return [
      step,
      r.task ? `${r.task.taskId} ${r.task.position}`.trim() : '',
      r.artifact,
      result,
      r.verdict === 'identical' ? (r.original?.sha256.slice(0, 12) ?? '-') : valueText(r.original),
      r.verdict === 'identical' ? '=' : valueText(r.reproduced),
      note,
    ];
  });
  const header = ['step', 'task', 'artifact', 'result', 'original', 'reproduced', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}
