// What the capture caches (stat-cache.ts, fs-memo.ts) share: a file's stat as the evidence that it is
// unchanged, git's rule for files too fresh to trust, and how a cache file is written.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { makeDirs } from '../../make-dirs';

/**
 * A path changed again within the file system's timestamp granularity after it was read could keep
 * its stat (git's "racy" case): anything changed this recently is read but not remembered.
 */
export const SETTLE_MS = 2000;

export interface StatSignature {
  /** Device, inode, mode, size, mtime and ctime (ns); null when the path does not exist. */
  text: string | null;
  /** The later of mtime and ctime, in ns since the epoch (0 when absent). */
  changedNs: bigint;
}

/** `follow`: stat the target of a symbolic link (as a read does) rather than the link itself. */
export function statSignature(file: string, follow = true): StatSignature {
  try {
    const stat = follow ? fs.statSync(file, { bigint: true }) : fs.lstatSync(file, { bigint: true });
    return {
      text: `${stat.dev}:${stat.ino}:${stat.mode}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`,
      changedNs: stat.mtimeNs > stat.ctimeNs ? stat.mtimeNs : stat.ctimeNs,
    };
  } catch {
    return { text: null, changedNs: 0n };
  }
}

/** Whether something last changed at `changedNs` is old enough to be remembered by its stat. */
export function settled(changedNs: bigint, settleMs: number): boolean {
  return BigInt(Date.now()) * 1_000_000n - changedNs >= BigInt(settleMs) * 1_000_000n;
}

/** Writes a cache file atomically; a failure (a full disk) only costs the next run a recomputation. */
export function writeCacheFile(file: string, value: unknown): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    makeDirs(path.dirname(file));
    fs.writeFileSync(temp, JSON.stringify(value));
    fs.renameSync(temp, file);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}
