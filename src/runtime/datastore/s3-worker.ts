// The worker thread that owns the S3 client (see sync-bridge.ts). Every operation the S3 backend
// needs, in terms of keys already prefixed; object bytes go back as transferred ArrayBuffers.
// The SDK's standard retry strategy retries throttling (SlowDown, 429), 5xx and dropped connections
// with exponential backoff and jitter, up to CELLFLOW_S3_MAX_ATTEMPTS (default 5) attempts.
import type { Readable } from 'stream';
import type { S3Settings } from './s3-location';
import { serveBridge, type Handler, type Transferred } from './sync-bridge';

interface Setup {
  bucket: string;
  settings: S3Settings;
}

// The pinned SDK supports Node 20 and says so once per process on stderr; cellflow's output stays clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

serveBridge((setup: Setup): Record<string, Handler> => {
  const sdk = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  const { bucket, settings } = setup;
  const makeClient = (region: string | undefined) =>
    new sdk.S3Client({
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(region ? { region } : {}),
      forcePathStyle: settings.forcePathStyle,
      maxAttempts: settings.maxAttempts,
      retryMode: 'standard',
      // Every object is verified against its sha256 by the datastore; the SDK's CRC32 would be a
      // second pass over every byte.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
  let client = makeClient(settings.region);
  let regionChecked = settings.region !== undefined;

  // Commands of every type go through one place (the region fallback): typed by each caller.
  async function send<T>(command: unknown): Promise<T> {
    try {
      return (await client.send(command as never)) as T;
    } catch (error) {
      // No region anywhere in the chain: an S3-compatible server does not care which; AWS would
      // redirect. us-east-1 is what the AWS CLI assumes too.
      if (!regionChecked && /region is missing/i.test((error as Error).message)) {
        regionChecked = true;
        client = makeClient('us-east-1');
        return (await client.send(command as never)) as T;
      }
      throw error;
    }
  }

  /** A missing key (not a missing bucket or an unknown user, which are 404s too). */
  const absent = (error: unknown) => {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchBucket' || e.name === 'XAdminUserNotFound') {
      return false;
    }
    return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
  };

  return {
    async get(key: string): Promise<Transferred | null> {
      let response;
      try {
        response = await send<import('@aws-sdk/client-s3').GetObjectCommandOutput>(
          new sdk.GetObjectCommand({ Bucket: bucket, Key: key }),
        );
      } catch (error) {
        if (absent(error)) {
          return null;
        }
        throw error;
      }
      const bytes = await readAll(response.Body as Readable, response.ContentLength);
      return { value: { data: bytes, version: response.ETag ?? '' }, transfer: [bytes] };
    },

    async head(key: string): Promise<boolean> {
      try {
        await send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if (absent(error)) {
          return false;
        }
        throw error;
      }
    },

    async put(key: string, data: ArrayBuffer, ifAbsent: boolean, ifVersion: string | null): Promise<string> {
      const response = await send<{ ETag?: string }>(
        new sdk.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: new Uint8Array(data),
          ContentLength: data.byteLength,
          ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
          ...(ifVersion !== null ? { IfMatch: ifVersion } : {}),
        }),
      );
      return response.ETag ?? '';
    },

    async createUpload(key: string): Promise<string> {
      const response = await send<{ UploadId?: string }>(
        new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
      );
      return response.UploadId!;
    },

    async uploadPart(key: string, uploadId: string, partNumber: number, data: ArrayBuffer): Promise<string> {
      const response = await send<{ ETag?: string }>(
        new sdk.UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: new Uint8Array(data),
          ContentLength: data.byteLength,
        }),
      );
      return response.ETag!;
    },

    async completeUpload(key: string, uploadId: string, etags: string[]): Promise<void> {
      await send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          IfNoneMatch: '*',
        }),
      );
    },

    async abortUpload(key: string, uploadId: string): Promise<void> {
      await send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    },

    async list(
      prefix: string,
      recursive: boolean,
      startAfter?: string,
    ): Promise<{ folders: string[]; files: { key: string; bytes: number }[] }> {
      const folders: string[] = [];
      const files: { key: string; bytes: number }[] = [];
      let token: string | undefined;
      do {
        const page = await send<import('@aws-sdk/client-s3').ListObjectsV2CommandOutput>(
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(recursive ? {} : { Delimiter: '/' }),
            ...(startAfter && !token ? { StartAfter: startAfter } : {}),
            ContinuationToken: token,
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          if (common.Prefix) {
            folders.push(common.Prefix);
          }
        }
        for (const item of page.Contents ?? []) {
          if (item.Key) {
            files.push({ key: item.Key, bytes: item.Size ?? 0 });
          }
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return { folders, files };
    },

    async delete(key: string): Promise<void> {
      await send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    /** A listing answers with an error code (a HEAD cannot): credentials, bucket and reachability at once. */
    async check(prefix: string): Promise<void> {
      await send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
    },
  };
});

/** The body in one ArrayBuffer of its announced length: one copy, then transferred to the caller. */
async function readAll(body: Readable, length: number | undefined): Promise<ArrayBuffer> {
  if (length !== undefined) {
    const out = new Uint8Array(new ArrayBuffer(length));
    let offset = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      if (offset + chunk.byteLength > length) {
        throw new Error('the object is longer than its Content-Length');
      }
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    if (offset !== length) {
      throw new Error(`the object was cut short (${offset} of ${length} bytes)`);
    }
    return out.buffer;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
  }
  const joined = Buffer.concat(chunks);
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
}
