// The S3 backend: the datastore's keys under s3://BUCKET/PREFIX, through a worker thread that owns
// the client (s3-worker.ts, sync-bridge.ts). Large objects go up as multipart uploads, part by part
// (never a second copy of the whole value), completed with If-None-Match: * so an upload killed half
// way leaves nothing visible and an existing object is never rewritten. Records are conditional PUTs.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  PreconditionFailedError,
  StorageConfigError,
  StorageError,
  type KeyInfo,
  type Listing,
  type StorageBackend,
  type StoredBlob,
  type WriteOptions,
} from './backend';
import {
  formatS3Location,
  parseS3Location,
  s3Settings,
  type S3Location,
  type S3Settings,
} from './s3-location';
import { cellflowRoot } from '../repro/capture/package-version';
import type { SerializedError } from './thread-errors';
import { compiledWorkerFile, WorkerBridge } from './sync-bridge';

/** S3's minimum part is 5 MiB; 16 MiB parts keep a 320 MB artifact at 20 parts. */
const PART_BYTES = 16 * 1024 * 1024;
/** Parts in flight at once: the memory an upload holds beyond the value is PART_BYTES times this. */
const PARTS_IN_FLIGHT = 4;

/**
 * The AWS SDK is an optional peer dependency (22 MB that only s3:// datastores use): a cellflow
 * installed without it says what to install instead of failing inside the worker thread.
 */
function assertAwsSdkInstalled(location: string): void {
  try {
    require.resolve('@aws-sdk/client-s3');
  } catch {
    throw new StorageConfigError(
      'config',
      `${location}: an S3 datastore needs the AWS SDK, which is not installed beside cellflow. ` +
        `Install it where cellflow is installed: npm install @aws-sdk/client-s3@${testedAwsSdk()} ` +
        `(add --global for a global cellflow).`,
    );
  }
}

/** The SDK version cellflow is tested with: its package.json's peerDependencies. */
function testedAwsSdk(): string {
  const file = path.join(cellflowRoot(), 'package.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { peerDependencies?: Record<string, string> };
  return json.peerDependencies?.['@aws-sdk/client-s3'] ?? '3';
}

export class S3Backend implements StorageBackend {
  readonly kind = 's3' as const;
  readonly location: string;
  readonly cacheDir: string;
  private readonly where: S3Location;
  private readonly settings: S3Settings;
  private bridgeInstance: WorkerBridge | undefined;
  private checked = false;

  constructor(url: string) {
    this.where = parseS3Location(url);
    this.location = formatS3Location(this.where);
    this.settings = s3Settings();
    const cacheRoot = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    const id = createHash('sha256')
      .update(`${this.settings.endpoint ?? ''}\n${this.location}`)
      .digest('hex')
      .slice(0, 16);
    this.cacheDir = path.join(cacheRoot, 'cellflow', 'datastores', id);
  }

  /** The worker starts on first use, and the first call checks credentials, bucket and endpoint. */
  private get bridge(): WorkerBridge {
    if (!this.bridgeInstance) {
      assertAwsSdkInstalled(this.location);
      this.bridgeInstance = new WorkerBridge(
        compiledWorkerFile(__dirname, 's3-worker'),
        { bucket: this.where.bucket, settings: this.settings },
        (error) => this.explain(error),
      );
    }
    if (!this.checked) {
      this.checked = true;
      try {
        this.bridgeInstance.callSync('check', [this.where.prefix]);
      } catch (error) {
        this.checked = false;
        throw error;
      }
    }
    return this.bridgeInstance;
  }

  private key(key: string): string {
    return this.where.prefix + key;
  }

  readSync(key: string): StoredBlob | undefined {
    return toBlob(this.bridge.callSync<RawBlob | null>('get', [this.key(key)]));
  }

  async read(key: string): Promise<StoredBlob | undefined> {
    return toBlob(await this.bridge.call<RawBlob | null>('get', [this.key(key)]));
  }

  writeSync(key: string, data: Uint8Array | string, options: WriteOptions = {}): string {
    const body = ownBuffer(data);
    return this.bridge.callSync<string>('put', this.putArgs(key, body, options), [body]);
  }

  async write(key: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<string> {
    const body = ownBuffer(data);
    return this.bridge.call<string>('put', this.putArgs(key, body, options), [body]);
  }

  private putArgs(key: string, body: ArrayBuffer, options: WriteOptions): unknown[] {
    return [this.key(key), body, options.ifAbsent === true, options.ifVersion ?? null];
  }

  async writeChunks(key: string, chunks: Uint8Array[]): Promise<boolean> {
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    try {
      if (total <= PART_BYTES) {
        await this.write(key, joinChunks(chunks, total), { ifAbsent: true });
      } else {
        await this.multipart(this.key(key), chunks);
      }
      return true;
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        return false;
      } // another writer stored it first
      throw error;
    }
  }

  /** Part by part: each part is copied once into its own buffer and handed (transferred) to the worker. */
  private async multipart(key: string, chunks: Uint8Array[]): Promise<void> {
    const uploadId = await this.bridge.call<string>('createUpload', [key]);
    const etags: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      let partNumber = 0;
      for (const part of parts(chunks, PART_BYTES)) {
        const number = ++partNumber;
        const upload = this.bridge
          .call<string>('uploadPart', [key, uploadId, number, part], [part])
          .then((etag) => {
            etags[number - 1] = etag;
          })
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => inFlight.delete(upload));
        inFlight.add(upload);
        if (inFlight.size >= PARTS_IN_FLIGHT) {
          await Promise.race(inFlight);
        }
        if (failure) {
          break;
        }
      }
      await Promise.all(inFlight);
      if (failure) {
        throw failure;
      }
      await this.bridge.call('completeUpload', [key, uploadId, etags]);
    } catch (error) {
      // Parts of an upload never completed are invisible; aborting frees them on the server.
      await this.bridge.call('abortUpload', [key, uploadId]).catch(() => undefined);
      throw error;
    }
  }

  existsSync(key: string): boolean {
    return this.bridge.callSync<boolean>('head', [this.key(key)]);
  }

  async exists(key: string): Promise<boolean> {
    return this.bridge.call<boolean>('head', [this.key(key)]);
  }

  listSync(prefix: string): Listing {
    return this.toListing(prefix, this.bridge.callSync<RawListing>('list', [this.key(prefix) + '/', false]));
  }

  async list(prefix: string): Promise<Listing> {
    return this.toListing(
      prefix,
      await this.bridge.call<RawListing>('list', [this.key(prefix) + '/', false]),
    );
  }

  async listAfter(prefix: string, startAfter: string): Promise<string[]> {
    const base = this.key(prefix) + '/';
    const raw = await this.bridge.call<RawListing>('list', [
      base,
      false,
      startAfter ? base + startAfter : undefined,
    ]);
    return raw.files.map(({ key }) => key.slice(base.length));
  }

  async listAll(prefix: string): Promise<KeyInfo[]> {
    const raw = await this.bridge.call<RawListing>('list', [this.key(prefix) + '/', true]);
    const strip = this.where.prefix.length;
    return raw.files.map(({ key, bytes }) => ({ key: key.slice(strip), bytes }));
  }

  async delete(key: string): Promise<void> {
    await this.bridge.call('delete', [this.key(key)]);
  }

  async syncKeys(): Promise<void> {
    // Every PUT is durable once S3 acknowledges it.
  }

  close(): void {
    this.bridgeInstance?.close();
    this.bridgeInstance = undefined;
  }

  private toListing(prefix: string, raw: RawListing): Listing {
    const base = this.key(prefix).length + 1;
    return {
      folders: raw.folders.map((folder) => folder.slice(base, -1)),
      files: raw.files.map(({ key }) => key.slice(base)),
    };
  }

  /** The worker's error as the datastore's: a lost condition, a configuration problem named, or else. */
  private explain(error: SerializedError): Error {
    const where = `${this.location}${this.settings.endpoint ? ` at ${this.settings.endpoint}` : ''}`;
    const name = error.name;
    const code = error.code ?? '';
    if (name === 'PreconditionFailed' || error.status === 412 || name === 'ConditionalRequestConflict') {
      return new PreconditionFailedError('', `the object changed or exists already (${error.message})`);
    }
    if (name === 'NoSuchBucket') {
      return new StorageConfigError('bucket', `the bucket '${this.where.bucket}' does not exist (${where})`);
    }
    if (
      [
        'SignatureDoesNotMatch',
        'InvalidAccessKeyId',
        'XAdminUserNotFound',
        'ExpiredToken',
        'InvalidToken',
      ].includes(name) ||
      name === 'CredentialsProviderError'
    ) {
      return new StorageConfigError(
        'credentials',
        `the S3 credentials were refused for ${where} (${name}: ${error.message}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      );
    }
    if (name === 'AccessDenied' || error.status === 403) {
      return new StorageConfigError(
        'permission',
        `access denied to ${where} (${error.message}); check the credentials and the bucket's policy`,
      );
    }
    if (
      ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code) ||
      name === 'TimeoutError' ||
      /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|getaddrinfo/.test(error.message)
    ) {
      return new StorageConfigError(
        'endpoint',
        `the S3 endpoint ${this.settings.endpoint ?? '(AWS default)'} for ${this.location} cannot be reached (${code || name}: ${error.message}); check AWS_ENDPOINT_URL_S3`,
      );
    }
    if (/region is missing/i.test(error.message)) {
      return new StorageConfigError('config', `no AWS region for ${this.location}: set AWS_REGION`);
    }
    return new StorageError(`S3 ${where}: ${name}: ${error.message}`);
  }
}

interface RawBlob {
  data: ArrayBuffer;
  version: string;
}

interface RawListing {
  folders: string[];
  files: KeyInfo[];
}

function toBlob(raw: RawBlob | null): StoredBlob | undefined {
  return raw ? { data: Buffer.from(raw.data), version: raw.version } : undefined;
}

/** A buffer of exactly these bytes that this call owns, so it can be transferred to the worker. */
function ownBuffer(data: Uint8Array | string): ArrayBuffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy.buffer;
}

function joinChunks(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The chunks' bytes in parts of `size` (the last one shorter), each in a fresh ArrayBuffer. */
function* parts(chunks: Uint8Array[], size: number): Generator<ArrayBuffer> {
  let part = new Uint8Array(new ArrayBuffer(size));
  let filled = 0;
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const n = Math.min(size - filled, chunk.byteLength - offset);
      part.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield part.buffer;
        part = new Uint8Array(new ArrayBuffer(size));
        filled = 0;
      }
    }
  }
  if (filled > 0) {
    yield part.buffer.slice(0, filled);
  }
}
