// Artifact by artifact comparison of two runs of the same flow. Tasks are matched by step, foreach
// position and loop iteration (task ids depend on scheduling order); artifacts by their sha256.
import type { TaskRecord } from '../records';
import { taskKey } from '../scheduler';

export type Verdict = 'identical' | 'different' | 'missing' | 'added';

export interface ArtifactComparison {
  step: string;
  artifact: string;
  verdict: Verdict;
  /** Tasks of the step compared, and how many of them disagree. */
  tasks: number;
  mismatched: number;
  original?: string;
  reproduced?: string;
}

/** One row per step and artifact; a step's foreach tasks are summarised in the row. */
export function compareRuns(original: TaskRecord[], reproduced: TaskRecord[]): ArtifactComparison[] {
  const key = (t: TaskRecord) => taskKey(t.step, t.foreachStack, t.iteration);
  const done = (tasks: TaskRecord[]) =>
    new Map(tasks.filter((t) => t.status === 'succeeded').map((t) => [key(t), t]));
  const before = done(original);
  const after = done(reproduced);
  const rows = new Map<string, ArtifactComparison>();
  const row = (step: string, artifact: string) => {
    const id = `${step}\u0000${artifact}`;
    let found = rows.get(id);
    if (!found) {
      found = { step, artifact, verdict: 'identical', tasks: 0, mismatched: 0 };
      rows.set(id, found);
    }
    return found;
  };
  const rank: Record<Verdict, number> = { identical: 0, added: 1, different: 2, missing: 3 };
  const note = (r: ArtifactComparison, verdict: Verdict, a?: string, b?: string) => {
    r.tasks += 1;
    if (verdict !== 'identical') r.mismatched += 1;
    if (rank[verdict] > rank[r.verdict]) r.verdict = verdict;
    r.original ??= a;
    r.reproduced ??= b;
    if (verdict !== 'identical' && r.mismatched === 1) {
      r.original = a;
      r.reproduced = b;
    }
  };
  for (const [position, task] of before) {
    const twin = after.get(position);
    for (const [name, ref] of Object.entries(task.artifacts)) {
      const other = twin?.artifacts[name];
      note(
        row(task.step, name),
        !other ? 'missing' : other.sha256 === ref.sha256 ? 'identical' : 'different',
        ref.sha256,
        other?.sha256,
      );
    }
    for (const [name, ref] of Object.entries(twin?.artifacts ?? {})) {
      if (!(name in task.artifacts)) note(row(task.step, name), 'added', undefined, ref.sha256);
    }
  }
  for (const [position, task] of after) {
    if (before.has(position)) continue;
    for (const [name, ref] of Object.entries(task.artifacts))
      note(row(task.step, name), 'added', undefined, ref.sha256);
  }
  return [...rows.values()];
}

/** Rows in the flow's step order, then by artifact name. */
export function orderRows(rows: ArtifactComparison[], stepOrder: string[]): ArtifactComparison[] {
  const index = (step: string) => {
    const i = stepOrder.indexOf(step);
    return i < 0 ? stepOrder.length : i;
  };
  return [...rows].sort(
    (a, b) =>
      index(a.step) - index(b.step) || (a.artifact < b.artifact ? -1 : a.artifact > b.artifact ? 1 : 0),
  );
}

export function formatComparison(rows: ArtifactComparison[]): string {
  const cells = rows.map((r) => [
    r.step,
    r.artifact,
    r.verdict + (r.tasks > 1 && r.mismatched > 0 ? ` (${r.mismatched} of ${r.tasks} tasks)` : ''),
    (r.original ?? '-').slice(0, 12),
    (r.reproduced ?? '-').slice(0, 12),
  ]);
  const header = ['step', 'artifact', 'result', 'original', 'reproduced'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}
