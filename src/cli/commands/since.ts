// `--since T` of the prediction commands: an ISO date or time (`2026-05-01`, `2026-05-01T10:00Z`),
// or a span back from now (`30m`, `6h`, `7d`).
import { InvalidArgumentError } from 'commander';

const SPAN = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseSince(value: string, now: number = Date.now()): Date {
  const span = SPAN.exec(value);
  if (span) {
    return new Date(now - Number(span[1]) * UNIT_MS[span[2]]);
  }
  const time = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(time)) {
    return new Date(time);
  }
  throw new InvalidArgumentError(
    `'${value}' is not a time: use an ISO date or time (2026-05-01, 2026-05-01T10:00Z) or a span (30m, 6h, 7d).`,
  );
}
