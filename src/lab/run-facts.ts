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

/** `3 of 6` for a foreach body's task (its innermost element, 1-based); empty for other tasks. */
export function foreachElement(task: Pick<TaskView, 'foreachStack'>): string {
  const frame = task.foreachStack?.at(-1);
  return frame ? `${frame.index + 1} of ${frame.count}` : '';
}

/** How many tasks each step ran, in step order (a foreach body: one per element). */
export function stepTaskCounts(tasks: TaskView[], order: string[] = []): { step: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const task of tasksInStepOrder(tasks, order)) {
    counts.set(task.step, (counts.get(task.step) ?? 0) + 1);
  }
  return [...counts].map(([step, count]) => ({ step, count }));
}

/** Tasks in the order of their steps in the notebook, then by task id (numeric ids as numbers). */
export function tasksInStepOrder(tasks: TaskView[], order: string[] = []): TaskView[] {
  const rank = new Map(order.map((step, i) => [step, i]));
  const position = (t: TaskView) => rank.get(t.step) ?? order.length;
  return [...tasks].sort(
    (a, b) =>
      position(a) - position(b) ||
      a.step.localeCompare(b.step) ||
      a.taskId.localeCompare(b.taskId, undefined, { numeric: true }),
  );
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
  if (run.seed !== undefined) {
    facts.push(['seed', String(run.seed)]);
  }
  if (run.origin) {
    facts.push([run.origin.kind === 'resume' ? 'resumed from' : 'reproduces', run.origin.pathspec]);
  }
  return facts;
}

/** Dirty files listed in full up to this many; beyond, a count and the first few. */
const DIRTY_SHOWN = 5;

/**
 * Key lines of the reproducibility record (the shapes the runtime writes: `source.git.{head,branch,dirty,
 * snapshot}`, `lockfile.{path,sha256,drift}`, `environment.{node,os,cpus,versions}`); each section may be
 * absent (a bare runtime records none).
 */
export function reproFacts(run: RunDetailResult['run']): Fact[] {
  const facts: Fact[] = [];
  const add = (label: string, value: JsonValue | undefined) => {
    if (value === undefined || value === null) {
      return;
    }
    facts.push([label, typeof value === 'string' ? value : JSON.stringify(value)]);
  };
  const source = run.source;
  add('git commit', find(source, ['git', 'head'], ['git', 'commit'], ['commit'], ['head']));
  add('git branch', find(source, ['git', 'branch'], ['branch']));
  const dirty = find(source, ['git', 'dirty'], ['dirty']);
  if (Array.isArray(dirty)) {
    facts.push(['dirty files', dirtyFiles(dirty.map(String))]);
  } else {
    add('dirty files', dirty);
  }
  add('snapshot commit', find(source, ['git', 'snapshot', 'commit'], ['snapshot', 'commit']));
  add(
    'snapshot ref',
    find(source, ['git', 'snapshot', 'ref'], ['snapshot', 'ref'], ['git', 'snapshotRef'], ['snapshotRef']),
  );
  add('notebook sha256', find(source, ['notebook', 'sha256'], ['notebookSha256']));
  add('module sha256', find(source, ['module', 'sha256']));
  const lockfile = run.lockfile;
  if (lockfile !== undefined && lockfile !== null) {
    const lockPath = find(lockfile, ['path']);
    const derived = find(lockfile, ['derived']) === true;
    if (typeof lockPath === 'string') {
      facts.push(['lockfile', lockPath]);
    } else if (derived) {
      facts.push(['lockfile', 'none (derived from node_modules)']);
    }
  }
  add('lockfile sha256', find(lockfile, ['sha256']));
  const drift = find(lockfile, ['drift']);
  if (drift && typeof drift === 'object' && !Array.isArray(drift)) {
    if (drift.checked === false) {
      facts.push(['lockfile drift', 'not checked']);
    } else {
      const counts = Object.entries(drift)
        .filter(([, list]) => Array.isArray(list))
        .map(([kind, list]) => `${(list as JsonValue[]).length} ${kind}`);
      facts.push(['lockfile drift', counts.join(', ') || 'none']);
    }
  } else {
    add('lockfile drift', drift);
  }
  const env = run.environment;
  add('node', find(env, ['node'], ['versions', 'node'], ['nodeVersion']));
  const os = find(env, ['os'], ['platform']);
  if (os && typeof os === 'object' && !Array.isArray(os)) {
    const parts = [os.type ?? os.platform, os.release].filter((p) => typeof p === 'string');
    facts.push(['os', parts.length ? parts.join(' ') : JSON.stringify(os)]);
  } else {
    add('os', os);
  }
  add('arch', find(env, ['arch']));
  const cpus = find(env, ['cpus']);
  if (cpus && typeof cpus === 'object' && !Array.isArray(cpus) && typeof cpus.count === 'number') {
    facts.push([
      'cpus',
      typeof cpus.model === 'string' ? `${cpus.count} × ${cpus.model}` : String(cpus.count),
    ]);
  } else {
    add('cpus', cpus);
  }
  add('time zone', find(env, ['timeZone']));
  add('cellflow', find(env, ['versions', 'cellflow'], ['cellflow']));
  add('typescript', find(env, ['versions', 'typescript']));
  add('tslab', find(env, ['versions', 'tslab']));
  return facts;
}

function dirtyFiles(files: string[]): string {
  if (files.length === 0) {
    return 'none';
  }
  if (files.length <= DIRTY_SHOWN) {
    return files.join(', ');
  }
  return `${files.length}: ${files.slice(0, DIRTY_SHOWN).join(', ')}, …`;
}

/** The first of several paths that leads to a value in a JSON object. */
export function find(value: JsonValue | undefined, ...paths: string[][]): JsonValue | undefined {
  for (const path of paths) {
    let here: JsonValue | undefined = value;
    for (const key of path) {
      here = here !== null && typeof here === 'object' && !Array.isArray(here) ? here[key] : undefined;
      if (here === undefined) {
        break;
      }
    }
    if (here !== undefined) {
      return here;
    }
  }
  return undefined;
}
