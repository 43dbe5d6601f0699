// The local folder backend: keys are paths under the root. Every write goes through writeFileAtomic
// (temp + fsync + rename, or link for create-only), so readers never see a partial file.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from './atomic-write';
import { claimDatastoreRoot } from './root-marker';
import {
  PreconditionFailedError,
  type KeyInfo,
  type Listing,
  type StorageBackend,
  type StoredBlob,
  type WriteOptions,
} from './backend';
import { makeDirs } from '../make-dirs';

/** fsyncs in flight at once in `syncKeys` (libuv's default thread pool has four threads). */
const SYNC_CONCURRENCY = 8;
/** Objects' temp files live in a hidden sibling of the fan-out folders (fsck lists them as stray). */
const OBJECT_TEMP = path.join('objects', '.tmp');

export class LocalBackend implements StorageBackend {
  readonly kind = 'local' as const;
  readonly cacheDir: string;

  constructor(readonly location: string) {
    this.cacheDir = path.join(location, 'cache');
  }

  /** The file a key names. Keys come from layout.ts, whose names are validated. */
  pathOf(key: string): string {
    return path.join(this.location, ...key.split('/'));
  }

  readSync(key: string): StoredBlob | undefined {
    const file = this.pathOf(key);
    try {
      const data = fs.readFileSync(file);
      return { data, version: versionOf(file) };
    } catch (error) {
      if (isAbsent(error)) {
        return undefined;
      }
      throw error;
    }
  }

  async read(key: string): Promise<StoredBlob | undefined> {
    return this.readSync(key);
  }

  writeSync(key: string, data: Uint8Array | string, options: WriteOptions = {}): string {
    const file = this.pathOf(key);
    if (options.ifVersion !== undefined && versionOfIfPresent(file) !== options.ifVersion) {
      // One scheduler writes a run's records on a local datastore; the check keeps a stale writer
      // (a tag change against a record that moved on) from overwriting a newer record.
      throw new PreconditionFailedError(key, `${key} changed since it was read`);
    }
    try {
      claimDatastoreRoot(this.location);
      writeFileAtomic(file, data, { sync: !options.deferSync, exclusive: options.ifAbsent });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new PreconditionFailedError(key, `${key} already exists`);
      }
      throw error;
    }
    return versionOf(file);
  }

  async write(key: string, data: Uint8Array | string, options?: WriteOptions): Promise<string> {
    return this.writeSync(key, data, options);
  }

  async writeChunks(key: string, chunks: Uint8Array[]): Promise<boolean> {
    return this.writeChunksSync(key, chunks);
  }

  writeChunksSync(key: string, chunks: Uint8Array[]): boolean {
    const file = this.pathOf(key);
    if (fs.existsSync(file)) {
      return false;
    }
    claimDatastoreRoot(this.location);
    // rename() is atomic: a concurrent writer of the same object just replaces identical bytes.
    writeFileAtomic(file, chunks, { tempDir: path.join(this.location, OBJECT_TEMP) });
    return true;
  }

  /**
   * An object from a stream of unknown hash: written to a temp file while hashed, then renamed to
   * `<prefix>/<sha[0:2]>/<sha>` (or dropped when that object exists). Returns its name and size.
   */
  async writeStreamed(
    prefix: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<{ sha256: string; bytes: number }> {
    claimDatastoreRoot(this.location);
    const tempDir = path.join(this.location, OBJECT_TEMP);
    makeDirs(tempDir);
    const temp = path.join(tempDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const fd = fs.openSync(temp, 'wx');
    try {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          let offset = 0;
          while (offset < chunk.byteLength) {
            offset += fs.writeSync(fd, chunk, offset, chunk.byteLength - offset);
          }
          bytes += chunk.byteLength;
        }
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const sha256 = hash.digest('hex');
      const target = this.pathOf(`${prefix}/${sha256.slice(0, 2)}/${sha256}`);
      if (freshen(target)) {
        fs.rmSync(temp, { force: true });
      } else {
        makeDirs(path.dirname(target));
        fs.renameSync(temp, target);
      }
      return { sha256, bytes };
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    }
  }

  existsSync(key: string): boolean {
    return fs.existsSync(this.pathOf(key));
  }

  /** existsSync that also makes the file's mtime now (see ObjectStore.freshen). */
  freshenSync(key: string): boolean {
    return freshen(this.pathOf(key));
  }

  async exists(key: string): Promise<boolean> {
    return this.existsSync(key);
  }

  listSync(prefix: string): Listing {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.pathOf(prefix), { withFileTypes: true });
    } catch (error) {
      if (isAbsent(error)) {
        return { folders: [], files: [] };
      }
      throw error;
    }
    const folders: string[] = [];
    const files: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) {
        folders.push(entry.name);
      } else if (entry.isFile()) {
        files.push(entry.name);
      }
    }
    return { folders, files };
  }

  async list(prefix: string): Promise<Listing> {
    return this.listSync(prefix);
  }

  async listAfter(prefix: string, startAfter: string): Promise<string[]> {
    return this.listSync(prefix)
      .files.filter((name) => name > startAfter)
      .sort();
  }

  async listAll(prefix: string): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    const walk = (key: string) => {
      const { folders, files } = this.listSync(key);
      for (const name of files) {
        const child = `${key}/${name}`;
        let bytes = 0;
        try {
          bytes = fs.statSync(this.pathOf(child)).size;
        } catch {
          continue; // removed while listing
        }
        out.push({ key: child, bytes });
      }
      for (const name of folders) {
        walk(`${key}/${name}`);
      }
    };
    walk(prefix);
    return out;
  }

  async delete(key: string): Promise<void> {
    fs.rmSync(this.pathOf(key), { force: true });
  }

  async syncKeys(keys: string[]): Promise<void> {
    const queue = keys.map((key) => this.pathOf(key));
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
    await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, queue.length) }, worker));
  }

  close(): void {}
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Each atomic write makes a new inode (the temp file), so inode + mtime identifies a version. */
function versionOf(file: string): string {
  const stat = fs.statSync(file, { bigint: true });
  return `${stat.ino}-${stat.mtimeNs}`;
}

function versionOfIfPresent(file: string): string | undefined {
  try {
    return versionOf(file);
  } catch (error) {
    if (isAbsent(error)) {
      return undefined;
    }
    throw error;
  }
}

/** True when `file` exists, after setting its mtime to now; a read-only store only says it exists. */
function freshen(file: string): boolean {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? false : fs.existsSync(file);
  }
}
