// The comm and display_data carry JSON: records go through a JSON round trip, which drops undefined
// members and turns the runtime's typed records into plain values.
import type { JsonValue } from '../src/core/model';

export function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
