// Reproduce without installing again: the original run's own node_modules, when it is still on this
// machine and the checks that record a run say it is exactly what the run used. npm ci is most of a
// small project's reproduction; listing and statting the packages the flow loads (their content
// hashes are remembered with the files' stats) is cheap.
//
// Reused only when all of these hold, else the caller installs afresh (npm ci):
// - the lockfile at the recorded place is the recorded bytes, and the run recorded no drift;
// - every locked package is installed at its locked version, integrity and resolved URL;
// - every package the flow can load has the content hash the run recorded (deep drift);
// - no locked package is a local tarball or folder (reproduce rewrites their lockfile entries).
import * as fs from 'fs';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { RunRecord } from '../../records';
import { driftOf, lockedPackages, sha256Of } from '../capture/lockfile';
import { PackageContents } from '../capture/package-contents';

export type InstalledMatch = { dir: string; packages: number } | { dir?: undefined; why: string };

/** The original project's directory when its node_modules can stand in for `npm ci`. */
export async function matchingInstall(record: RunRecord, objects: ObjectStore): Promise<InstalledMatch> {
  const lock = record.lockfile;
  if (!lock || lock.derived || lock.path === null || !record.source) {
    return { why: 'the run records no package-lock.json' };
  }
  if (!lock.contents || !objects.has(lock.contents.sha256)) {
    return { why: 'the run records no content hashes of its packages' };
  }
  const drifted = lock.drift.changed.length + lock.drift.missing.length + lock.drift.extraneous.length;
  if (!lock.drift.checked || drifted > 0) {
    return { why: 'the original run did not use exactly the locked packages' };
  }
  if ((lock.localPackages ?? []).length > 0) {
    // The clean project's lockfile points them at copies of their stored tarballs: another lockfile.
    return { why: 'a locked package comes from a local tarball or folder' };
  }
  const lockfilePath = path.join(record.source.root, ...lock.path.split('/'));
  const dir = path.dirname(lockfilePath);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(lockfilePath);
  } catch {
    return { why: `${lockfilePath} is gone` };
  }
  if (sha256Of(bytes) !== lock.sha256) {
    return { why: `${lockfilePath} changed since the run` };
  }
  const packages = lockedPackages(JSON.parse(bytes.toString('utf8')) as Parameters<typeof lockedPackages>[0]);
  const drift = await driftOf(dir, packages);
  if (!drift.checked) {
    return { why: `${dir} has no node_modules` };
  }
  if (drift.changed.length + drift.missing.length + drift.extraneous.length > 0) {
    return { why: `${path.join(dir, 'node_modules')} is not the lockfile's install any more` };
  }
  const recorded = JSON.parse(objects.getSync(lock.contents.sha256).toString('utf8')) as Record<
    string,
    string
  >;
  // Read-only use of the runs' content cache (saving would drop what other flows measured).
  const contents = PackageContents.forNodeModules(dir);
  for (const [key, sha256] of Object.entries(recorded)) {
    const locked = packages[key];
    const measured = locked && contents.measure(dir, key, locked.version, locked.integrity);
    if (measured?.sha256 !== sha256) {
      return { why: `${key} in ${dir}: its files changed since the run` };
    }
  }
  return { dir, packages: Object.keys(recorded).length };
}
