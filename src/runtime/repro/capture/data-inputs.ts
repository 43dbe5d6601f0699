// A task's data inputs: the files its step read (read-recorder.ts), each with its size and sha256,
// and its bytes stored as a content-addressed object when it is small enough (CELLFLOW_CAPTURE_DATA).
// One file read by a thousand tasks of a run is hashed and stored once: what each file hashed to is
// remembered in <datastore>/cache/inputs/, trusted while its stat is unchanged, and a lock file makes
// the other task processes wait for the one hashing it instead of hashing it too.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { DataInput } from '../../records';
import type { ReadLog } from './read-recorder';
import { SETTLE_MS, settled, statSignature, writeCacheFile } from './stat-signature';
import { makeDirs } from '../../make-dirs';

/** Files up to this size are stored by default; larger ones are hashed only. */
export const MAX_STORED_INPUT_BYTES = 256 * 1024 * 1024;

export type CaptureMode = 'all' | 'hash' | 'off';

export interface InputCaptureOptions {
  objects: ObjectStore;
  /** Where the per-file hash cache and its locks live (<datastore>/cache/inputs); undefined: none. */
  cacheDir: string | undefined;
  projectRoot: string;
  /** Folders whose files are never inputs: the datastore, cellflow's own installation. */
  excluded: string[];
  /** Files loaded as modules (require.cache): the project's sources, not data. */
  modules: Set<string>;
  mode?: CaptureMode;
  maxStoredBytes?: number;
}

/** CELLFLOW_CAPTURE_DATA: `all` (default: store files up to 256 MiB), `hash` (record only), `off`. */
export function captureMode(env: NodeJS.ProcessEnv = process.env): CaptureMode {
  const value = (env.CELLFLOW_CAPTURE_DATA ?? 'all').trim().toLowerCase();
  return value === 'hash' || value === 'off' ? value : 'all';
}

const isInside = (file: string, dir: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** Paths that are never data: installed packages, the system's pseudo files. */
function neverData(file: string): boolean {
  return (
    file.split(path.sep).includes('node_modules') ||
    ['/proc', '/sys', '/dev'].some((dir) => file === dir || file.startsWith(dir + path.sep))
  );
}

/** What the step read that counts as data, and the project files it loaded as code (its sources). */
export function classifyReads(
  log: ReadLog,
  options: Pick<InputCaptureOptions, 'projectRoot' | 'excluded' | 'modules'>,
): { files: string[]; directories: string[]; sources: string[] } {
  const keep = (file: string) =>
    !neverData(file) && !options.excluded.some((dir) => isInside(file, dir)) && !log.written.has(file);
  const sources = [...options.modules]
    .filter((file) => keep(file) && isInside(file, options.projectRoot))
    .sort();
  const files = [...log.files].filter((file) => keep(file) && !options.modules.has(file)).sort();
  const directories = [...log.directories].filter(keep).sort();
  return { files, directories, sources };
}

export function relativeToProject(file: string, projectRoot: string): string {
  return isInside(file, projectRoot) ? path.relative(projectRoot, file).split(path.sep).join('/') : file;
}

/** The data inputs of one task, hashed (and stored) through the run's shared cache. */
export async function captureInputs(
  log: ReadLog,
  options: InputCaptureOptions,
): Promise<{ inputs: DataInput[]; sources: string[] }> {
  const mode = options.mode ?? captureMode();
  const { files, directories, sources } = classifyReads(log, options);
  const relSources = sources.map((file) => relativeToProject(file, options.projectRoot));
  if (mode === 'off') {
    return { inputs: [], sources: relSources };
  }
  const inputs: DataInput[] = [];
  for (const file of files) {
    const described = await describeFile(file, mode, options);
    if (described) {
      inputs.push({ ...described, path: relativeToProject(file, options.projectRoot) });
    }
  }
  for (const dir of directories) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue; // gone again, or never there: the step saw the error
    }
    inputs.push({
      path: relativeToProject(dir, options.projectRoot),
      kind: 'directory',
      bytes: names.length,
      sha256: createHash('sha256').update(names.join('\n')).digest('hex'),
      stored: false,
    });
  }
  return { inputs, sources: relSources };
}

interface CacheEntry {
  stat: string;
  sha256: string;
  bytes: number;
  stored: boolean;
}

async function describeFile(
  file: string,
  mode: 'all' | 'hash',
  options: InputCaptureOptions,
): Promise<Omit<DataInput, 'path'> | undefined> {
  const signature = statSignature(file);
  if (signature.text === null) {
    return undefined;
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) {
    return undefined;
  }
  const limit = options.maxStoredBytes ?? MAX_STORED_INPUT_BYTES;
  const wantStored = mode === 'all' && stat.size <= limit;
  const note =
    mode === 'hash'
      ? 'CELLFLOW_CAPTURE_DATA=hash: hashed, not stored'
      : stat.size > limit
        ? `larger than ${Math.round(limit / 1024 / 1024)} MiB: hashed, not stored`
        : undefined;
  const text = signature.text;
  const store = async (): Promise<CacheEntry> => {
    const blob = wantStored
      ? await options.objects.putChunks(fs.createReadStream(file))
      : await hashFile(file);
    return { stat: text, sha256: blob.sha256, bytes: blob.bytes, stored: wantStored };
  };
  const key = createHash('sha256').update(file).digest('hex').slice(0, 32);
  const usable = (entry: CacheEntry | undefined): entry is CacheEntry =>
    entry !== undefined &&
    entry.stat === signature.text &&
    (!wantStored || (entry.stored && options.objects.has(entry.sha256)));
  const result = (entry: CacheEntry) => ({
    bytes: entry.bytes,
    sha256: entry.sha256,
    stored: wantStored && entry.stored,
    ...(note ? { note } : {}),
  });

  if (options.cacheDir === undefined) {
    return result(await store());
  }
  const cacheFile = path.join(options.cacheDir, `${key}.json`);
  let entry = readEntry(cacheFile);
  if (usable(entry)) {
    return result(entry);
  }
  const release = await acquireLock(`${cacheFile}.lock`, () => usable(readEntry(cacheFile)));
  try {
    entry = readEntry(cacheFile);
    if (usable(entry)) {
      return result(entry);
    }
    entry = await store();
    // The file changed while it was read, or too recently for its stat to prove it unchanged
    // later (git's racy case): recorded, not remembered.
    if (statSignature(file).text === signature.text && settled(signature.changedNs, SETTLE_MS)) {
      writeCacheFile(cacheFile, entry);
    }
    return result(entry);
  } finally {
    release();
  }
}

function readEntry(file: string): CacheEntry | undefined {
  try {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    return typeof entry.stat === 'string' && typeof entry.sha256 === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A lock older than this was left by a task that died while hashing: it is taken over. */
const STALE_LOCK_MS = 10 * 60 * 1000;

/**
 * Takes `lock` (created exclusively), waiting while another process holds it, unless `done()` says
 * that process has finished the work meanwhile. Returns the release function (a no-op when the work
 * was found done, or when locks cannot be made at all: then each process does the work itself).
 */
async function acquireLock(lock: string, done: () => boolean): Promise<() => void> {
  makeDirs(path.dirname(lock));
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      return () => fs.rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        return () => undefined;
      }
    }
    if (done()) {
      return () => undefined;
    }
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) {
        fs.rmSync(lock, { force: true });
      }
    } catch {
      // released meanwhile: try again
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The project root as provenance capture names it (source.root), found without git: the nearest
 * directory upward holding `.git`, else `package.json`, else `dir` itself.
 */
export function projectRootOf(dir: string): string {
  let packageDir: string | undefined;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, '.git'))) {
      return at;
    }
    if (!packageDir && fs.existsSync(path.join(at, 'package.json'))) {
      packageDir = at;
    }
    if (at === path.dirname(at)) {
      return packageDir ?? path.resolve(dir);
    }
  }
}
