// Where the prediction log's batches go: `predictions/...` keys of the datastore. A batch is written
// once, as a new object, and never changed (append-only by construction, which S3 can do too: it has
// no append). The local folder makes each write durable before it resolves: temp file, fsync,
// rename, fsync of the folder.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { StorageBackend } from '../datastore/backend';
import { makeDirs } from '../make-dirs';

export interface LogStorage {
  /** Stores a new object under `key` durably; resolves only once it would survive a crash. */
  create(key: string, data: Uint8Array): Promise<void>;
  /**
   * Adds a batch of lines under `prefix`; once it resolves the batch survives the server being
   * killed. The local folder appends to one segment file per prefix and writer
   * (`<writerId>.jsonl`) and makes it survive a power loss too with an fdatasync behind the
   * answers (ARCHITECTURE, "The prediction log and its durability"); a store without append (S3)
   * writes each batch as a new object, durable when the PUT returns.
   */
  appendBatch(prefix: string, writerId: string, data: Uint8Array): Promise<void>;
  /** Makes every batch appended so far survive a power loss (fdatasync), then closes the files. */
  close(): Promise<void>;
  /** Every key under `prefix` (a folder-like `a/b/`), in no particular order. */
  list(prefix: string): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  /** For messages: where the log lives. */
  readonly location: string;
}

/**
 * Under load the segment is fdatasynced at most this often, so a power loss (not a killed server:
 * the page cache holds every written batch) can lose the answers of about this long plus one sync.
 */
export const SYNC_INTERVAL_MS = 20;

export class LocalLogStorage implements LogStorage {
  /** Folders already made durable: fsyncing their parents once is enough. */
  private readonly synced = new Set<string>();
  /** Open segment files of appendBatch, by prefix and writer. */
  private readonly segments = new Map<string, Promise<fs.promises.FileHandle>>();
  /** Segments written since their last fdatasync started, and the fdatasync loop running for each. */
  private readonly unsynced = new Set<fs.promises.FileHandle>();
  private readonly syncing = new Map<fs.promises.FileHandle, Promise<void>>();
  private syncError: Error | undefined;
  private closing = false;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async create(key: string, data: Uint8Array): Promise<void> {
    const file = path.join(this.root, ...key.split('/'));
    const dir = path.dirname(file);
    await this.ensureDir(dir);
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.promises.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.promises.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    await fs.promises.rename(temp, file);
    await syncDir(dir);
  }

  async appendBatch(prefix: string, writerId: string, data: Uint8Array): Promise<void> {
    const key = `${prefix}${writerId}`;
    let opening = this.segments.get(key);
    if (!opening) {
      const file = path.join(this.root, ...prefix.split('/').filter(Boolean), `${writerId}.jsonl`);
      opening = (async () => {
        await this.ensureDir(path.dirname(file));
        const handle = await fs.promises.open(file, 'a');
        await syncDir(path.dirname(file)); // the new file's entry survives a crash too
        return handle;
      })();
      this.segments.set(key, opening);
    }
    const handle = await opening;
    if (this.syncError) {
      throw this.syncError;
    }
    // In the kernel's page cache once write() returns: a killed server loses none of it, so the
    // answer need not wait for the disk. A synchronous write (microseconds, to the page cache)
    // spares each batch a round trip through libuv's thread pool. The fdatasync that makes it survive a power loss runs
    // behind the answers, one at a time per segment, each covering every batch written before it.
    writeFully(handle.fd, data);
    this.syncSoon(handle);
  }

  private syncSoon(handle: fs.promises.FileHandle): void {
    this.unsynced.add(handle);
    if (this.syncing.has(handle)) {
      return;
    }
    const loop = async () => {
      try {
        while (this.unsynced.delete(handle)) {
          const started = Date.now();
          await handle.datasync();
          // One fdatasync per SYNC_INTERVAL_MS at most under load: each costs a journal commit and
          // ~50-300 us of CPU, and back to back they ran hundreds of times a second. Batches written
          // meanwhile wait for the next one; closing does not (it waits for the syncs running).
          const rest = started + SYNC_INTERVAL_MS - Date.now();
          if (rest > 0 && !this.closing && this.unsynced.has(handle)) {
            await new Promise((resolve) => setTimeout(resolve, rest));
          }
        }
      } catch (error) {
        this.syncError = error as Error; // the next batch and close() report it
      } finally {
        this.syncing.delete(handle);
      }
    };
    this.syncing.set(handle, loop());
  }

  async close(): Promise<void> {
    this.closing = true;
    while (this.syncing.size > 0) {
      await Promise.all(this.syncing.values());
    }
    if (this.syncError) {
      throw this.syncError;
    }
    const handles = await Promise.all(this.segments.values());
    this.segments.clear();
    await Promise.all(handles.map((h) => h.close()));
  }

  async list(prefix: string): Promise<string[]> {
    const base = path.join(this.root, ...prefix.split('/').filter(Boolean));
    const keys: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return;
        }
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) {
          continue;
        } // temp files of writes in progress
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          await walk(path.join(dir, entry.name), child);
        } else if (entry.isFile()) {
          keys.push(`${prefix.replace(/\/?$/, '/')}${child}`);
        }
      }
    };
    await walk(base, '');
    return keys;
  }

  read(key: string): Promise<Buffer> {
    return fs.promises.readFile(path.join(this.root, ...key.split('/')));
  }

  /** Creates the folder and makes each new folder's entry in its parent durable. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.synced.has(dir)) {
      return;
    }
    // Synchronous is fine: a segment folder is new about once a day per endpoint.
    const made = makeDirs(dir);
    if (made !== undefined) {
      // Every folder from the first one made down to `dir` is a new entry in its parent.
      for (let d = dir; d.length >= made.length; d = path.dirname(d)) {
        await syncDir(path.dirname(d));
      }
    }
    this.synced.add(dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The log on a datastore backend without append (S3): each batch is a new object, written create-only
 * (`If-None-Match: *`), so two servers can never overwrite each other's batches; a PUT that returned
 * is durable, which is all group commit needs.
 */
export class BackendLogStorage implements LogStorage {
  private sequence = 0;

  constructor(private readonly backend: StorageBackend) {}

  get location(): string {
    return this.backend.location;
  }

  async create(key: string, data: Uint8Array): Promise<void> {
    await this.backend.write(key, data, { ifAbsent: true });
  }

  async appendBatch(prefix: string, writerId: string, data: Uint8Array): Promise<void> {
    // `<writerId>-<sequence>` keeps one writer's batches in order and apart from every other writer's.
    const batch = String(this.sequence++).padStart(8, '0');
    await this.create(`${prefix}${writerId}-${batch}.jsonl`, data);
  }

  async close(): Promise<void> {
    // The backend belongs to the datastore, which closes it.
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.backend.listAll(prefix.replace(/\/$/, ''))).map((k) => k.key);
  }

  async read(key: string): Promise<Buffer> {
    const blob = await this.backend.read(key);
    if (!blob) {
      throw new Error(`${this.backend.location}: ${key} is missing`);
    }
    return blob.data;
  }
}

function writeFully(fd: number, data: Uint8Array): void {
  for (let offset = 0; offset < data.length;) {
    offset += fs.writeSync(fd, data, offset);
  }
}
