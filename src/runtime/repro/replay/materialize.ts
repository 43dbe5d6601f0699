// Lays a recorded run's sources out in a clean directory: its code package (every file of the
// snapshot, from the datastore alone), else the whole snapshot commit when its git repository is at
// hand, else the sources stored in the datastore (notebook, compiled module, package.json, lockfile,
// local modules). Then the data inputs its tasks read are restored from their stored objects.
import * as fs from 'fs';
import * as git from 'isomorphic-git';
import * as path from 'path';
import type { Datastore } from '../../datastore/datastore';
import { UserInputError } from '../../errors';
import type { RunRecord } from '../../records';
import { extractCodePackage } from '../capture/code-package';
import type { DataInput } from '../../records';
import { gitdirOf, listTree } from '../capture/git-tree';
import { sha256Of } from '../capture/lockfile';
import { findGitRoot } from '../capture/source';
import { makeDirs } from '../../make-dirs';

export interface Materialized {
  /** The clean directory: what source.root was. */
  dir: string;
  /** The notebook (or .flow.ts) to run, inside dir. */
  input: string;
  /** The directory holding package.json / package-lock.json, inside dir. */
  projectDir: string;
  from: 'code package' | 'git' | 'datastore';
  /** The repository the snapshot came from, when from git. */
  gitRoot?: string;
}

/** Refuses a directory that exists and is not empty: a reproduction starts from nothing. */
export function prepareCleanDir(dir: string): void {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new UserInputError(`${dir}: the directory is not empty; reproduce needs a clean directory.`);
  }
  makeDirs(dir);
}

/**
 * Puts every stored data input of `tasks` back at its recorded place under `dir` (the recorded
 * project root). Returns a warning for each input that is not as recorded and cannot be restored.
 */
export function restoreInputs(
  datastore: Datastore,
  inputs: DataInput[],
  dir: string,
): { restored: number; warnings: string[] } {
  const warnings: string[] = [];
  let restored = 0;
  const done = new Set<string>();
  for (const input of inputs) {
    if (done.has(input.path)) {
      continue;
    }
    done.add(input.path);
    const outside = path.isAbsolute(input.path);
    const target = outside ? input.path : path.resolve(dir, ...input.path.split('/'));
    // A record is data: a relative path that climbs out of the project is not followed.
    if (!outside && !target.startsWith(path.resolve(dir) + path.sep)) {
      continue;
    }
    if (input.kind === 'directory') {
      if (!outside) {
        makeDirs(target);
      }
      continue;
    }
    const current = fs.existsSync(target) ? sha256Of(fs.readFileSync(target)) : undefined;
    if (current === input.sha256) {
      continue;
    }
    if (input.stored && !outside && datastore.objects.has(input.sha256)) {
      makeDirs(path.dirname(target));
      fs.writeFileSync(target, datastore.objects.getSync(input.sha256, `input ${input.path}`));
      restored += 1;
      continue;
    }
    const why = outside
      ? 'it is outside the project, so it is read where it is'
      : input.stored
        ? 'its stored copy is missing from the datastore'
        : (input.note ?? 'its bytes were not stored');
    warnings.push(
      `input ${input.path} ${current ? 'differs from' : 'is missing, unlike'} what the run read (sha256 ${input.sha256.slice(0, 12)}); ${why}`,
    );
  }
  return { restored, warnings };
}

/** A repository that holds `commit`: the recorded root, else the one around `cwd` (a Binder clone). */
async function repositoryWith(commit: string, candidates: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    const root = fs.existsSync(candidate) ? await findGitRoot(candidate) : undefined;
    if (!root) {
      continue;
    }
    try {
      await git.readCommit({ fs, gitdir: gitdirOf(root), oid: commit });
      return root;
    } catch {
      // not in this repository
    }
  }
  return undefined;
}

export async function materializeRun(
  datastore: Datastore,
  record: RunRecord,
  dir: string,
  cwd: string = process.cwd(),
): Promise<Materialized> {
  const source = record.source;
  if (!source) {
    throw new UserInputError(
      `${record.flow}/${record.runId}: the run records no sources (it ran before cellflow recorded them); it cannot be reproduced.`,
    );
  }
  prepareCleanDir(dir);
  const lockfilePath = source.files.find((f) => f.role === 'lockfile')?.path;
  const packagePath = source.files.find((f) => f.role === 'package.json')?.path;
  const projectRel = path.posix.dirname(lockfilePath ?? packagePath ?? source.input);
  const result = (from: Materialized['from'], gitRoot?: string): Materialized => ({
    dir,
    input: path.join(dir, ...source.input.split('/')),
    projectDir: path.join(dir, ...projectRel.split('/')),
    from,
    ...(gitRoot ? { gitRoot } : {}),
  });

  if (record.code && datastore.objects.has(record.code.sha256)) {
    extractCodePackage(datastore.objects, record.code.sha256, dir);
    return result('code package');
  }
  const commit = source.git?.snapshot.commit;
  const gitRoot = commit ? await repositoryWith(commit, [source.root, cwd]) : undefined;
  if (commit && gitRoot) {
    const gitdir = gitdirOf(gitRoot);
    for (const [file, entry] of await listTree(gitdir, commit)) {
      const target = path.join(dir, ...file.split('/'));
      makeDirs(path.dirname(target));
      const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid });
      if (entry.mode === '120000') {
        fs.symlinkSync(Buffer.from(blob).toString('utf8'), target);
      } else {
        fs.writeFileSync(target, blob, { mode: entry.mode === '100755' ? 0o755 : 0o644 });
      }
    }
    return result('git', gitRoot);
  }
  for (const file of source.files) {
    const target = path.join(dir, ...file.path.split('/'));
    makeDirs(path.dirname(target));
    fs.writeFileSync(
      target,
      datastore.objects.getSync(file.sha256, `${record.flow}/${record.runId} source ${file.path}`),
    );
  }
  return result('datastore');
}
