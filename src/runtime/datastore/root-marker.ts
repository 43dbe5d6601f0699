// A datastore folder ignores itself in git from the moment it exists: it sits at the project root by
// default, and a run's objects (data, tarballs) must never end up committed by a `git add .`.
import * as fs from 'fs';
import * as path from 'path';
import { makeDirs } from '../make-dirs';

const claimed = new Set<string>();

/** Creates `root` (if needed) with a `.gitignore` of `*`; once per root and process. */
export function claimDatastoreRoot(root: string): void {
  if (claimed.has(root)) {
    return;
  }
  makeDirs(root);
  try {
    fs.writeFileSync(path.join(root, '.gitignore'), '*\n', { flag: 'wx' });
  } catch (error) {
    // Already there (a user may have edited it: theirs wins); other errors surface on the real write.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      return;
    }
  }
  claimed.add(root);
}
