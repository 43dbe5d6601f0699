// Prediction ids: `<13-digit epoch ms>-<12 hex>`, like run ids. They sort by time, and the time names
// the day folder a prediction is logged in, so `cellflow replay ID` finds it without an index.
import { randomBytes } from 'crypto';

const ID = /^\d{13}-[0-9a-f]{12}$/;
let lastMs = 0;
let sequence = 0;

export function newPredictionId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = randomBytes(2).readUInt16BE() >> 1;
  } else if (++sequence > 0xffff) {
    lastMs += 1;
    sequence = 0;
  }
  return `${String(lastMs).padStart(13, '0')}-${sequence.toString(16).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}

export function isPredictionId(id: string): boolean {
  return ID.test(id);
}
