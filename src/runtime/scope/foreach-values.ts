// What `foreach:ARTIFACT` fans out over: any iterable (array, string, Map, Set, generator, an Arrow
// table's rows), turned into an array once, in the split task, so every body task sees the same
// elements by position.
import { isArrowTable } from '../codecs/codecs';

export class ForeachValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeachValueError';
  }
}

/** The elements of the foreach artifact, in iteration order; throws naming the artifact otherwise. */
export function foreachElements(artifact: string, value: unknown): unknown[] {
  let elements: unknown[];
  if (Array.isArray(value)) {
    elements = value;
  } else if (isArrowTable(value)) {
    // Rows as plain objects: Arrow's row proxies cannot be stored or sent to another task.
    elements = (value as { toArray(): { toJSON(): unknown }[] }).toArray().map((row) => row.toJSON());
  } else if (isIterable(value)) {
    elements = Array.from(value);
  } else {
    throw new ForeachValueError(
      `foreach:${artifact} needs self.${artifact} to be iterable (an array, string, Map, Set, generator or Arrow table), got ${describeType(value)}.`,
    );
  }
  if (elements.length === 0) {
    throw new ForeachValueError(`foreach:${artifact} has no elements: self.${artifact} is empty.`);
  }
  return elements;
}

/** A one-shot iterator (a generator): it cannot be stored, so the artifact becomes its elements. */
export function isOneShotIterator(value: unknown): boolean {
  return (
    isIterable(value) &&
    typeof (value as { next?: unknown }).next === 'function' &&
    (value as Iterable<unknown>)[Symbol.iterator]() === (value as unknown)
  );
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    (typeof value === 'string' || (typeof value === 'object' && value !== null)) &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  );
}

export function describeType(value: unknown): string {
  if (value === undefined) {
    return 'undefined (was it assigned?)';
  }
  if (value === null) {
    return 'null';
  }
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
