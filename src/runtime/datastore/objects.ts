// Content-addressed object store: objects/<sha256[0:2]>/<sha256>, written atomically, deduplicated,
// and verified against their hash on every read.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { claimDatastoreRoot } from './root-marker';

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
/** Temp files live in a hidden sibling of the fan-out folders, so readers never see partial objects. */
const TEMP_DIR = '.tmp';

export class ObjectStore {
  constructor(readonly root: string) {}

  /** objects/<sha[0:2]>/<sha>; rejects anything that is not a sha256, so no path can escape the root. */
  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256))
      throw new IntegrityError(`not a sha256 object name: ${JSON.stringify(sha256)}`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  async put(data: Uint8Array): Promise<ArtifactBlob> {
    return this.putSync(data);
  }

  /** Synchronous put, for callers that have the whole value in hand (run records, small files). */
  putSync(data: Uint8Array): ArtifactBlob {
    return this.putInMemory([data]);
  }

  /**
   * Stores chunks as one object without joining them. Chunks already in memory (an array) are hashed
   * before anything is written, so an object the store holds costs no write at all: a step that reads
   * a large artifact and keeps it saves it again at the cost of a hash. Other iterables are streamed
   * to a temp file while being hashed.
   */
  async putChunks(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<ArtifactBlob> {
    if (Array.isArray(chunks)) return this.putInMemory(chunks as Uint8Array[]);
    return this.putStreamed(chunks);
  }

  private putInMemory(chunks: Uint8Array[]): ArtifactBlob {
    const { sha256, bytes } = hashChunks(chunks);
    if (this.has(sha256)) return { sha256, bytes };
    try {
      const temp = this.openTemp();
      try {
        try {
          for (const chunk of chunks) writeFully(temp.fd, chunk);
          fs.fsyncSync(temp.fd);
        } finally {
          fs.closeSync(temp.fd);
        }
      } catch (error) {
        fs.rmSync(temp.file, { force: true });
        throw error;
      }
      this.commit(temp.file, sha256);
    } catch (error) {
      throw this.explain(error, `writing object ${sha256}`);
    }
    return { sha256, bytes };
  }

  private async putStreamed(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<ArtifactBlob> {
    const hash = createHash('sha256');
    let bytes = 0;
    let temp: { file: string; fd: number };
    try {
      temp = this.openTemp();
    } catch (error) {
      throw this.explain(error, 'writing an object');
    }
    try {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          writeFully(temp.fd, chunk);
          bytes += chunk.byteLength;
        }
        fs.fsyncSync(temp.fd);
      } finally {
        fs.closeSync(temp.fd);
      }
    } catch (error) {
      fs.rmSync(temp.file, { force: true });
      throw this.explain(error, 'writing an object');
    }
    const sha256 = hash.digest('hex');
    try {
      if (this.has(sha256)) fs.rmSync(temp.file, { force: true });
      else this.commit(temp.file, sha256);
    } catch (error) {
      throw this.explain(error, `writing object ${sha256}`);
    }
    return { sha256, bytes };
  }

  /** Reads and verifies an object; `context` (artifact name, pathspec) goes into the error message. */
  async get(sha256: string, context?: string): Promise<Buffer> {
    const file = this.pathOf(sha256);
    let data: Buffer;
    try {
      data = await fs.promises.readFile(file);
    } catch (error) {
      throw missing(sha256, context, error);
    }
    return verified(sha256, data, context);
  }

  getSync(sha256: string, context?: string): Buffer {
    const file = this.pathOf(sha256);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (error) {
      throw missing(sha256, context, error);
    }
    return verified(sha256, data, context);
  }

  /** A full disk is named as such (the datastore root, what was being written); other errors pass. */
  private explain(error: unknown, what: string): unknown {
    return isDiskFull(error) ? new DatastoreFullError(path.dirname(this.root), what) : error;
  }

  private openTemp(): { file: string; fd: number } {
    claimDatastoreRoot(path.dirname(this.root));
    const dir = path.join(this.root, TEMP_DIR);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    return { file, fd: fs.openSync(file, 'wx') };
  }

  /** rename() is atomic: a concurrent writer of the same object just replaces identical bytes. */
  private commit(tempFile: string, sha256: string): void {
    const target = this.pathOf(sha256);
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(tempFile, target);
    } catch (error) {
      fs.rmSync(tempFile, { force: true });
      throw error;
    }
  }
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

function writeFully(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.byteLength) offset += fs.writeSync(fd, data, offset, data.byteLength - offset);
}

function describe(sha256: string, context?: string): string {
  return context ? `object ${sha256} (${context})` : `object ${sha256}`;
}

function missing(sha256: string, context: string | undefined, error: unknown): IntegrityError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new IntegrityError(`${describe(sha256, context)} is missing from the datastore`);
  return new IntegrityError(`${describe(sha256, context)} cannot be read: ${(error as Error).message}`);
}

function verified(sha256: string, data: Buffer, context?: string): Buffer {
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256) {
    throw new IntegrityError(`${describe(sha256, context)} is corrupt: its content hashes to ${actual}`);
  }
  return data;
}
