// Artifact codecs, chosen per value: Arrow IPC for apache-arrow Tables, raw bytes for Uint8Array/Buffer,
// JSON when the value survives a JSON round trip exactly, V8 structured clone for the rest.
// Decoding only ever parses data: no codec can construct a function or run code.
import { DataType, RecordBatchFileWriter, RecordBatchStreamWriter, Table, tableFromIPC } from 'apache-arrow';
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
  // apache-arrow's instanceof also recognises Tables made by another copy of the library.
  if (value instanceof Table) return { codec: 'arrow', chunks: encodeArrowTable(name, value) };
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

/** What the Arrow codec needs from an apache-arrow library: this process's copy or a notebook project's. */
interface ArrowWriters {
  RecordBatchFileWriter: typeof RecordBatchFileWriter;
  RecordBatchStreamWriter: typeof RecordBatchStreamWriter;
}

const ownWriters: ArrowWriters = { RecordBatchFileWriter, RecordBatchStreamWriter };

/**
 * The library that built `table`. apache-arrow's writers only understand their own DataType instances,
 * so a Table from another copy (a notebook project that installs its own apache-arrow) must be written
 * by that copy; it is found among the loaded CommonJS modules.
 */
function writersFor(table: Table): ArrowWriters | undefined {
  if (table.schema.fields.every((field) => field.type instanceof DataType)) return ownWriters;
  for (const loaded of Object.values(require.cache)) {
    const exports = loaded?.exports as Partial<ArrowWriters & { Table: unknown }> | undefined;
    if (
      exports?.Table === table.constructor &&
      exports.RecordBatchFileWriter &&
      exports.RecordBatchStreamWriter
    ) {
      return exports as ArrowWriters;
    }
  }
  return undefined;
}

/**
 * A writer class that keeps its output as it goes instead of joining it into one buffer: the body
 * buffers it emits are views on the table's own memory, so encoding a large table copies no column.
 */
function collecting(Writer: typeof RecordBatchFileWriter) {
  return class CollectingWriter extends Writer {
    readonly chunks: Uint8Array[] = [];

    protected override _write(chunk: ArrayBufferView): this {
      if (this._started && chunk.byteLength > 0) {
        this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        this._position += chunk.byteLength;
      }
      return this;
    }
  };
}

/**
 * The IPC *file* format, which pyarrow.ipc.open_file, pandas and polars read directly. A table whose
 * batches carry different dictionaries cannot be a file (the format allows one dictionary per column),
 * so it is written in the IPC *stream* format instead (pyarrow.ipc.open_stream); both decode here.
 */
function encodeArrowTable(name: string, table: Table): Uint8Array[] {
  const writers = writersFor(table);
  if (!writers) {
    throw new UnstorableArtifactError(
      name,
      'the Arrow Table comes from a copy of apache-arrow that cellflow cannot find',
    );
  }
  const formats = [
    writers.RecordBatchFileWriter,
    writers.RecordBatchStreamWriter as typeof RecordBatchFileWriter,
  ];
  for (const [i, Writer] of formats.entries()) {
    try {
      const writer = new (collecting(Writer))();
      writer.writeAll(table);
      writer.finish();
      return writer.chunks;
    } catch (error) {
      const message = (error as Error).message;
      if (i === 0 && /replacement dictionaries/i.test(message)) continue;
      throw new UnstorableArtifactError(name, `Arrow IPC encoding failed: ${message}`);
    }
  }
  throw new Error('unreachable');
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
      const hint =
        value instanceof Table
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

/** `{}` or `Object.create(null)`, from any realm (the kernel may run cells in a vm context). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || (Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object');
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
    Object.getPrototypeOf(object) !== null &&
    isPlainObject(object) &&
    Object.keys(object).length === Reflect.ownKeys(object).length &&
    Object.values(object).every((item) => exact(item));
  return exact(root);
}
