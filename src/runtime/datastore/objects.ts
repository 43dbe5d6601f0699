// Content-addressed object store: objects/<sha256[0:2]>/<sha256> on any backend, written once (an
// object that exists is never rewritten), deduplicated, and verified against its hash on every read.
import { createHash } from 'crypto';
import * as path from 'path';
import type { StorageBackend } from './backend';
import { LocalBackend } from './local-backend';

/** Where an object's bytes live and how many there are. */
export interface ArtifactBlob {
  sha256: string;
  bytes: number;
}

/** A stored object is missing or its bytes no longer match its name. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** The datastore's disk is full (or over quota): the run fails with this, never with a torn record. */
export class DatastoreFullError extends Error {
  constructor(root: string, what: string) {
    super(
      `the datastore at ${root} is full (no space left on device) while ${what}; free some space and resume the run`,
    );
    this.name = 'DatastoreFullError';
  }
}

export const isDiskFull = (error: unknown): boolean =>
  ['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException)?.code ?? '');

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class ObjectStore {
  readonly backend: StorageBackend;
  private readonly prefix: string;

  /** `backend` with objects under `objects/`; a folder path means a local store whose objects are in it. */
  constructor(backend: StorageBackend | string, prefix = 'objects') {
    if (typeof backend === 'string') {
      this.backend = new LocalBackend(path.dirname(path.resolve(backend)));
      this.prefix = path.basename(backend);
    } else {
      this.backend = backend;
      this.prefix = prefix;
    }
  }

  /** The folder objects live in (local backend only; fsck and tests reach files through it). */
  get root(): string {
    return path.join(this.local().location, this.prefix);
  }

  /** objects/<sha[0:2]>/<sha>; rejects anything that is not a sha256, so no key can escape the prefix. */
  keyOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) {
      throw new IntegrityError(`not a sha256 object name: ${JSON.stringify(sha256)}`);
    }
    return `${this.prefix}/${sha256.slice(0, 2)}/${sha256}`;
  }

  /** The object's file (local backend only). */
  pathOf(sha256: string): string {
    return this.local().pathOf(this.keyOf(sha256));
  }

  has(sha256: string): boolean {
    return this.backend.existsSync(this.keyOf(sha256));
  }

  async hasAsync(sha256: string): Promise<boolean> {
    return this.backend.exists(this.keyOf(sha256));
  }

  /**
   * True when the object is stored. On the local folder its mtime is made now as well: a writer that
   * reuses a stored object makes it as new as one it wrote, so `cellflow gc` never takes it (gc.ts).
   */
  freshen(sha256: string): boolean {
    return this.backend instanceof LocalBackend
      ? this.backend.freshenSync(this.keyOf(sha256))
      : this.has(sha256);
  }

  async put(data: Uint8Array): Promise<ArtifactBlob> {
    return this.putChunks([data]);
  }

  /** Synchronous put, for callers that have the whole value in hand (run records, small files). */
  putSync(data: Uint8Array): ArtifactBlob {
    const { sha256, bytes } = hashChunks([data]);
    if (this.freshen(sha256)) {
      return { sha256, bytes };
    }
    try {
      if (this.backend.kind === 'local') {
        this.local().writeChunksSync(this.keyOf(sha256), [data]);
      } else {
        this.backend.writeSync(this.keyOf(sha256), data, { ifAbsent: true });
      }
    } catch (error) {
      if (!isAlreadyThere(error)) {
        throw this.explain(error, `writing object ${sha256}`);
      }
    }
    return { sha256, bytes };
  }

  /**
   * Stores chunks as one object without joining them. They are hashed before anything is written, so
   * an object the store holds costs no write at all: a step that reads a large artifact and keeps it
   * saves it again at the cost of a hash.
   */
  async putChunks(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<ArtifactBlob> {
    if (!Array.isArray(chunks) && this.backend instanceof LocalBackend) {
      try {
        return await this.backend.writeStreamed(this.prefix, chunks);
      } catch (error) {
        throw this.explain(error, 'writing an object');
      }
    }
    // S3 names an object by its hash before uploading it: a stream is collected first.
    const list: Uint8Array[] = [];
    if (Array.isArray(chunks)) {
      list.push(...(chunks as Uint8Array[]));
    } else {
      for await (const chunk of chunks) {
        list.push(chunk);
      }
    }
    const { sha256, bytes } = hashChunks(list);
    if (this.backend instanceof LocalBackend ? this.freshen(sha256) : await this.hasAsync(sha256)) {
      return { sha256, bytes };
    }
    try {
      await this.backend.writeChunks(this.keyOf(sha256), list);
    } catch (error) {
      if (!isAlreadyThere(error)) {
        throw this.explain(error, `writing object ${sha256}`);
      }
    }
    return { sha256, bytes };
  }

  /** Reads and verifies an object; `context` (artifact name, pathspec) goes into the error message. */
  async get(sha256: string, context?: string): Promise<Buffer> {
    const key = this.keyOf(sha256);
    let blob;
    try {
      blob = await this.backend.read(key);
    } catch (error) {
      throw unreadable(sha256, context, error);
    }
    if (!blob) {
      throw missing(sha256, context);
    }
    return verified(sha256, blob.data, context);
  }

  getSync(sha256: string, context?: string): Buffer {
    const key = this.keyOf(sha256);
    let blob;
    try {
      blob = this.backend.readSync(key);
    } catch (error) {
      throw unreadable(sha256, context, error);
    }
    if (!blob) {
      throw missing(sha256, context);
    }
    return verified(sha256, blob.data, context);
  }

  /** A full disk is named as such (the datastore root, what was being written); other errors pass. */
  private explain(error: unknown, what: string): unknown {
    return isDiskFull(error) ? new DatastoreFullError(this.backend.location, what) : error;
  }

  private local(): LocalBackend {
    if (!(this.backend instanceof LocalBackend)) {
      throw new Error(`${this.backend.location} is not a local folder: its objects have no file path`);
    }
    return this.backend;
  }
}

/** Two writers of one object: the loser's create-only write fails, and the object is there. */
function isAlreadyThere(error: unknown): boolean {
  return (error as Error)?.name === 'PreconditionFailedError';
}

/** The sha256 and length of chunks taken as one content, without joining them. */
export function hashChunks(chunks: Iterable<Uint8Array>): ArtifactBlob {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const chunk of chunks) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function describe(sha256: string, context?: string): string {
  return context ? `object ${sha256} (${context})` : `object ${sha256}`;
}

function missing(sha256: string, context: string | undefined): IntegrityError {
  return new IntegrityError(`${describe(sha256, context)} is missing from the datastore`);
}

function unreadable(sha256: string, context: string | undefined, error: unknown): Error {
  // The storage's own configuration errors (credentials, bucket) keep their message and exit code.
  if ((error as Error)?.name === 'StorageConfigError') {
    return error as Error;
  }
  return new IntegrityError(`${describe(sha256, context)} cannot be read: ${(error as Error).message}`);
}

function verified(sha256: string, data: Buffer, context?: string): Buffer {
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256) {
    throw new IntegrityError(`${describe(sha256, context)} is corrupt: its content hashes to ${actual}`);
  }
  return data;
}
