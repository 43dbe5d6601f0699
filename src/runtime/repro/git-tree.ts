// Writing git objects beside a repository's history without touching its working tree, index,
// stash or branches: blobs, trees and commits go into .git/objects and one ref is written.
import * as fs from 'fs';
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
  const entries = base ? (await git.readTree({ fs, gitdir, oid: base })).tree : [];
  const byName = new Map(entries.map((entry) => [entry.path, entry]));
  const here = changes.filter((change) => !change.path.includes('/'));
  const below = new Map<string, TreeChange[]>();
  for (const change of changes) {
    const slash = change.path.indexOf('/');
    if (slash < 0) continue;
    const dir = change.path.slice(0, slash);
    below.set(dir, [...(below.get(dir) ?? []), { ...change, path: change.path.slice(slash + 1) }]);
  }
  for (const change of here) {
    if (change.oid === null) byName.delete(change.path);
    else
      byName.set(change.path, {
        mode: change.mode ?? '100644',
        path: change.path,
        oid: change.oid,
        type: 'blob',
      });
  }
  for (const [dir, nested] of below) {
    const existing = byName.get(dir);
    const subtree = await overlayTree(gitdir, existing?.type === 'tree' ? existing.oid : null, nested);
    const empty = (await git.readTree({ fs, gitdir, oid: subtree })).tree.length === 0;
    if (empty) byName.delete(dir);
    else byName.set(dir, { mode: '040000', path: dir, oid: subtree, type: 'tree' });
  }
  return git.writeTree({ fs, gitdir, tree: [...byName.values()] });
}

/** Every file of a commit's tree: path → { oid, mode }. */
export async function listTree(
  gitdir: string,
  commit: string,
): Promise<Map<string, { oid: string; mode: string }>> {
  const files = new Map<string, { oid: string; mode: string }>();
  const visit = async (oid: string, prefix: string) => {
    for (const entry of (await git.readTree({ fs, gitdir, oid })).tree) {
      const full = prefix + entry.path;
      if (entry.type === 'tree') await visit(entry.oid, `${full}/`);
      else if (entry.type === 'blob') files.set(full, { oid: entry.oid, mode: entry.mode });
    }
  };
  const { commit: object } = await git.readCommit({ fs, gitdir, oid: commit });
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
  if (fs.statSync(dotgit).isDirectory()) return dotgit;
  const match = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotgit, 'utf8'));
  if (!match) throw new Error(`${dotgit} is neither a git directory nor a gitdir file`);
  const gitdir = path.resolve(root, match[1].trim());
  if (fs.existsSync(path.join(gitdir, 'commondir')))
    throw new Error(
      `${root} is a linked git worktree, which isomorphic-git cannot write to: the sources are recorded in the datastore only`,
    );
  return gitdir;
}
