// What `cellflow binder` checks before it writes anything: a run whose branch could not rebuild it
// is refused, each problem named with its fix (exit 2), rather than publishing a Binder that fails.
import type { Datastore } from '../../datastore/datastore';
import type { RunRecord, TaskRecord } from '../../records';
import type { DataInput } from '../../records';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
}

/**
 * Every reason the branch could not rebuild the run: a data input whose bytes were not stored (and
 * that the snapshot does not hold), a dependency neither on a registry nor stored, no lockfile and
 * no installable derived list. `inSnapshot` says whether a project path is in the snapshot's tree.
 */
export function binderProblems(
  datastore: Datastore,
  record: RunRecord,
  tasks: TaskRecord[],
  inSnapshot: (file: string) => boolean,
): string[] {
  return [...inputProblems(datastore, tasks, inSnapshot), ...dependencyProblems(datastore, record)];
}

function inputProblems(
  datastore: Datastore,
  tasks: TaskRecord[],
  inSnapshot: (file: string) => boolean,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const task of tasks) {
    for (const input of task.inputs ?? []) {
      if (input.kind === 'directory' || seen.has(input.path)) {
        continue;
      }
      seen.add(input.path);
      const problem = inputProblem(datastore, input, inSnapshot);
      if (problem) {
        problems.push(`data input ${input.path} (read by step ${task.step}) ${problem}`);
      }
    }
  }
  return problems;
}

function inputProblem(
  datastore: Datastore,
  input: DataInput,
  inSnapshot: (file: string) => boolean,
): string | undefined {
  if (input.path.startsWith('/')) {
    return 'is outside the project, so the branch cannot hold it. Fix: move it into the project, read it from there and run again.';
  }
  if (input.stored && datastore.objects.has(input.sha256)) {
    return undefined;
  }
  if (inSnapshot(input.path)) {
    return undefined;
  } // committed (or untracked) with the sources
  const why = input.stored
    ? 'its stored object is missing from the datastore'
    : (input.note ?? 'its bytes were not stored');
  return `cannot be restored: ${why}. Fix: run again with CELLFLOW_CAPTURE_DATA=all (files up to 256 MiB are stored), or commit the file.`;
}

function dependencyProblems(datastore: Datastore, record: RunRecord): string[] {
  const lockfile = record.lockfile;
  if (!lockfile) {
    return ['the run records no dependencies. Fix: commit a package-lock.json (npm install) and run again.'];
  }
  if (!datastore.objects.has(lockfile.sha256)) {
    return [
      `the run's lockfile (object ${lockfile.sha256.slice(0, 12)}) is missing from the datastore. Fix: run again.`,
    ];
  }
  let lock: { packages?: Record<string, LockEntry> };
  try {
    lock = JSON.parse(datastore.objects.getSync(lockfile.sha256).toString('utf8')) as typeof lock;
  } catch {
    return ["the run's lockfile is not JSON. Fix: repair package-lock.json (npm install) and run again."];
  }
  const problems: string[] = [];
  const stored = new Map((lockfile.localPackages ?? []).map((p) => [p.path, p]));
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.includes('node_modules/')) {
      continue;
    }
    const local = stored.get(key);
    if (local) {
      if (!datastore.objects.has(local.sha256)) {
        problems.push(
          `dependency ${key} (${local.resolved}) was stored as a tarball that is missing from the datastore. Fix: run again with the ${local.from} in place.`,
        );
      }
      continue;
    }
    const unpublished = entry.link || entry.resolved?.startsWith('file:');
    if (unpublished) {
      problems.push(
        `dependency ${key} (${entry.resolved ?? 'a linked folder'}) is on no registry and was not stored. Fix: publish it, or run again with it in place so its tarball is stored.`,
      );
    } else if (lockfile.derived && !entry.version) {
      problems.push(
        `dependency ${key} has no recorded version in the derived dependency list (the project has no package-lock.json). Fix: commit a package-lock.json (npm install) and run again.`,
      );
    }
  }
  return problems;
}
