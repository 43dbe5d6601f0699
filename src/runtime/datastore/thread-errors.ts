// Errors that cross a worker thread's message port (the provenance capture, the S3 storage worker)
// arrive as plain objects: structured cloning keeps neither the class nor its fields. Without the
// class, bad input found on another thread (a pathspec, the S3 configuration) would leave the CLI as
// a failed run with exit 1 instead of a message and exit 2. So errors go over as data and come back
// as instances of the same cellflow class, with their fields.
import { IntegrityError, DatastoreFullError } from './objects';
import { PreconditionFailedError, StorageConfigError, StorageError } from './backend';
import { NotFoundError, PathspecError } from './pathspec';
import { UserInputError } from '../errors';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Node's errno code or the AWS SDK's error code. */
  code?: string;
  /** The HTTP status of an AWS SDK error. */
  status?: number;
  /** The error's own primitive fields (e.g. PreconditionFailedError's `key`). */
  fields?: Record<string, string | number | boolean>;
}

/** The classes a thread may throw that callers tell apart (by `instanceof`). */
const CLASSES: (abstract new (...args: never[]) => Error)[] = [
  UserInputError,
  PathspecError,
  NotFoundError,
  StorageConfigError,
  StorageError,
  PreconditionFailedError,
  IntegrityError,
  DatastoreFullError,
];

const OWN = new Set(['name', 'message', 'stack', 'code', '$metadata']);

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error) };
  }
  const extra = error as Error & { code?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (!OWN.has(key) && ['string', 'number', 'boolean'].includes(typeof value)) {
      fields[key] = value as string | number | boolean;
    }
  }
  const code = extra.code ?? extra.Code;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    ...(extra.$metadata?.httpStatusCode !== undefined ? { status: extra.$metadata.httpStatusCode } : {}),
    ...(Object.keys(fields).length ? { fields } : {}),
  };
}

/** The error again, an instance of its cellflow class when it had one (its constructor is not run). */
export function reviveError(serialized: SerializedError): Error {
  const known = CLASSES.find((cls) => cls.name === serialized.name);
  const error = Object.create((known ?? Error).prototype) as Error & Record<string, unknown>;
  Object.defineProperty(error, 'message', { value: serialized.message, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', {
    value: serialized.stack ?? `${serialized.name}: ${serialized.message}`,
    writable: true,
    configurable: true,
  });
  error.name = serialized.name;
  if (serialized.code !== undefined) {
    error.code = serialized.code;
  }
  Object.assign(error, serialized.fields);
  return error;
}
