// `cellflow fsck`: checks a datastore end to end. Every object is re-hashed against its name; every
// run and task record is parsed and every object it refers to must exist and be intact. A damaged
// object is reported with everything that refers to it (run, step, task, artifact), so a user knows
// which results can no longer be trusted.
import { createHash } from 'crypto';
import * as fs from 'fs';
import type { ArtifactIndex, RunRecord, TaskRecord } from '../records';
import type { StorageBackend } from './backend';
import type { Datastore } from './datastore';
import { formatPathspec, isName, runPathspecOf } from './pathspec';

/** One place that refers to an object: `Flow/run/step/task` and what the object is there. */
export interface ObjectReference {
  pathspec: string;
  /** e.g. `artifact 'model'`, `parameter 'alpha'`, `compiled module (JavaScript)`. */
  role: string;
}

export type ObjectProblem = 'corrupt' | 'missing' | 'unreadable';

export interface DamagedObject {
  sha256: string;
  problem: ObjectProblem;
  detail: string;
  references: ObjectReference[];
}

/** A run.json or task.json that cannot be read as a record. */
export interface DamagedRecord {
  file: string;
  pathspec: string;
  detail: string;
}

export interface FsckReport {
  root: string;
  objects: number;
  bytes: number;
  runs: number;
  tasks: number;
  damagedObjects: DamagedObject[];
  damagedRecords: DamagedRecord[];
  /** Runs with a damaged record or a record that refers to a damaged object, sorted. */
  affectedRuns: string[];
  /** Files under objects/ that are not objects (left-over temp files of crashed writers, strays). */
  strayFiles: string[];
  /**
   * Runs whose summary in their flow's run index (run-index.ts) differs from their record: `runs`
   * would show them wrongly. Not damage (the records are right); `--rebuild-index` rewrites it.
   */
  staleIndex: string[];
  /** Flows whose run index was rebuilt from their records (with `rebuildIndex`). */
  rebuiltIndex: string[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const READ_CHUNK = 1 << 20;

export async function fsckDatastore(
  datastore: Datastore,
  options: { rebuildIndex?: boolean } = {},
): Promise<FsckReport> {
  const backend = datastore.backend;
  const { present, bytes, strayFiles, corrupt } = await scanObjects(datastore);
  const references = new Map<string, ObjectReference[]>();
  const refer = (sha256: unknown, ref: ObjectReference) => {
    if (typeof sha256 !== 'string') {
      return;
    }
    const list = references.get(sha256) ?? [];
    list.push(ref);
    references.set(sha256, list);
  };
  const damagedRecords: DamagedRecord[] = [];
  let runs = 0;
  let tasks = 0;

  const staleIndex: string[] = [];
  const rebuiltIndex: string[] = [];
  for (const flow of await subdirs(backend, 'flows')) {
    const flowRuns: RunRecord[] = [];
    for (const runId of await subdirs(backend, `flows/${flow}`)) {
      const runPrefix = `flows/${flow}/${runId}`;
      const runSpec = formatPathspec({ flow, runId });
      const runBlob = await backend.read(`${runPrefix}/run.json`);
      if (runBlob) {
        runs++;
        const run = readRecord<RunRecord>(
          runBlob.data,
          datastore.describeKey(`${runPrefix}/run.json`),
          runSpec,
          damagedRecords,
          isRunRecord,
        );
        if (run) {
          flowRuns.push(run);
          for (const [sha, role] of runReferences(run)) {
            refer(sha, { pathspec: runSpec, role });
          }
        }
      }
      for (const step of await subdirs(backend, runPrefix)) {
        for (const taskId of await subdirs(backend, `${runPrefix}/${step}`)) {
          const taskKey = `${runPrefix}/${step}/${taskId}/task.json`;
          const taskBlob = await backend.read(taskKey);
          if (!taskBlob) {
            continue;
          }
          tasks++;
          const taskSpec = formatPathspec({ flow, runId, step, taskId });
          const task = readRecord<TaskRecord>(
            taskBlob.data,
            datastore.describeKey(taskKey),
            taskSpec,
            damagedRecords,
            isTaskRecord,
          );
          if (!task) {
            continue;
          }
          for (const [name, ref] of Object.entries(task.artifacts)) {
            refer(ref?.sha256, { pathspec: taskSpec, role: `artifact '${name}'` });
          }
        }
      }
    }
    staleIndex.push(...(await datastore.runIndex.staleRuns(flow, flowRuns)));
    if (options.rebuildIndex) {
      await datastore.runIndex.rebuild(flow, flowRuns);
      rebuiltIndex.push(flow);
    }
  }

  const damagedObjects: DamagedObject[] = [];
  for (const [sha256, detail] of corrupt) {
    damagedObjects.push({
      sha256,
      problem: detail.startsWith('cannot be read') ? 'unreadable' : 'corrupt',
      detail,
      references: references.get(sha256) ?? [],
    });
  }
  for (const [sha256, refs] of references) {
    if (present.has(sha256) || corrupt.has(sha256)) {
      continue;
    }
    const detail = SHA256_HEX.test(sha256)
      ? 'is missing from the datastore'
      : `is not a sha256 object name (${JSON.stringify(sha256)})`;
    damagedObjects.push({ sha256, problem: 'missing', detail, references: refs });
  }
  damagedObjects.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));

  const affected = new Set<string>();
  for (const object of damagedObjects) {
    for (const ref of object.references) {
      affected.add(runPathspecOf(ref.pathspec));
    }
  }
  for (const record of damagedRecords) {
    affected.add(runPathspecOf(record.pathspec));
  }

  return {
    root: datastore.root,
    objects: present.size + corrupt.size,
    bytes,
    runs,
    tasks,
    damagedObjects,
    damagedRecords,
    affectedRuns: [...affected].sort(),
    strayFiles,
    staleIndex,
    rebuiltIndex,
  };
}

/** The objects a run record refers to, with their role. */
function runReferences(run: RunRecord): [unknown, string][] {
  const refs: [unknown, string][] = [];
  if (run.module) {
    refs.push([run.module.typescriptSha256, 'compiled module (TypeScript)']);
    refs.push([run.module.javascriptSha256, 'compiled module (JavaScript)']);
  }
  for (const [name, ref] of Object.entries(run.parameterArtifacts ?? ({} as ArtifactIndex))) {
    refs.push([ref?.sha256, `parameter '${name}'`]);
  }
  // The reproducibility layer (src/runtime/repro) stores the lockfile and the exact sources as objects.
  const lockfile = run.lockfile as { sha256?: unknown } | null | undefined;
  if (isObject(lockfile) && lockfile.sha256 !== undefined) {
    refs.push([lockfile.sha256, 'lockfile']);
  }
  const source = run.source as { files?: unknown } | null | undefined;
  if (isObject(source) && Array.isArray(source.files)) {
    for (const file of source.files as { sha256?: unknown; path?: unknown }[]) {
      if (isObject(file)) {
        refs.push([file.sha256, `source file ${JSON.stringify(file.path)}`]);
      }
    }
  }
  return refs;
}

interface ObjectScan {
  present: Set<string>;
  bytes: number;
  strayFiles: string[];
  /** sha256 → what is wrong with it. */
  corrupt: Map<string, string>;
}

async function scanObjects(datastore: Datastore): Promise<ObjectScan> {
  const scan: ObjectScan = { present: new Set(), bytes: 0, strayFiles: [], corrupt: new Map() };
  for (const { key } of await datastore.backend.listAll('objects')) {
    const relative = key.slice('objects/'.length);
    const [fan, name, ...deeper] = relative.split('/');
    // objects/.tmp holds writers' temp files: only ever partial objects, never referenced.
    if (
      deeper.length ||
      !name ||
      !/^[0-9a-f]{2}$/.test(fan) ||
      !SHA256_HEX.test(name) ||
      !name.startsWith(fan)
    ) {
      scan.strayFiles.push(relative);
      continue;
    }
    try {
      const { sha256, bytes } = await hashObject(datastore, key);
      scan.bytes += bytes;
      if (sha256 === name) {
        scan.present.add(name);
      } else {
        scan.corrupt.set(name, `is corrupt: its content hashes to ${sha256}`);
      }
    } catch (error) {
      if ((error as Error).name === 'StorageConfigError') {
        throw error;
      }
      scan.corrupt.set(name, `cannot be read: ${(error as Error).message}`);
    }
  }
  scan.strayFiles.sort();
  return scan;
}

/** A local object is hashed from its file in chunks (never whole in memory); a remote one as read. */
async function hashObject(datastore: Datastore, key: string): Promise<{ sha256: string; bytes: number }> {
  if (datastore.isLocal) {
    return hashFile(datastore.localPath(key));
  }
  const blob = await datastore.backend.read(key);
  if (!blob) {
    throw new Error('it disappeared while being checked');
  }
  return { sha256: createHash('sha256').update(blob.data).digest('hex'), bytes: blob.data.byteLength };
}

/** Hashes a file in fixed-size chunks so a multi-gigabyte object never sits in memory. */
function hashFile(file: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  const fd = fs.openSync(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, READ_CHUNK, null);
      if (n === 0) {
        break;
      }
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

function readRecord<T>(
  data: Buffer,
  file: string,
  pathspec: string,
  damaged: DamagedRecord[],
  valid: (value: unknown) => string | undefined,
): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (error) {
    damaged.push({ file, pathspec, detail: `cannot be read as JSON: ${(error as Error).message}` });
    return undefined;
  }
  const problem = valid(value);
  if (problem) {
    damaged.push({ file, pathspec, detail: problem });
    return undefined;
  }
  return value as T;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Only what fsck relies on: a run record is an object with a status. */
function isRunRecord(value: unknown): string | undefined {
  if (!isObject(value)) {
    return 'is not a JSON object';
  }
  if (typeof value.status !== 'string') {
    return 'has no status';
  }
  if (value.parameterArtifacts !== undefined && !isObject(value.parameterArtifacts)) {
    return 'has a malformed parameterArtifacts index';
  }
  return undefined;
}

/** A task record must carry its artifact index: it is the only way to its results. */
function isTaskRecord(value: unknown): string | undefined {
  if (!isObject(value)) {
    return 'is not a JSON object';
  }
  if (typeof value.status !== 'string') {
    return 'has no status';
  }
  if (!isObject(value.artifacts)) {
    return 'has no artifact index';
  }
  for (const [name, ref] of Object.entries(value.artifacts)) {
    if (!isObject(ref) || typeof ref.sha256 !== 'string') {
      return `has a malformed entry for artifact '${name}'`;
    }
  }
  return undefined;
}

/** Folders whose names are names (pathspec.ts), as every datastore listing skips the rest. */
async function subdirs(backend: StorageBackend, prefix: string): Promise<string[]> {
  return (await backend.list(prefix)).folders.filter(isName).sort();
}
