// What runs and reproductions leave outside the datastore, for `cellflow gc`: snapshot refs in the
// project's git repository whose run is gone, and the clean directories reproductions worked in.
import * as git from 'isomorphic-git';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { effectiveRunStatus, parseRunPathspec, type Datastore } from '../../datastore/datastore';
import { listDir, statOrUndefined } from '../../datastore/gc';
import { gitFs } from '../capture/git-fs';
import { gitdirOf } from '../capture/git-tree';

const SNAPSHOT_REFS = 'refs/cellflow/runs';
/** The prefix `reproduce` gives the temporary directories it makes (never a user's `--in DIR`). */
export const REPRODUCTION_DIR_PREFIX = 'cellflow-reproduce-';
/** A reproduction directory no record explains is left alone for a day: it may be one starting now. */
const ORPHAN_AGE_MS = 24 * 60 * 60 * 1000;

export interface SnapshotRefs {
  gitdir: string;
  refs: string[];
}

/** Snapshot refs (`refs/cellflow/runs/<Flow>/<runId>`) of the repository at `dir` whose run this datastore lacks. */
export async function staleSnapshotRefs(
  datastore: Datastore,
  dir: string,
): Promise<SnapshotRefs | undefined> {
  let gitdir: string;
  try {
    gitdir = gitdirOf(await git.findRoot({ fs: gitFs, filepath: dir }));
  } catch {
    return undefined; // not in a git repository (or a linked worktree, where cellflow writes no refs)
  }
  const names = await git.listRefs({ fs: gitFs, gitdir, filepath: SNAPSHOT_REFS });
  const refs = names
    .filter((name) => {
      const run = runOfRef(name);
      return run !== undefined && !hasRun(datastore, run.flow, run.runId);
    })
    .map((name) => `${SNAPSHOT_REFS}/${name}`)
    .sort();
  return { gitdir, refs };
}

export async function deleteRefs(found: SnapshotRefs): Promise<void> {
  for (const ref of found.refs) {
    await git.deleteRef({ fs: gitFs, gitdir: found.gitdir, ref });
  }
}

/**
 * Temporary directories of reproductions that ended (their run record says so) and of reproductions
 * that never got as far as a record (older than a day).
 */
export function leftoverReproductionDirs(datastore: Datastore, now = Date.now()): string[] {
  const tmp = fs.realpathSync(os.tmpdir());
  const explained = new Set<string>();
  const ended = new Set<string>();
  for (const flow of datastore.listFlows()) {
    for (const runId of datastore.listRuns(flow)) {
      let record;
      try {
        record = datastore.readRun(flow, runId);
      } catch {
        continue; // a run being created, or a damaged record (fsck's business): it explains no directory
      }
      if (record.origin?.kind !== 'reproduce' || !record.input) {
        continue;
      }
      const dir = reproductionDirOf(tmp, record.input);
      if (!dir) {
        continue;
      }
      explained.add(dir);
      if (effectiveRunStatus(record, now) !== 'running') {
        ended.add(dir);
      }
    }
  }
  const found = [...ended].filter((dir) => fs.existsSync(dir));
  for (const name of listDir(tmp)) {
    const dir = path.join(tmp, name);
    if (!name.startsWith(REPRODUCTION_DIR_PREFIX) || explained.has(dir)) {
      continue;
    }
    const stat = statOrUndefined(dir);
    if (stat?.isDirectory() && now - stat.mtimeMs > ORPHAN_AGE_MS) {
      found.push(dir);
    }
  }
  return found.sort();
}

/** The `cellflow-reproduce-*` directory under the temp folder that holds `input`, if any. */
function reproductionDirOf(tmp: string, input: string): string | undefined {
  const relative = path.relative(tmp, input);
  const first = relative.split(path.sep)[0];
  if (relative.startsWith('..') || path.isAbsolute(relative) || !first.startsWith(REPRODUCTION_DIR_PREFIX)) {
    return undefined;
  }
  return path.join(tmp, first);
}

/** The run a snapshot ref names (`<Flow>/<runId>` under refs/cellflow/runs), if it names one. */
function runOfRef(name: string): { flow: string; runId: string } | undefined {
  try {
    return parseRunPathspec(name);
  } catch {
    return undefined; // not a name cellflow gives a run: not ours to remove
  }
}

function hasRun(datastore: Datastore, flow: string, runId: string): boolean {
  try {
    return datastore.hasRun(flow, runId);
  } catch {
    return true; // the datastore cannot tell: leave the ref
  }
}
