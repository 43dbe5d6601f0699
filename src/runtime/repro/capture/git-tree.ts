// Writing git objects beside a repository's history without touching its working tree, index,
// stash or branches: blobs, trees and commits go into .git/objects and one ref is written.
import { createHash } from 'crypto';
import * as fs from 'fs';
import { gitFs } from './git-fs';
import * as git from 'isomorphic-git';
import * as path from 'path';

export interface TreeChange {
  /** Path relative to the repository root, '/'-separated. */
  path: string;
  /** Blob to put there, or null to remove the path. */
  oid: string | null;
  mode?: '100644' | '100755';
}

/**
 * The tree `base` with `changes` applied. Only the trees along changed paths are rewritten, so the
 * cost does not grow with the size of the repository.
 */
export async function overlayTree(
  gitdir: string,
  base: string | null,
  changes: TreeChange[],
): Promise<string> {
  const entries = base ? (await git.readTree({ fs: gitFs, gitdir, oid: base })).tree : [];
  const byName = new Map(entries.map((entry) => [entry.path, entry]));
  const here = changes.filter((change) => !change.path.includes('/'));
  const below = new Map<string, TreeChange[]>();
  for (const change of changes) {
    const slash = change.path.indexOf('/');
    if (slash < 0) {
      continue;
    }
    const dir = change.path.slice(0, slash);
    below.set(dir, [...(below.get(dir) ?? []), { ...change, path: change.path.slice(slash + 1) }]);
  }
  for (const change of here) {
    if (change.oid === null) {
      byName.delete(change.path);
    } else {
      byName.set(change.path, {
        mode: change.mode ?? '100644',
        path: change.path,
        oid: change.oid,
        type: 'blob',
      });
    }
  }
  for (const [dir, nested] of below) {
    const existing = byName.get(dir);
    const subtree = await overlayTree(gitdir, existing?.type === 'tree' ? existing.oid : null, nested);
    const empty = (await git.readTree({ fs: gitFs, gitdir, oid: subtree })).tree.length === 0;
    if (empty) {
      byName.delete(dir);
    } else {
      byName.set(dir, { mode: '040000', path: dir, oid: subtree, type: 'tree' });
    }
  }
  return git.writeTree({ fs: gitFs, gitdir, tree: [...byName.values()] });
}

/** The id git gives a blob with these bytes: sha1 of `blob <length>\0<bytes>`. */
export function blobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Stores `bytes` as a blob unless the repository already has it, and returns its id. isomorphic-git's
 * writeBlob deflates the content before it looks for an existing object; a run's package-lock.json
 * (hundreds of KB, normally unchanged since HEAD) paid a pure-JS deflate on every run.
 * `atBase` is the blob id the base tree has at the same path, if any: packed objects are not files.
 */
export async function writeBlobOnce(gitdir: string, bytes: Uint8Array, atBase?: string): Promise<string> {
  const oid = blobOid(bytes);
  if (oid === atBase || fs.existsSync(path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2)))) {
    return oid;
  }
  return git.writeBlob({ fs: gitFs, gitdir, blob: bytes });
}

/** The id of what `tree` holds at `filepath` ('/'-separated), or undefined when nothing is there. */
export async function oidAtPath(
  gitdir: string,
  tree: string | null,
  filepath: string,
  cache: object,
): Promise<string | undefined> {
  let oid: string | undefined = tree ?? undefined;
  for (const name of filepath.split('/')) {
    if (oid === undefined) {
      return undefined;
    }
    const entries: git.TreeEntry[] = (await git.readTree({ fs: gitFs, gitdir, oid, cache })).tree;
    oid = entries.find((entry) => entry.path === name)?.oid;
  }
  return oid;
}

/** Every file of a commit's tree: path → { oid, mode }. */
export async function listTree(
  gitdir: string,
  commit: string,
): Promise<Map<string, { oid: string; mode: string }>> {
  const files = new Map<string, { oid: string; mode: string }>();
  const visit = async (oid: string, prefix: string) => {
    for (const entry of (await git.readTree({ fs: gitFs, gitdir, oid })).tree) {
      const full = prefix + entry.path;
      if (entry.type === 'tree') {
        await visit(entry.oid, `${full}/`);
      } else if (entry.type === 'blob') {
        files.set(full, { oid: entry.oid, mode: entry.mode });
      }
    }
  };
  const { commit: object } = await git.readCommit({ fs: gitFs, gitdir, oid: commit });
  await visit(object.tree, '');
  return files;
}

export const CELLFLOW_AUTHOR = { name: 'cellflow', email: 'cellflow@localhost' };

/**
 * The git directory of the repository rooted at `root`: `.git`, or where a `.git` file points (a
 * submodule). A linked worktree is refused: its objects and refs live in a common directory that
 * isomorphic-git does not follow, so it would write them where git never looks.
 */
export function gitdirOf(root: string): string {
  const dotgit = path.join(root, '.git');
  if (fs.statSync(dotgit).isDirectory()) {
    return dotgit;
  }
  const match = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotgit, 'utf8'));
  if (!match) {
    throw new Error(`${dotgit} is neither a git directory nor a gitdir file`);
  }
  const gitdir = path.resolve(root, match[1].trim());
  if (fs.existsSync(path.join(gitdir, 'commondir'))) {
    throw new Error(
      `${root} is a linked git worktree, which isomorphic-git cannot write to: the sources are recorded in the datastore only`,
    );
  }
  return gitdir;
}
