// Artifact codecs, chosen per value: Arrow IPC for apache-arrow Tables, raw bytes for Uint8Array/Buffer,
// JSON when the value survives a JSON round trip exactly, V8 structured clone for the rest.
// Decoding only ever parses data: no codec can construct a function or run code.
import { RecordBatch, RecordBatchFileWriter, Table, tableFromIPC } from 'apache-arrow';
import { types } from 'util';
import * as v8 from 'v8';
import type { Codec } from './records';

/** The value of an artifact cannot be stored; the message names the artifact and the part at fault. */
export class UnstorableArtifactError extends Error {
  constructor(
    readonly artifact: string,
    reason: string,
  ) {
    super(`artifact '${artifact}' cannot be stored: ${reason}`);
    this.name = 'UnstorableArtifactError';
  }
}

export interface EncodedArtifact {
  codec: Codec;
  /** The encoded bytes in order; large values come as several chunks that are never joined in memory. */
  chunks: Uint8Array[];
}

export function encodeArtifact(name: string, value: unknown): EncodedArtifact {
  const table = asArrowTable(value);
  if (table) return { codec: 'arrow', chunks: encodeArrowTable(name, table) };
  if (value instanceof Uint8Array && (value.constructor === Uint8Array || Buffer.isBuffer(value))) {
    return { codec: 'bytes', chunks: [value] };
  }
  checkStorable(name, value);
  if (survivesJson(value)) return { codec: 'json', chunks: [Buffer.from(JSON.stringify(value), 'utf8')] };
  try {
    return { codec: 'v8', chunks: [v8.serialize(value)] };
  } catch (error) {
    throw new UnstorableArtifactError(name, (error as Error).message);
  }
}

/**
 * Decodes an artifact's bytes. Safe on untrusted bytes as far as code execution goes: JSON.parse and
 * Arrow's reader build data only, and V8's deserializer can only create primitives, plain objects,
 * arrays and built-in data types (Map, Set, Date, RegExp, Error, typed arrays) — the wire format has
 * no representation for functions or for user classes, so nothing a reader decodes can run.
 * `bytes` come back as a Buffer (a Uint8Array).
 */
export function decodeArtifact(codec: Codec, bytes: Uint8Array): unknown {
  switch (codec) {
    case 'arrow':
      return tableFromIPC(bytes);
    case 'bytes':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    case 'json':
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    case 'v8':
      return v8.deserialize(bytes);
    default:
      throw new Error(`unknown artifact codec ${JSON.stringify(codec)}`);
  }
}

// ---------------------------------------------------------------- Arrow

/**
 * A Table from this process's apache-arrow, or one from another copy of the library (a notebook
 * project may install its own): then its batches are re-wrapped, sharing their buffers.
 */
function asArrowTable(value: unknown): Table | undefined {
  if (value instanceof Table) return value;
  if (!looksLikeArrowTable(value)) return undefined;
  return new Table(value.batches.map((batch) => new RecordBatch(value.schema, batch.data)));
}

interface TableLike {
  schema: Table['schema'];
  batches: { data: RecordBatch['data'] }[];
  numRows: number;
}

function looksLikeArrowTable(value: unknown): value is TableLike {
  if (typeof value !== 'object' || value === null || value.constructor?.name !== 'Table') return false;
  const candidate = value as Partial<TableLike>;
  return (
    Array.isArray(candidate.batches) && typeof candidate.numRows === 'number' && !!candidate.schema?.fields
  );
}

/** Collects the writer's output as it goes: the body buffers are views on the table's own memory. */
class ChunkCollectingFileWriter extends RecordBatchFileWriter {
  readonly chunks: Uint8Array[] = [];

  protected override _write(chunk: Uint8Array | ArrayBufferView): this {
    if (!this._started || chunk.byteLength === 0) return this;
    this.chunks.push(
      chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    );
    this._position += chunk.byteLength;
    return this;
  }
}

/** The IPC *file* format: what pyarrow.ipc.open_file, pandas and polars read directly. */
function encodeArrowTable(name: string, table: Table): Uint8Array[] {
  try {
    const writer = new ChunkCollectingFileWriter();
    writer.writeAll(table);
    writer.finish();
    return writer.chunks;
  } catch (error) {
    throw new UnstorableArtifactError(name, `Arrow IPC encoding failed: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------- JSON and structured clone

/**
 * Rejects what structured clone would refuse (functions, symbols) or silently change (class instances
 * lose their prototype and methods), naming the path inside the artifact.
 */
function checkStorable(name: string, root: unknown): void {
  const seen = new Set<object>();
  const visit = (value: unknown, where: string): void => {
    if (typeof value === 'function') throw new UnstorableArtifactError(name, `${where} is a function`);
    if (typeof value === 'symbol') throw new UnstorableArtifactError(name, `${where} is a symbol`);
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (types.isMap(value)) {
      for (const [key, item] of value) {
        visit(key, `${where} (a Map key)`);
        visit(item, `${where}.get(${describeKey(key)})`);
      }
      return;
    }
    if (types.isSet(value)) {
      for (const item of value) visit(item, `${where} (a Set element)`);
      return;
    }
    if (isCloneableBuiltin(value)) return;
    if (!Array.isArray(value) && !isPlainObject(value)) {
      const kind = value.constructor?.name
        ? `an instance of ${value.constructor.name}`
        : 'an object with a custom prototype';
      const hint = looksLikeArrowTable(value)
        ? '; store the Arrow Table as an artifact of its own'
        : '; store its data as a plain object instead';
      throw new UnstorableArtifactError(
        name,
        `${where} is ${kind}, which would come back as a plain object${hint}`,
      );
    }
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === 'symbol')
        throw new UnstorableArtifactError(name, `${where} has a symbol key ${key.toString()}`);
      visit(
        (value as Record<string, unknown>)[key],
        Array.isArray(value) ? `${where}[${key}]` : `${where}.${key}`,
      );
    }
  };
  visit(root, `self.${name}`);
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCloneableBuiltin(value: object): boolean {
  return (
    types.isDate(value) ||
    types.isRegExp(value) ||
    types.isAnyArrayBuffer(value) ||
    types.isArrayBufferView(value) ||
    types.isNativeError(value) ||
    types.isBoxedPrimitive(value)
  );
}

/** True when JSON.parse(JSON.stringify(value)) is deep-equal to value (same types, same keys, same numbers). */
function survivesJson(root: unknown): boolean {
  const ancestors = new Set<object>();
  const exact = (value: unknown): boolean => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
    if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
    if (typeof value !== 'object' || ancestors.has(value)) return false;
    ancestors.add(value);
    const ok = Array.isArray(value) ? exactArray(value) : exactObject(value);
    ancestors.delete(value);
    return ok;
  };
  const exactArray = (array: unknown[]): boolean =>
    Object.keys(array).length === array.length && array.every((item) => exact(item));
  const exactObject = (object: object): boolean =>
    Object.getPrototypeOf(object) === Object.prototype &&
    Object.keys(object).length === Reflect.ownKeys(object).length &&
    Object.values(object).every((item) => exact(item));
  return exact(root);
}
