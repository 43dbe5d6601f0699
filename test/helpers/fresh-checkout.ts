// What a fresh clone of this working tree holds (tracked files plus untracked ones that are not
// ignored, so uncommitted work is tested too), and PATHs restricted to named tools, for the
// packaging tests.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO = path.resolve(__dirname, '..', '..');

/**
 * Copies the checkout's files into `dest`. With `afterNpmCi`, also what `npm ci` leaves there:
 * `node_modules` as hard links (files are never rewritten in place by npm or the builds, and
 * copying 600 MB would dominate the test) and `dist/` as a copy (with its incremental build info,
 * so the `prepare` build the Python build hook's `npm install` triggers has nothing left to do).
 */
export function freshCheckout(dest: string, options: { afterNpmCi?: boolean } = {}): string {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    const from = path.join(REPO, file);
    if (!fs.existsSync(from)) {
      continue;
    } // deleted in the working tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, file));
    fs.chmodSync(path.join(dest, file), fs.statSync(from).mode);
  }
  if (options.afterNpmCi) {
    execFileSync('cp', ['-al', path.join(REPO, 'node_modules'), path.join(dest, 'node_modules')]);
    // The one file npm rewrites in place: give the copy its own.
    const hidden = path.join(dest, 'node_modules', '.package-lock.json');
    if (fs.existsSync(hidden)) {
      const bytes = fs.readFileSync(hidden);
      fs.rmSync(hidden);
      fs.writeFileSync(hidden, bytes);
    }
    fs.cpSync(path.join(REPO, 'dist'), path.join(dest, 'dist'), { recursive: true });
  }
  return dest;
}

/** A directory holding only links to the named commands (found on the current PATH), for a PATH. */
export function toolsDir(dir: string, names: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    const found = (process.env.PATH ?? '')
      .split(path.delimiter)
      .map((d) => path.join(d, name))
      .find((f) => fs.existsSync(f));
    if (!found) {
      throw new Error(`${name} is not on PATH`);
    }
    fs.symlinkSync(fs.realpathSync(found), path.join(dir, name));
  }
  return dir;
}

/** Whether `name` resolves on `PATH` (as `command -v` would). */
export function onPath(name: string, PATH: string): boolean {
  return PATH.split(path.delimiter).some((d) => fs.existsSync(path.join(d, name)));
}
