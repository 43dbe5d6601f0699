// Run ids: `<13-digit epoch ms>-<4 hex sequence><8 hex random>`, e.g. `1718000000123-9f2c4e1a7b30`.
// Lexical order is time order, which every listing relies on (newest first = greatest id).
import { randomBytes, randomInt } from 'crypto';

let lastRunIdMs = 0;
/** Orders ids made within one millisecond of this process; starts at random to keep processes apart. */
let runIdSequence = 0;
const RUN_ID_SEQUENCE_MAX = 0xffff;

export function newRunId(): string {
  // Ids made in the same millisecond are ordered by a sequence rather than by moving the clock
  // forward, so a burst of ids never sorts after an id another process makes a moment later.
  const now = Date.now();
  if (now > lastRunIdMs) {
    lastRunIdMs = now;
    runIdSequence = randomInt(0, RUN_ID_SEQUENCE_MAX >> 1);
  } else if (++runIdSequence > RUN_ID_SEQUENCE_MAX) {
    lastRunIdMs += 1; // 32,768 ids in one millisecond: borrow the next one
    runIdSequence = 0;
  }
  const sequence = runIdSequence.toString(16).padStart(4, '0');
  return `${String(lastRunIdMs).padStart(13, '0')}-${sequence}${randomBytes(4).toString('hex')}`;
}
