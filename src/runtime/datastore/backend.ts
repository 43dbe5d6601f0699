// The storage under the datastore's layout: a flat space of '/'-separated keys holding bytes. Two
// implementations: the local folder (local-backend.ts) and an S3 bucket (s3-backend.ts). The layout
// (layout.ts), records and objects (datastore.ts, objects.ts) are written once, over this interface.
//
// Both a synchronous and an asynchronous form of each small operation: the local folder answers the
// synchronous ones directly (the fast path every local run takes); S3 answers them by blocking on a
// worker thread that owns the S3 client (sync-bridge.ts). See ARCHITECTURE "Datastore backends".
import { UserInputError } from '../errors';

/** Bytes with the version they were read at (S3: the ETag; local: inode + mtime). */
export interface StoredBlob {
  data: Buffer;
  version: string;
}

export interface WriteOptions {
  /** Create only: fail with PreconditionFailedError when the key exists (S3 `If-None-Match: *`). */
  ifAbsent?: boolean;
  /** Replace only this version (S3 `If-Match: ETag`); PreconditionFailedError otherwise. */
  ifVersion?: string;
  /** Local only: skip the fsync; `syncKeys` makes the files durable later. */
  deferSync?: boolean;
}

/** One level of a listing: the "folders" (common prefixes) and the keys directly under a prefix. */
export interface Listing {
  folders: string[];
  files: string[];
}

/** A key and its size, from a recursive listing (fsck, push/pull). */
export interface KeyInfo {
  key: string;
  bytes: number;
}

export interface StorageBackend {
  readonly kind: 'local' | 's3';
  /** What the user named: a folder, or s3://BUCKET/PREFIX. Task specs and child processes carry it. */
  readonly location: string;
  /** A local folder for caches of this datastore (compiled modules, git status): never shared. */
  readonly cacheDir: string;

  readSync(key: string): StoredBlob | undefined;
  read(key: string): Promise<StoredBlob | undefined>;
  /** Returns the new version. */
  writeSync(key: string, data: Uint8Array | string, options?: WriteOptions): string;
  write(key: string, data: Uint8Array | string, options?: WriteOptions): Promise<string>;
  /**
   * One object from chunks taken as one content, without joining them: visible only once complete
   * (local: temp + rename; S3: a multipart upload, completed with If-None-Match: *). An object that
   * already exists is left alone (resolves false).
   */
  writeChunks(key: string, chunks: Uint8Array[]): Promise<boolean>;
  existsSync(key: string): boolean;
  exists(key: string): Promise<boolean>;
  /** Folders and files directly under `prefix` (no trailing slash); empty when there is none. */
  listSync(prefix: string): Listing;
  list(prefix: string): Promise<Listing>;
  /**
   * Names of the files directly under `prefix` that sort after `startAfter` (all when it is ''), in
   * order: a listing that costs what it returns, not what the prefix holds (S3 `StartAfter`).
   */
  listAfter(prefix: string, startAfter: string): Promise<string[]>;
  /** Every key under `prefix`, recursively, with its size. */
  listAll(prefix: string): Promise<KeyInfo[]>;
  delete(key: string): Promise<void>;
  /** Makes writes done with `deferSync` durable (local); nothing to do on S3. */
  syncKeys(keys: string[]): Promise<void>;
  /** Releases what the backend holds (the S3 worker thread). */
  close(): void;
}

/** A conditional write lost: the key exists (ifAbsent) or changed since it was read (ifVersion). */
export class PreconditionFailedError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

export type StorageProblem = 'credentials' | 'bucket' | 'endpoint' | 'permission' | 'config';

/**
 * The datastore cannot be reached as configured: bad credentials, an unknown bucket, an endpoint that
 * does not answer, no permission. Bad input (exit 2): the message names which, and what to check.
 */
export class StorageConfigError extends UserInputError {
  constructor(
    readonly problem: StorageProblem,
    message: string,
  ) {
    super(message);
    this.name = 'StorageConfigError';
  }
}

/** The storage failed in a way that is not the user's configuration (a 5xx after every retry...). */
export class StorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageError';
  }
}
