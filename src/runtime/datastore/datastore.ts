// The datastore: DESIGN's layout (layout.ts) of run records, task records, logs and content-addressed
// objects over a storage backend (the local folder or an S3 bucket, backend.ts). Every layer reaches
// the datastore through this module; it re-exports the pathspec grammar, liveness and errors.
//   objects/<sha[0:2]>/<sha>
//   flows/<Flow>/<runId>/run.json
//   flows/<Flow>/<runId>/<step>/<taskId>/task.json and <attempt>.{stdout,stderr}
import * as fs from 'fs';
import * as path from 'path';
import { decodeArtifact, encodeArtifact } from '../codecs/codecs';
import type { ArtifactRef, DeploymentRecord, RunRecord, TaskRecord } from '../records';
import { PreconditionFailedError, type StorageBackend, type WriteOptions } from './backend';
import * as layout from './layout';
import { LocalBackend } from './local-backend';
import { DatastoreFullError, isDiskFull, ObjectStore } from './objects';
import { checkName, isName, NotFoundError } from './pathspec';
import { newRunId } from './run-ids';
import { isFinal, RunIndex } from './run-index';
import { makeDirs } from '../make-dirs';

export { DatastoreFullError, IntegrityError } from './objects';
export { PreconditionFailedError, StorageConfigError, StorageError } from './backend';
export type { StorageBackend } from './backend';
export {
  checkName,
  formatPathspec,
  NotFoundError,
  parsePathspec,
  parseRunPathspec,
  parseTaskPathspec,
  PathspecError,
  resolveTaskPathspec,
  runPathspecOf,
  type Pathspec,
} from './pathspec';
export { effectiveRunStatus, HEARTBEAT_STALE_MS, heartbeatStaleMs } from './liveness';
export { writeFileAtomic, writeJsonAtomic } from './atomic-write';
export { RunIndex, type IndexedRun, type RunSummary } from './run-index';

/** True for `s3://BUCKET[/PREFIX]` datastore locations. */
export function isS3Location(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** The nearest ancestor of `cwd` that holds package.json or .git, else `cwd` itself. */
export function findProjectRoot(cwd: string): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, '.git'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return path.resolve(cwd);
    }
    dir = parent;
  }
}

/**
 * Where the datastore is: `explicit` (--datastore, a task spec), else $CELLFLOW_DATASTORE, else
 * $CELLFLOW_HOME, else `<project root>/.cellflow`. A folder is resolved to an absolute path.
 */
export function resolveDatastoreLocation(explicit?: string, cwd: string = process.cwd()): string {
  const chosen = explicit || process.env.CELLFLOW_DATASTORE || process.env.CELLFLOW_HOME;
  if (chosen && isS3Location(chosen)) {
    return chosen;
  }
  return chosen ? path.resolve(cwd, chosen) : path.join(findProjectRoot(cwd), '.cellflow');
}

/** One S3 backend per location and process: each holds a worker thread with its client. */
const s3Backends = new Map<string, StorageBackend>();

function openBackend(location: string): StorageBackend {
  if (!isS3Location(location)) {
    return new LocalBackend(location);
  }
  let backend = s3Backends.get(location);
  if (!backend) {
    // Loaded only for S3: the local fast path never pays for the AWS SDK.
    const { S3Backend } = require('./s3-backend') as typeof import('./s3-backend');
    backend = new S3Backend(location);
    s3Backends.set(location, backend);
  }
  return backend;
}

export class Datastore {
  readonly objects: ObjectStore;
  /** The per-flow summary index `runs` lists from (run-index.ts); writeRun keeps it current. */
  readonly runIndex: RunIndex;
  /** Versions of the records this datastore object read or wrote: the If-Match of the next write. */
  private readonly versions = new Map<string, string>();
  /** Run records this object last read or wrote in a final status (see writeRun). */
  private readonly finalRuns = new Set<string>();

  private constructor(readonly backend: StorageBackend) {
    this.objects = new ObjectStore(backend);
    this.runIndex = new RunIndex(backend);
  }

  /** See resolveDatastoreLocation; `root` may be a folder or `s3://BUCKET/PREFIX`. */
  static open(options: { root?: string; cwd?: string } = {}): Datastore {
    return new Datastore(openBackend(resolveDatastoreLocation(options.root, options.cwd)));
  }

  /** The location: a folder, or s3://BUCKET/PREFIX. What task specs and child processes carry. */
  get root(): string {
    return this.backend.location;
  }

  get isLocal(): boolean {
    return this.backend.kind === 'local';
  }

  /** A local folder for this datastore's caches (inside it when local; under ~/.cache for S3). */
  get cacheDir(): string {
    return this.backend.cacheDir;
  }

  newRunId(): string {
    return newRunId();
  }

  // ---------------------------------------------------------------- local paths (local backend only)

  /** The file or folder a key names on a local datastore (logs streamed live, tests, fsck). */
  localPath(key: string): string {
    if (!(this.backend instanceof LocalBackend)) {
      throw new Error(`${this.root} is not a local folder: ${key} has no file path`);
    }
    return this.backend.pathOf(key);
  }

  flowDir(flow: string): string {
    return this.localPath(layout.flowPrefix(flow));
  }

  runDir(flow: string, runId: string): string {
    return this.localPath(layout.runPrefix(flow, runId));
  }

  stepDir(flow: string, runId: string, step: string): string {
    return this.localPath(layout.stepPrefix(flow, runId, step));
  }

  taskDir(flow: string, runId: string, step: string, taskId: string): string {
    return this.localPath(layout.taskPrefix(flow, runId, step, taskId));
  }

  logPath(
    flow: string,
    runId: string,
    step: string,
    taskId: string,
    attempt: number,
    stream: 'stdout' | 'stderr',
  ): string {
    return this.localPath(layout.logKey(flow, runId, step, taskId, attempt, stream));
  }

  // ---------------------------------------------------------------- runs

  /**
   * Creates the run record (create-only: run ids never collide silently) or replaces the version
   * this datastore object last read or wrote (If-Match), so a stale writer cannot drop a change.
   */
  writeRun(record: RunRecord): void {
    const key = layout.runKey(record.flow, record.runId);
    const condition = this.conditionFor(key);
    // A final record being changed (tags, a verdict): the index sends readers to the record until the
    // change is written and its new summary settled. Heartbeats of a running run touch no index.
    const change = this.finalRuns.has(key) ? this.runIndex.beginChange(record.flow, record.runId) : undefined;
    if (condition.ifAbsent) {
      this.runIndex.started(record.flow, record.runId); // a new run: readers learn of it from the index
    }
    this.writeRecord(key, record, condition);
    if (isFinal(record)) {
      this.finalRuns.add(key);
      try {
        this.runIndex.settled(record, change);
      } catch {
        // The record is written; without its settled entry readers read it (the index is a cache).
      }
    } else {
      this.finalRuns.delete(key);
    }
  }

  /** Where run.json is, as a user would find it (a file, or its s3:// URL). */
  runRecordPath(flow: string, runId: string): string {
    return this.describeKey(layout.runKey(flow, runId));
  }

  readRun(flow: string, runId: string): RunRecord {
    const key = layout.runKey(flow, runId);
    return this.noteFinality(key, this.readRecord<RunRecord>(key, `run ${flow}/${runId}`));
  }

  /**
   * The run's record, or undefined when it has none: a run folder may exist a moment before its
   * run.json does. Anything else (a damaged record, a storage error) throws as readRun does.
   */
  tryReadRun(flow: string, runId: string): RunRecord | undefined {
    const key = layout.runKey(flow, runId);
    const record = this.tryReadRecord<RunRecord>(key, `run ${flow}/${runId}`);
    return record && this.noteFinality(key, record);
  }

  private noteFinality(key: string, record: RunRecord): RunRecord {
    if (isFinal(record)) {
      this.finalRuns.add(key);
    } else {
      this.finalRuns.delete(key);
    }
    return record;
  }

  async readRunAsync(flow: string, runId: string): Promise<RunRecord | undefined> {
    const key = layout.runKey(flow, runId);
    const blob = await this.backend.read(key);
    if (!blob) {
      return undefined;
    }
    this.versions.set(key, blob.version);
    return this.noteFinality(
      key,
      parseRecord<RunRecord>(blob.data, `run ${flow}/${runId}`, this.describeKey(key)),
    );
  }

  /** Run records of a flow read many at a time (a remote store answers them in parallel), in order. */
  async readRunsAsync(flow: string, runIds: string[], concurrency = 32): Promise<(RunRecord | undefined)[]> {
    const out: (RunRecord | undefined)[] = new Array(runIds.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < runIds.length; i = next++) {
        out[i] = await this.readRunAsync(flow, runIds[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, runIds.length) }, worker));
    return out;
  }

  hasRun(flow: string, runId: string): boolean {
    return this.backend.existsSync(layout.runKey(flow, runId));
  }

  listFlows(): string[] {
    return names(this.backend.listSync(layout.FLOWS).folders).sort();
  }

  /** Run ids of a flow, newest first (run ids sort by time). */
  listRuns(flow: string): string[] {
    return names(this.backend.listSync(layout.flowPrefix(flow)).folders)
      .sort()
      .reverse();
  }

  // ---------------------------------------------------------------- deployments

  /** Publishes a deployment, create-only: a deployment id names one code forever. */
  writeDeployment(record: DeploymentRecord): void {
    this.writeRecord(layout.deploymentKey(record.flow, record.deploymentId), record, { ifAbsent: true });
  }

  readDeployment(flow: string, deploymentId: string): DeploymentRecord {
    return this.readRecord<DeploymentRecord>(
      layout.deploymentKey(flow, deploymentId),
      `deployment ${deploymentId} of flow ${flow}`,
    );
  }

  // ---------------------------------------------------------------- tasks

  /**
   * The final record (succeeded/failed, with artifacts) is the task's completion marker. A task's
   * first record is create-only (If-None-Match: *: of two attempts racing for one task, exactly one
   * wins); a later one (a retry's, the scheduler's) replaces only the version it read.
   */
  writeTask(record: TaskRecord): void {
    const key = this.taskRecordKey(record);
    this.writeRecord(key, record, this.taskCondition(key, record));
  }

  /**
   * Writes a task record atomically but leaves it to `syncRecords` to make it durable (local).
   * Resume clones hundreds of records at once: one fsync each, in a row, was most of its time; these
   * are fsynced together, in parallel with the tasks that run, before the run records its outcome.
   * Returns the key for `syncRecords`.
   */
  writeTaskDeferringSync(record: TaskRecord): string {
    const key = this.taskRecordKey(record);
    this.writeRecord(key, record, { ifAbsent: true, deferSync: true });
    return key;
  }

  /** Makes records written by `writeTaskDeferringSync` durable, several at a time. */
  async syncRecords(keys: string[]): Promise<void> {
    await this.backend.syncKeys(keys);
  }

  private taskRecordKey(record: TaskRecord): string {
    return layout.taskKey(record.flow, record.runId, record.step, record.taskId);
  }

  /** The condition a task record is written under (see writeTask). */
  private taskCondition(key: string, record: TaskRecord): WriteOptions {
    const known = this.versions.get(key);
    if (known !== undefined) {
      return { ifVersion: known };
    }
    if (record.attempts.length <= 1) {
      return { ifAbsent: true };
    }
    // A retry in a fresh process replaces the previous attempt's record, and only that one.
    const current = this.backend.readSync(key);
    if (!current) {
      return { ifAbsent: true };
    }
    const previous = parseRecord<TaskRecord>(current.data, key, this.describeKey(key));
    if (previous.attempts.length >= record.attempts.length) {
      throw new PreconditionFailedError(
        key,
        `task ${record.flow}/${record.runId}/${record.step}/${record.taskId} already has a record of attempt ${previous.attempts.length - 1}`,
      );
    }
    return { ifVersion: current.version };
  }

  /**
   * A record the scheduler writes about a task whose process could not (it was killed): replaces
   * whatever is there now, conditionally, so a record written in between is not lost silently.
   */
  writeTaskOver(record: TaskRecord): void {
    const key = this.taskRecordKey(record);
    const current = this.backend.readSync(key);
    this.writeRecord(key, record, current ? { ifVersion: current.version } : { ifAbsent: true });
  }

  readTask(flow: string, runId: string, step: string, taskId: string): TaskRecord {
    return this.readRecord<TaskRecord>(
      layout.taskKey(flow, runId, step, taskId),
      `task ${flow}/${runId}/${step}/${taskId}`,
    );
  }

  /** As readTask, but undefined when the task has no record (yet); anything else throws. */
  tryReadTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined {
    return this.tryReadRecord<TaskRecord>(
      layout.taskKey(flow, runId, step, taskId),
      `task ${flow}/${runId}/${step}/${taskId}`,
    );
  }

  /**
   * The task's record, or undefined before its first record is written. Unlike tryReadTask it does
   * not note the version read, so this object's next write of the task is not conditional on it (a
   * peek: listings, the scheduler looking at what a task process wrote).
   */
  peekTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined {
    const key = layout.taskKey(flow, runId, step, taskId);
    const blob = this.backend.readSync(key);
    if (!blob) {
      return undefined;
    }
    return parseRecord<TaskRecord>(
      blob.data,
      `task ${flow}/${runId}/${step}/${taskId}`,
      this.describeKey(key),
    );
  }

  hasTask(flow: string, runId: string, step: string, taskId: string): boolean {
    return this.backend.existsSync(layout.taskKey(flow, runId, step, taskId));
  }

  listSteps(flow: string, runId: string): string[] {
    return names(this.backend.listSync(layout.runPrefix(flow, runId)).folders);
  }

  /** Task ids of a step, in numeric order. */
  listTaskIds(flow: string, runId: string, step: string): string[] {
    return names(this.backend.listSync(layout.stepPrefix(flow, runId, step)).folders).sort(compareTaskIds);
  }

  /** Task records of a run (or one step of it), ordered by step then numeric task id. */
  listTasks(flow: string, runId: string, step?: string): TaskRecord[] {
    const steps = step === undefined ? this.listSteps(flow, runId).sort() : [checkName('step name', step)];
    const records: TaskRecord[] = [];
    for (const name of steps) {
      for (const taskId of this.listTaskIds(flow, runId, name)) {
        const record = this.peekTask(flow, runId, name, taskId);
        if (record) {
          records.push(record);
        }
      }
    }
    return records;
  }

  // ---------------------------------------------------------------- logs

  /** One attempt's output, or undefined when it printed nothing (or has no log). */
  async readLog(
    flow: string,
    runId: string,
    step: string,
    taskId: string,
    attempt: number,
    stream: 'stdout' | 'stderr',
  ): Promise<string | undefined> {
    const blob = await this.backend.read(layout.logKey(flow, runId, step, taskId, attempt, stream));
    return blob?.data.toString('utf8');
  }

  /**
   * A writer for one attempt's log. Local: a file appended as the task prints (readable live).
   * S3: the output is kept and written as one object when the stream ends.
   */
  openLog(
    flow: string,
    runId: string,
    step: string,
    taskId: string,
    attempt: number,
    stream: 'stdout' | 'stderr',
  ): { write(chunk: string): void; end(): Promise<void> } {
    const key = layout.logKey(flow, runId, step, taskId, attempt, stream);
    if (this.backend instanceof LocalBackend) {
      const file = this.backend.pathOf(key);
      makeDirs(path.dirname(file));
      const log = fs.createWriteStream(file);
      return { write: (chunk) => log.write(chunk), end: () => new Promise((resolve) => log.end(resolve)) };
    }
    const chunks: string[] = [];
    return {
      write: (chunk) => chunks.push(chunk),
      end: async () => {
        await this.backend.write(key, chunks.join(''));
      },
    };
  }

  // ---------------------------------------------------------------- artifacts

  async saveArtifact(name: string, value: unknown): Promise<ArtifactRef> {
    const { codec, chunks } = encodeArtifact(name, value);
    try {
      const blob = await this.objects.putChunks(chunks);
      return { sha256: blob.sha256, codec, bytes: blob.bytes };
    } catch (error) {
      if (!(error instanceof DatastoreFullError)) {
        throw error;
      }
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      throw new DatastoreFullError(this.root, `storing artifact '${name}' (${bytes} bytes)`);
    }
  }

  async loadArtifact(ref: ArtifactRef, context?: string): Promise<unknown> {
    return decodeArtifact(ref.codec, await this.objects.get(ref.sha256, context));
  }

  loadArtifactSync(ref: ArtifactRef, context?: string): unknown {
    return decodeArtifact(ref.codec, this.objects.getSync(ref.sha256, context));
  }

  // ---------------------------------------------------------------- records

  private conditionFor(key: string): WriteOptions {
    const known = this.versions.get(key);
    return known !== undefined ? { ifVersion: known } : { ifAbsent: true };
  }

  /** Atomic, conditional record write; a full disk becomes a DatastoreFullError naming the record. */
  private writeRecord(
    key: string,
    record: RunRecord | TaskRecord | DeploymentRecord,
    options: WriteOptions,
  ): void {
    try {
      const version = this.backend.writeSync(key, JSON.stringify(record, null, 2) + '\n', options);
      if (!options.deferSync) {
        this.versions.set(key, version);
      }
    } catch (error) {
      if (isDiskFull(error)) {
        throw new DatastoreFullError(this.root, `writing ${key}`);
      }
      throw error;
    }
  }

  private readRecord<T>(key: string, what: string): T {
    const record = this.tryReadRecord<T>(key, what);
    if (record === undefined) {
      throw new NotFoundError(`${what} not found (no ${this.describeKey(key)})`);
    }
    return record;
  }

  /** The record at `key` (noting its version for the next write), or undefined when there is none. */
  private tryReadRecord<T>(key: string, what: string): T | undefined {
    const blob = this.backend.readSync(key);
    if (!blob) {
      return undefined;
    }
    this.versions.set(key, blob.version);
    return parseRecord<T>(blob.data, what, this.describeKey(key));
  }

  /** A key as the user would find it: the file on a local datastore, the URL on S3. */
  describeKey(key: string): string {
    return this.backend instanceof LocalBackend ? this.backend.pathOf(key) : `${this.root}/${key}`;
  }
}

function parseRecord<T>(data: Buffer, what: string, where: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (error) {
    throw new Error(`${what}: ${where} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Task ids are usually integers: sort 2 before 10, fall back to text order. */
function compareTaskIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) {
    return na - nb;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries with valid names (temp files and stray entries are skipped). */
function names(entries: string[]): string[] {
  return entries.filter(isName);
}
