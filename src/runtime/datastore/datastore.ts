// The local datastore: content-addressed objects plus run and task records, laid out as DESIGN.md says:
//   objects/<sha[0:2]>/<sha>
//   flows/<Flow>/<runId>/run.json
//   flows/<Flow>/<runId>/<step>/<taskId>/task.json and <attempt>.{stdout,stderr}
import { randomBytes, randomInt } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeArtifact, encodeArtifact } from '../codecs';
import { UserInputError } from '../errors';
import type { ArtifactRef, RunRecord, RunStatus, TaskRecord } from '../records';
import { DatastoreFullError, isDiskFull, ObjectStore } from './objects';
import { claimDatastoreRoot } from './root-marker';

export { DatastoreFullError } from './objects';

/** A pathspec or a name inside one is malformed (bad input: exit 2). */
export class PathspecError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'PathspecError';
  }
}

/** The run, step or task a pathspec names does not exist in this datastore (bad input: exit 2). */
export class NotFoundError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export interface Pathspec {
  flow: string;
  runId?: string;
  step?: string;
  taskId?: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const MAX_NAME = 128;

/** Throws unless `value` is a safe single path component: `[A-Za-z0-9_-]`, so never `..`, `/` or NUL. */
export function checkName(kind: string, value: string, where = ''): string {
  if (typeof value !== 'string' || !NAME.test(value) || value.length > MAX_NAME) {
    throw new PathspecError(
      `invalid ${kind} ${JSON.stringify(value)}${where}: use 1-${MAX_NAME} characters from A-Z, a-z, 0-9, '_' and '-'`,
    );
  }
  return value;
}

/** `Flow[/runId[/step[/taskId]]]`, each part validated. */
export function parsePathspec(spec: string): Pathspec {
  const parts = String(spec).split('/');
  if (parts.length > 4 || parts.some((part) => part === '')) {
    throw new PathspecError(
      `invalid pathspec ${JSON.stringify(spec)}: expected Flow[/runId[/step[/taskId]]]`,
    );
  }
  const kinds = ['flow name', 'run id', 'step name', 'task id'];
  parts.forEach((part, i) => checkName(kinds[i], part, ` in pathspec ${JSON.stringify(spec)}`));
  const [flow, runId, step, taskId] = parts;
  return { flow, runId, step, taskId };
}

/** `Flow/runId` exactly: what every command that takes a run expects. */
export function parseRunPathspec(spec: string): { flow: string; runId: string } {
  const { flow, runId, step } = parsePathspec(spec);
  if (!runId || step) throw new PathspecError(`${spec}: expected a run pathspec Flow/runId.`);
  return { flow, runId };
}

export function formatPathspec(spec: Pathspec): string {
  return [spec.flow, spec.runId, spec.step, spec.taskId].filter((part) => part !== undefined).join('/');
}

/** Without a heartbeat for this long, a 'running' run whose scheduler we cannot see is abandoned. */
export const HEARTBEAT_STALE_MS = 30_000;

/** HEARTBEAT_STALE_MS, or CELLFLOW_HEARTBEAT_STALE_MS (tests shorten it; so may a slow shared disk). */
export function heartbeatStaleMs(): number {
  const configured = Number(process.env.CELLFLOW_HEARTBEAT_STALE_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : HEARTBEAT_STALE_MS;
}

/**
 * The status readers show: a 'running' run whose scheduler stopped heartbeating, or whose pid is dead
 * on this host, is 'abandoned' (its scheduler was killed before it could write a final status).
 */
export function effectiveRunStatus(record: RunRecord, now: number = Date.now()): RunStatus {
  if (record.status !== 'running') return record.status;
  const scheduler = record.scheduler;
  if (!scheduler) return 'running';
  const beat = Date.parse(scheduler.heartbeatAt);
  if (!Number.isFinite(beat) || now - beat > heartbeatStaleMs()) return 'abandoned';
  if (scheduler.host === os.hostname() && !processAlive(scheduler.pid)) return 'abandoned';
  return 'running';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The nearest ancestor of `cwd` that holds package.json or .git, else `cwd` itself. */
export function findProjectRoot(cwd: string): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}

let lastRunIdMs = 0;
/** Orders ids made within one millisecond of this process; starts at random to keep processes apart. */
let runIdSequence = 0;
const RUN_ID_SEQUENCE_MAX = 0xffff;

export class Datastore {
  readonly objects: ObjectStore;

  private constructor(readonly root: string) {
    this.objects = new ObjectStore(path.join(root, 'objects'));
  }

  /** Root: options.root, else $CELLFLOW_HOME, else `<project root>/.cellflow`. */
  static open(options: { root?: string; cwd?: string } = {}): Datastore {
    const explicit = options.root ?? process.env.CELLFLOW_HOME;
    const root = explicit
      ? path.resolve(explicit)
      : path.join(findProjectRoot(options.cwd ?? process.cwd()), '.cellflow');
    return new Datastore(root);
  }

  /**
   * `<13-digit epoch ms>-<12 hex random>`, e.g. `1718000000123-9f2c4e1a7b30`. Lexical order is time
   * order (ms are bumped so ids from one process strictly increase); 48 random bits keep concurrent
   * processes apart.
   */
  newRunId(): string {
    // Ids made in the same millisecond are ordered by a sequence rather than by moving the clock
    // forward, so a burst of ids never sorts after an id another process makes a moment later.
    const now = Date.now();
    if (now > lastRunIdMs) {
      lastRunIdMs = now;
      runIdSequence = randomInt(0, RUN_ID_SEQUENCE_MAX >> 1);
    } else if (++runIdSequence > RUN_ID_SEQUENCE_MAX) {
      lastRunIdMs += 1; // 32,768 ids in one millisecond: borrow the next one
      runIdSequence = 0;
    }
    const sequence = runIdSequence.toString(16).padStart(4, '0');
    return `${String(lastRunIdMs).padStart(13, '0')}-${sequence}${randomBytes(4).toString('hex')}`;
  }

  flowDir(flow: string): string {
    return path.join(this.root, 'flows', checkName('flow name', flow));
  }

  runDir(flow: string, runId: string): string {
    return path.join(this.flowDir(flow), checkName('run id', runId));
  }

  stepDir(flow: string, runId: string, step: string): string {
    return path.join(this.runDir(flow, runId), checkName('step name', step));
  }

  taskDir(flow: string, runId: string, step: string, taskId: string): string {
    return path.join(this.stepDir(flow, runId, step), checkName('task id', taskId));
  }

  logPath(
    flow: string,
    runId: string,
    step: string,
    taskId: string,
    attempt: number,
    stream: 'stdout' | 'stderr',
  ): string {
    if (!Number.isInteger(attempt) || attempt < 0)
      throw new PathspecError(`invalid attempt number ${attempt}`);
    if (stream !== 'stdout' && stream !== 'stderr')
      throw new PathspecError(`invalid log stream ${JSON.stringify(stream)}`);
    return path.join(this.taskDir(flow, runId, step, taskId), `${attempt}.${stream}`);
  }

  // ---------------------------------------------------------------- runs

  runRecordPath(flow: string, runId: string): string {
    return path.join(this.runDir(flow, runId), 'run.json');
  }

  writeRun(record: RunRecord): void {
    this.writeRecord(this.runRecordPath(record.flow, record.runId), record);
  }

  /** Atomic record write; a full disk becomes a DatastoreFullError naming the record. */
  private writeRecord(file: string, record: RunRecord | TaskRecord, sync = true): void {
    try {
      claimDatastoreRoot(this.root);
      writeJsonAtomic(file, record, sync);
    } catch (error) {
      if (isDiskFull(error))
        throw new DatastoreFullError(this.root, `writing ${path.relative(this.root, file)}`);
      throw error;
    }
  }

  readRun(flow: string, runId: string): RunRecord {
    return readJson<RunRecord>(this.runRecordPath(flow, runId), `run ${flow}/${runId}`);
  }

  hasRun(flow: string, runId: string): boolean {
    return fs.existsSync(path.join(this.runDir(flow, runId), 'run.json'));
  }

  listFlows(): string[] {
    return listNames(path.join(this.root, 'flows')).sort();
  }

  /** Run ids of a flow, newest first (run ids sort by time). */
  listRuns(flow: string): string[] {
    return listNames(this.flowDir(flow)).sort().reverse();
  }

  // ---------------------------------------------------------------- tasks

  /** The final record (succeeded/failed, with artifacts) is the task's completion marker. */
  writeTask(record: TaskRecord): void {
    this.writeRecord(this.taskRecordPath(record), record);
  }

  /**
   * Writes a task record atomically (temp + rename) but leaves it to `syncRecords` to make it durable.
   * Resume clones hundreds of records at once: one fsync each, in a row, was most of its time; these
   * are fsynced together, in parallel with the tasks that run, before the run records its outcome.
   * Returns the file for `syncRecords`.
   */
  writeTaskDeferringSync(record: TaskRecord): string {
    const file = this.taskRecordPath(record);
    this.writeRecord(file, record, false);
    return file;
  }

  /** fsyncs records written by `writeTaskDeferringSync`, several at a time (the disk batches them). */
  async syncRecords(files: string[]): Promise<void> {
    const queue = [...files];
    const worker = async () => {
      for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
        const handle = await fs.promises.open(file, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECORD_SYNC_CONCURRENCY, queue.length) }, worker));
  }

  private taskRecordPath(record: TaskRecord): string {
    return path.join(this.taskDir(record.flow, record.runId, record.step, record.taskId), 'task.json');
  }

  readTask(flow: string, runId: string, step: string, taskId: string): TaskRecord {
    const file = path.join(this.taskDir(flow, runId, step, taskId), 'task.json');
    return readJson<TaskRecord>(file, `task ${flow}/${runId}/${step}/${taskId}`);
  }

  listSteps(flow: string, runId: string): string[] {
    return listNames(this.runDir(flow, runId));
  }

  /** Task records of a run (or one step of it), ordered by step then numeric task id. */
  listTasks(flow: string, runId: string, step?: string): TaskRecord[] {
    const steps = step === undefined ? this.listSteps(flow, runId).sort() : [checkName('step name', step)];
    const records: TaskRecord[] = [];
    for (const name of steps) {
      const taskIds = listNames(this.stepDir(flow, runId, name)).sort(compareTaskIds);
      for (const taskId of taskIds) {
        if (fs.existsSync(path.join(this.taskDir(flow, runId, name, taskId), 'task.json'))) {
          records.push(this.readTask(flow, runId, name, taskId));
        }
      }
    }
    return records;
  }

  // ---------------------------------------------------------------- artifacts

  async saveArtifact(name: string, value: unknown): Promise<ArtifactRef> {
    const { codec, chunks } = encodeArtifact(name, value);
    try {
      const blob = await this.objects.putChunks(chunks);
      return { sha256: blob.sha256, codec, bytes: blob.bytes };
    } catch (error) {
      if (!(error instanceof DatastoreFullError)) throw error;
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
}

/** Task ids are usually integers: sort 2 before 10, fall back to text order. */
function compareTaskIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sub-directories with valid names (temp files and stray entries are skipped). */
function listNames(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.filter((entry) => entry.isDirectory() && NAME.test(entry.name)).map((entry) => entry.name);
}

/** fsyncs in flight at once in `syncRecords` (libuv's default thread pool has four threads). */
const RECORD_SYNC_CONCURRENCY = 8;

/**
 * temp file + fsync + rename: a reader sees the old record or the new one, never half of one.
 * `sync: false` skips the fsync (the caller makes the file durable later, see `syncRecords`).
 */
export function writeJsonAtomic(file: string, value: unknown, sync = true): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temp, 'wx');
  try {
    try {
      fs.writeFileSync(fd, JSON.stringify(value, null, 2) + '\n');
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    fs.rmSync(temp, { force: true }); // a half-written temp record is never left behind
    throw error;
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`${what} not found (no ${file})`);
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${what}: ${file} is not valid JSON: ${(error as Error).message}`);
  }
}
