// `cellflow gc`'s sweep of the object store: removes the objects no record mentions any more (runs
// deleted by hand, the old objects of a re-saved cache entry), safely beside runs that are writing.
//
// The hazard is an object a run has written (or found already stored) but not yet named in a record:
// a task writes its artifacts first and its task.json last. Three rules close it:
//  - only objects older than a cutoff are candidates: gc's start minus a grace period, and never later
//    than the creation of any live run, so everything a run in flight wrote is newer;
//  - the object store refreshes the mtime of an object it finds already stored (`ObjectStore.freshen`),
//    so reusing an old object makes it new;
//  - a candidate is first renamed into objects/.trash/ and its mtime read again there: refreshed in
//    the meantime, it goes back; refreshed after the rename, the writer finds it gone and writes it anew.
import * as fs from 'fs';
import * as path from 'path';
import type { RunRecord } from '../records';
import { effectiveRunStatus, type Datastore } from './datastore';
import { makeDirs } from '../make-dirs';

export interface GcOptions {
  dryRun: boolean;
  /** Objects younger than this are never removed (as git's prune expiry). */
  graceMs: number;
  now?: number;
}

export interface ObjectSweep {
  /** Objects removed (or, with dryRun, that would be). */
  removed: { sha256: string; bytes: number }[];
  bytes: number;
  /** Objects kept because some record names them. */
  referenced: number;
  /** Unreferenced objects kept because they are younger than the cutoff. */
  young: number;
  /** Left-over temp files of interrupted writes, removed. */
  tempFiles: number;
  cutoff: string;
}

const SHA256 = /\b[0-9a-f]{64}\b/g;
const SHA256_NAME = /^[0-9a-f]{64}$/;
/** mtimes and createdAt are compared across clocks that round differently. */
const CLOCK_MARGIN_MS = 2000;
const TRASH = '.trash';
const TEMP = '.tmp';

export function sweepObjects(datastore: Datastore, options: GcOptions): ObjectSweep {
  const now = options.now ?? Date.now();
  const cutoff = cutoffTime(datastore, now, options.graceMs);
  const referenced = referencedObjects(datastore.root);
  const sweep: ObjectSweep = {
    removed: [],
    bytes: 0,
    referenced: 0,
    young: 0,
    tempFiles: 0,
    cutoff: new Date(cutoff).toISOString(),
  };
  const objects = datastore.objects.root;
  for (const fan of listDir(objects)) {
    if (fan === TRASH) {
      continue;
    }
    if (fan === TEMP) {
      sweep.tempFiles += sweepTempFiles(path.join(objects, TEMP), cutoff, options.dryRun);
      continue;
    }
    for (const name of listDir(path.join(objects, fan))) {
      if (!SHA256_NAME.test(name)) {
        continue;
      } // fsck reports strays; gc only removes what it understands
      if (referenced.has(name)) {
        sweep.referenced++;
        continue;
      }
      const file = path.join(objects, fan, name);
      const stat = statOrUndefined(file);
      if (!stat) {
        continue;
      }
      if (stat.mtimeMs >= cutoff) {
        sweep.young++;
        continue;
      }
      if (options.dryRun || removeUnlessRefreshed(objects, file, name, cutoff)) {
        sweep.removed.push({ sha256: name, bytes: stat.size });
        sweep.bytes += stat.size;
      }
    }
  }
  return sweep;
}

/** gc's start minus the grace period, and no later than the creation of any live run. */
function cutoffTime(datastore: Datastore, now: number, graceMs: number): number {
  let cutoff = now - graceMs;
  for (const flow of datastore.listFlows()) {
    for (const runId of datastore.listRuns(flow)) {
      let record: RunRecord;
      try {
        record = datastore.readRun(flow, runId);
      } catch {
        continue; // a run being created (or a damaged record, fsck's business): its objects are new
      }
      if (effectiveRunStatus(record, now) === 'running') {
        cutoff = Math.min(cutoff, Date.parse(record.createdAt));
      }
    }
  }
  return cutoff - CLOCK_MARGIN_MS;
}

/**
 * Every object name mentioned in any JSON file of the datastore outside objects/: run and task
 * records, caches, prediction logs. Reading names rather than known fields keeps gc safe when a record
 * gains a new kind of reference: an object some file names is never removed.
 */
function referencedObjects(root: string): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of listDirents(dir)) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (dir === root && (entry.name === 'objects' || entry.name === 'cards' || entry.name === 'index')) {
          continue;
        }
        visit(file);
      } else if (/\.(json|jsonl|ndjson)$/.test(entry.name)) {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          continue; // replaced or removed while we looked: its successor is newer than the cutoff
        }
        for (const match of text.matchAll(SHA256)) {
          names.add(match[0]);
        }
      }
    }
  };
  visit(root);
  return names;
}

function removeUnlessRefreshed(objects: string, file: string, name: string, cutoff: number): boolean {
  const trashDir = path.join(objects, TRASH);
  makeDirs(trashDir);
  const trashed = path.join(trashDir, `${name}.${process.pid}`);
  try {
    fs.renameSync(file, trashed);
  } catch {
    return false; // gone already (another gc)
  }
  const stat = statOrUndefined(trashed);
  if (stat && stat.mtimeMs >= cutoff) {
    // A writer reused it between our look and the rename: put it back (or keep the copy it wrote).
    try {
      fs.linkSync(trashed, file);
    } catch {
      // EEXIST: the writer already wrote it anew; identical bytes, nothing lost
    }
    fs.rmSync(trashed, { force: true });
    return false;
  }
  fs.rmSync(trashed, { force: true });
  return true;
}

function sweepTempFiles(dir: string, cutoff: number, dryRun: boolean): number {
  let count = 0;
  for (const name of listDir(dir)) {
    const file = path.join(dir, name);
    const stat = statOrUndefined(file);
    if (!stat || stat.mtimeMs >= cutoff) {
      continue;
    } // a write in progress
    if (!dryRun) {
      fs.rmSync(file, { force: true });
    }
    count++;
  }
  return count;
}

export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function listDirents(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

export function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
