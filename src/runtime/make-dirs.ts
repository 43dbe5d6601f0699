// `mkdir -p` that cannot hang. Node 20's own `mkdirSync(dir, { recursive: true })` loops forever
// when a filesystem answers ENOENT for a folder whose parent exists (procfs and sysfs do:
// `cellflow card RUN --out /proc/nope/x.html` hung the CLI). Here each level is tried once and
// such a refusal is an error like any other.
import * as fs from 'fs';
import * as path from 'path';

/** Creates `dir` and its missing parents; returns the first folder it created, as Node's does. */
export function makeDirs(dir: string, mode?: fs.Mode): string | undefined {
  const absolute = path.resolve(dir);
  if (fs.statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) {
    return undefined;
  }
  const missing: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    const stat = fs.statSync(current, { throwIfNoEntry: false });
    if (stat) {
      break;
    }
    missing.push(current);
    if (path.dirname(current) === current) {
      break;
    }
  }
  for (const folder of missing.reverse()) {
    mkdirOnce(folder, mode);
  }
  // Nothing was missing: another process made the folder since the first check (the scheduler and a
  // task thread race for a task's folder), or `absolute` is not a folder, which mkdir says (EEXIST).
  if (missing.length === 0 && !fs.statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) {
    fs.mkdirSync(absolute, { mode });
  }
  return missing[0];
}

function mkdirOnce(folder: string, mode: fs.Mode | undefined): void {
  try {
    fs.mkdirSync(folder, { mode });
  } catch (error) {
    // Another process made it between our stat and mkdir: that is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  }
}
