// Records as a Binder branch publishes them: paths relative to the project, and no user name or host
// beyond the environment facts a reproduction compares (Node, OS, arch, CPUs, memory, time zone,
// locale, versions). `cellflow binder --keep-identity` publishes them as recorded.
import * as os from 'os';
import type { RunRecord, TaskRecord } from '../../records';

export const ANONYMOUS_USER = 'anonymous';

/**
 * Replaces the datastore's folder by `storeDir` (where the branch holds the records), `root` (the
 * project) by relative paths, the home folder by `~`, and user and host names by `redacted`.
 */
export function publicationScrubber(
  root: string,
  user: string,
  datastoreRoot: string,
  storeDir: string,
): (text: string) => string {
  const home = os.homedir();
  const host = os.hostname();
  const userName = safeUserName();
  const replacements: [string, string][] = [
    [datastoreRoot, storeDir],
    [`${root}/`, ''],
    [root, '.'],
    ...(home && home !== '/' ? ([[home, '~']] as [string, string][]) : []),
  ];
  const words = [...new Set([user, userName, host].filter((w) => w && w.length >= 3))];
  return (text) => {
    let out = text;
    for (const [from, to] of replacements) {
      out = out.split(from).join(to);
    }
    for (const word of words) {
      out = out.replace(new RegExp(`(?<![A-Za-z0-9_])${escape(word)}(?![A-Za-z0-9_])`, 'g'), 'redacted');
    }
    return out;
  };
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the run computes from or names by: a reproduction must read these exactly as recorded. */
const KEPT = new Set([
  'params',
  'graph',
  'parameters',
  'tags',
  'artifacts',
  'parameterArtifacts',
  'foreachStack',
  'parents',
  'origin',
  'flow',
  'runId',
  'step',
  'taskId',
]);

/** Every string in a JSON value, rewritten, except under the keys a reproduction reads back. */
function mapStrings(value: unknown, f: (text: string) => string): unknown {
  if (typeof value === 'string') {
    return f(value);
  }
  if (Array.isArray(value)) {
    return value.map((v) => mapStrings(v, f));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, KEPT.has(k) ? v : mapStrings(v, f)]));
  }
  return value;
}

export interface PublishContext {
  datastoreRoot: string;
  storeDir: string;
}

const scrubberFor = (record: RunRecord, context: PublishContext) =>
  publicationScrubber(
    record.source?.root ?? '/nonexistent',
    record.user,
    context.datastoreRoot,
    context.storeDir,
  );

export function publishRun(record: RunRecord, context: PublishContext): RunRecord {
  const scrub = scrubberFor(record, context);
  const out = mapStrings(record, scrub) as RunRecord;
  out.user = ANONYMOUS_USER;
  delete out.scheduler; // pid and host of the machine that ran it
  return out;
}

export function publishTask(task: TaskRecord, record: RunRecord, context: PublishContext): TaskRecord {
  const scrub = scrubberFor(record, context);
  const out = mapStrings(task, scrub) as TaskRecord;
  for (const attempt of out.attempts) {
    delete attempt.pid;
  }
  return out;
}
