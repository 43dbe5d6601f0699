// The facts of a run record worth a line each in the run browser: summary rows, and the reproducibility
// record's key fields (git commit, lockfile hash, Node version...) picked out of its JSON. Pure.
import type { JsonValue } from '../core/model';
import type { RunDetailResult, RunView, TaskView } from '../core/protocol';
import { durationBetween, formatParams, formatTime } from './format';

export type Fact = [label: string, value: string];

export function runPathspec(run: Pick<RunView, 'flow' | 'runId'>): string {
  return `${run.flow}/${run.runId}`;
}

export function taskPathspec(task: Pick<TaskView, 'flow' | 'runId' | 'step' | 'taskId'>): string {
  return `${task.flow}/${task.runId}/${task.step}/${task.taskId}`;
}

export function runFacts(run: RunView, now = Date.now()): Fact[] {
  const facts: Fact[] = [
    ['status', run.status],
    ['user', run.user],
    ['started', formatTime(run.createdAt)],
    ['duration', durationBetween(run.createdAt, run.finishedAt, now)],
    ['parameters', formatParams(run.params) || '—'],
    ['tags', run.tags.join(', ') || '—'],
  ];
  if (run.seed !== undefined) facts.push(['seed', String(run.seed)]);
  if (run.origin)
    facts.push([run.origin.kind === 'resume' ? 'resumed from' : 'reproduces', run.origin.pathspec]);
  return facts;
}

/** Key lines of the reproducibility record; each section may be absent (a bare runtime records none). */
export function reproFacts(run: RunDetailResult['run']): Fact[] {
  const facts: Fact[] = [];
  const add = (label: string, value: JsonValue | undefined) => {
    if (value === undefined || value === null) return;
    facts.push([label, typeof value === 'string' ? value : JSON.stringify(value)]);
  };
  const source = run.source;
  add('git commit', find(source, ['git', 'commit'], ['git', 'head'], ['commit'], ['head']));
  add('git branch', find(source, ['git', 'branch'], ['branch']));
  const dirty = find(source, ['git', 'dirty'], ['dirty']);
  if (Array.isArray(dirty))
    facts.push(['dirty files', dirty.length === 0 ? 'none' : dirty.map(String).join(', ')]);
  else add('dirty files', dirty);
  add('snapshot ref', find(source, ['snapshot', 'ref'], ['git', 'snapshotRef'], ['snapshotRef'], ['ref']));
  add('notebook sha256', find(source, ['notebook', 'sha256'], ['notebookSha256']));
  const lockfile = run.lockfile;
  add('lockfile sha256', find(lockfile, ['sha256']));
  const drift = find(lockfile, ['drift']);
  if (drift && typeof drift === 'object' && !Array.isArray(drift)) {
    const counts = Object.entries(drift)
      .filter(([, list]) => Array.isArray(list))
      .map(([kind, list]) => `${(list as JsonValue[]).length} ${kind}`);
    facts.push(['lockfile drift', counts.join(', ') || 'none']);
  } else add('lockfile drift', drift);
  const env = run.environment;
  add('node', find(env, ['node'], ['versions', 'node'], ['nodeVersion']));
  add('os', find(env, ['os'], ['platform']));
  add('arch', find(env, ['arch']));
  add('cellflow', find(env, ['cellflow'], ['versions', 'cellflow']));
  return facts;
}

/** The first of several paths that leads to a value in a JSON object. */
export function find(value: JsonValue | undefined, ...paths: string[][]): JsonValue | undefined {
  for (const path of paths) {
    let here: JsonValue | undefined = value;
    for (const key of path) {
      here = here !== null && typeof here === 'object' && !Array.isArray(here) ? here[key] : undefined;
      if (here === undefined) break;
    }
    if (here !== undefined) return here;
  }
  return undefined;
}
