// Artifact codecs, chosen per value: Arrow IPC for apache-arrow Tables, raw bytes for Uint8Array/Buffer,
// JSON when the value survives a JSON round trip exactly, V8 structured clone for the rest.
// Decoding only ever parses data: no codec can construct a function or run code.
import { types } from 'util';
import type { Table } from 'apache-arrow';
import type { Codec } from '../records';

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
  // As a key of the record's artifact index, '__proto__' would set the index's prototype instead of
  // storing the artifact: refuse it rather than lose the value silently.
  if (name === '__proto__') {
    throw new UnstorableArtifactError(
      name,
      "the name '__proto__' is reserved by JavaScript; use another name",
    );
  }
  if (isArrowTable(value)) {
    try {
      return { codec: 'arrow', chunks: arrowCodec().encodeArrowTable(value) };
    } catch (error) {
      throw new UnstorableArtifactError(name, (error as Error).message);
    }
  }
  // Plain Uint8Array or Buffer (from any realm); other typed arrays keep their type through v8.
  if (types.isUint8Array(value) && (Buffer.isBuffer(value) || value.constructor?.name === 'Uint8Array')) {
    return { codec: 'bytes', chunks: [value] };
  }
  checkStorable(name, value);
  if (survivesJson(value)) {
    return { codec: 'json', chunks: [Buffer.from(JSON.stringify(value), 'utf8')] };
  }
  try {
    return { codec: 'v8', chunks: [v8().serialize(value)] };
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
      return arrowCodec().decodeArrowTable(bytes);
    case 'bytes':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    case 'json':
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    case 'v8':
      return v8().deserialize(bytes);
    default:
      throw new Error(`unknown artifact codec ${JSON.stringify(codec)}`);
  }
}

/** node:v8 costs a few ms to load in every task process; most tasks store only JSON. */
function v8(): typeof import('v8') {
  return require('v8');
}

// ---------------------------------------------------------------- Arrow, loaded on demand

/** apache-arrow marks its Tables (from any copy of the library) with this symbol. */
const ARROW_TABLE = Symbol.for('apache-arrow/Table');

export function isArrowTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ARROW_TABLE] === true
  );
}

/** apache-arrow is slow to load: only values that are Tables, and readers of them, pay for it. */
function arrowCodec(): typeof import('./arrow-codec') {
  return require('./arrow-codec');
}

// ---------------------------------------------------------------- JSON and structured clone

/**
 * Rejects what structured clone would refuse (functions, symbols) or silently change (class instances
 * lose their prototype and methods), naming the path inside the artifact.
 */
function checkStorable(name: string, root: unknown): void {
  const seen = new Set<object>();
  const visit = (value: unknown, where: string): void => {
    if (typeof value === 'function') {
      throw new UnstorableArtifactError(name, `${where} is a function`);
    }
    if (typeof value === 'symbol') {
      throw new UnstorableArtifactError(name, `${where} is a symbol`);
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) {
      return;
    }
    seen.add(value);
    if (types.isMap(value)) {
      for (const [key, item] of value) {
        visit(key, `${where} (a Map key)`);
        visit(item, `${where}.get(${describeKey(key)})`);
      }
      return;
    }
    if (types.isSet(value)) {
      for (const item of value) {
        visit(item, `${where} (a Set element)`);
      }
      return;
    }
    if (isCloneableBuiltin(value)) {
      return;
    }
    if (!Array.isArray(value) && !isPlainObject(value)) {
      const kind = value.constructor?.name
        ? `an instance of ${value.constructor.name}`
        : 'an object with a custom prototype';
      const hint = isArrowTable(value)
        ? '; store the Arrow Table as an artifact of its own'
        : '; store its data as a plain object instead';
      throw new UnstorableArtifactError(
        name,
        `${where} is ${kind}, which would come back as a plain object${hint}`,
      );
    }
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === 'symbol') {
        throw new UnstorableArtifactError(name, `${where} has a symbol key ${key.toString()}`);
      }
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
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      return true;
    }
    if (typeof value === 'number') {
      return Number.isFinite(value) && !Object.is(value, -0);
    }
    if (typeof value !== 'object' || ancestors.has(value)) {
      return false;
    }
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
