// The comm and display_data carry JSON: records go through a JSON round trip, which drops undefined
// members and turns the runtime's typed records into plain values.
import type { JsonValue } from '../src/core/model';

export function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** The same JSON round trip, keeping the value's type: what the receiver parses is what was typed. */
export function onTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
