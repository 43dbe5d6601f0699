// A reproduction's verdict as run.json stores it (origin.verdict): the counts, the first differing
// step and task with both values when they are small, the differing rows (bounded), and what was
// known to differ before the re-run (inputs, environment, drift) with the sentence that explains it.
import * as util from 'util';
import type { ArtifactRef, ReproductionDifference, ReproductionVerdict } from '../../records';
import { countPairs, firstDifference, type ArtifactComparison } from './compare';

/** Values up to this many rendered characters are shown side by side; larger ones by sha256. */
export const MAX_VALUE_CHARS = 200;
/** Objects larger than this are never read to render them. */
const MAX_VALUE_BYTES = 16 * 1024;
/** At most this many differing rows are stored in run.json (the counts cover all of them). */
const MAX_STORED_DIFFERENCES = 50;

type Loader = (ref: ArtifactRef) => unknown;

/** A renderer of small artifact values, each object read and rendered once. */
export function valueRenderer(load: Loader): (ref: ArtifactRef | undefined) => string {
  const seen = new Map<string, string>();
  return (ref) => {
    if (!ref) {
      return '-';
    }
    const known = seen.get(ref.sha256);
    if (known !== undefined) {
      return known;
    }
    const text = smallValue(load, ref) ?? `sha256 ${ref.sha256.slice(0, 12)}`;
    seen.set(ref.sha256, text);
    return text;
  };
}

function smallValue(load: Loader, ref: ArtifactRef): string | undefined {
  if (ref.codec === 'arrow' || ref.bytes > MAX_VALUE_BYTES) {
    return undefined;
  }
  let value: unknown;
  try {
    value = load(ref);
  } catch {
    return undefined; // a missing or damaged object: the hash still says which
  }
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : util.inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 40, maxStringLength: 200 });
  return text.length <= MAX_VALUE_CHARS ? text : undefined;
}

/**
 * The stored verdict. `known` lists what differed before the re-run (environment, inputs that could
 * not be restored, drift); `after` what the reproduction found beyond the artifacts (a different
 * compiled module, packages whose files differ).
 */
export function buildVerdict(options: {
  rows: ArtifactComparison[];
  runExitCode: number | null;
  known: string[];
  after: string[];
  drift: string[];
  rewrites: { path: string; from: string; to: string }[];
  valueText: (ref: ArtifactRef | undefined) => string;
}): ReproductionVerdict {
  const { rows, runExitCode, known, valueText } = options;
  const counts = countPairs(rows);
  const ok = runExitCode === 0 && rows.length > 0 && rows.every((r) => r.verdict === 'identical');
  const first = firstDifference(rows);
  const differing = rows.filter((r) => r.verdict !== 'identical');
  const difference = (r: ArtifactComparison): ReproductionDifference => ({
    step: r.step,
    ...(r.task ? { task: r.task.taskId, position: r.task.position } : {}),
    artifact: r.artifact,
    verdict: r.verdict as ReproductionDifference['verdict'],
    ...(r.cause ? { cause: r.cause } : {}),
    ...(r.tasks > 1 ? { tasks: r.tasks, mismatched: r.mismatched } : {}),
    original: valueText(r.original),
    reproduced: valueText(r.reproduced),
  });
  const startSteps = [...new Set(differing.filter((r) => r.cause === 'starts').map((r) => r.step))];
  return {
    result: ok ? 'identical' : 'different',
    ...counts,
    ...(first ? { first: difference(first) } : {}),
    ...(differing.length > 0
      ? {
          differences: differing.slice(0, MAX_STORED_DIFFERENCES).map(difference),
          ...(differing.length > MAX_STORED_DIFFERENCES
            ? { differencesOmitted: differing.length - MAX_STORED_DIFFERENCES }
            : {}),
        }
      : {}),
    ...(runExitCode !== 0 ? { why: `the reproduction run failed (exit ${runExitCode})` } : {}),
    known,
    explanation: explain(ok, runExitCode, startSteps, known, options.after),
    ...(options.drift.length > 0 ? { drift: options.drift } : {}),
    ...(options.rewrites.length > 0 ? { rewrites: options.rewrites } : {}),
  };
}

function explain(
  ok: boolean,
  runExitCode: number | null,
  startSteps: string[],
  known: string[],
  after: string[],
): string {
  if (ok) {
    return known.length === 0
      ? 'every artifact is identical; nothing was known to differ before the re-run'
      : `every artifact is identical, although before the re-run ${known.length} thing(s) were known to differ (${known.join('; ')})`;
  }
  if (runExitCode !== 0) {
    return `the reproduction run failed (exit ${runExitCode}) before every artifact could be compared`;
  }
  const where =
    startSteps.length === 0
      ? 'the differences'
      : `the difference starts in step${startSteps.length > 1 ? 's' : ''} ${startSteps.join(', ')}`;
  const found = after.length > 0 ? `; the re-run also found: ${after.join('; ')}` : '';
  if (known.length === 0) {
    return `${where}; nothing was known to differ before the re-run (same inputs, environment and locked dependencies), so ${startSteps.length > 1 ? 'these steps are' : 'that step is'} not deterministic (unseeded randomness, the clock, or something outside the record)${found}`;
  }
  return `${where}; before the re-run these were known to differ: ${known.join('; ')}${found}`;
}
