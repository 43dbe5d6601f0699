// Input drift of a served model (`cellflow monitor`): per numeric feature, the logged requests
// against the reference data the run recorded, as the population stability index (PSI, over the
// reference's deciles) and the two-sample Kolmogorov–Smirnov statistic. Pure: the CLI and the kernel
// compute it, the JupyterLab run browser draws it.

export type DriftLevel = 'stable' | 'moderate' | 'major';

export interface FeatureDrift {
  feature: string;
  reference: { count: number; mean: number };
  requests: { count: number; mean: number };
  /** Population stability index; under 0.1 is usually read as stable, 0.25 and over as a major shift. */
  psi: number;
  /** Largest distance between the two empirical distribution functions, 0..1. */
  ks: number;
  level: DriftLevel;
}

const BINS = 10;
/** Stands in for an empty bin's share, so PSI stays finite (the usual convention). */
const EMPTY_SHARE = 1e-4;

/**
 * Numeric columns of reference data: an array of records (`[{ a: 1, b: 2 }, ...]`), an object of
 * arrays (`{ a: [1, ...] }`), or anything with `schema.fields` and `getChild(name).toArray()` (an Arrow table).
 */
export function numericColumns(data: unknown): Map<string, number[]> {
  const columns = new Map<string, number[]>();
  const add = (name: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return;
    }
    let column = columns.get(name);
    if (!column) {
      columns.set(name, (column = []));
    }
    column.push(value);
  };
  if (Array.isArray(data)) {
    for (const row of data) {
      if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
        for (const [name, value] of Object.entries(row as Record<string, unknown>)) {
          add(name, value);
        }
      }
    }
    return columns;
  }
  const table = data as { schema?: { fields?: { name: string }[] }; getChild?: (n: string) => unknown };
  if (table && Array.isArray(table.schema?.fields) && typeof table.getChild === 'function') {
    for (const { name } of table.schema!.fields!) {
      const child = table.getChild(name) as { toArray?: () => ArrayLike<unknown> } | null;
      for (const value of Array.from(child?.toArray?.() ?? [])) {
        add(name, typeof value === 'bigint' ? Number(value) : value);
      }
    }
    return columns;
  }
  if (data !== null && typeof data === 'object') {
    for (const [name, values] of Object.entries(data as Record<string, unknown>)) {
      if (Array.isArray(values)) {
        values.forEach((v) => add(name, v));
      }
    }
  }
  return columns;
}

/** Drift of every feature numeric in both the reference and the requests, in the reference's order. */
export function featureDrift(
  reference: Map<string, number[]>,
  requests: Map<string, number[]>,
): FeatureDrift[] {
  const out: FeatureDrift[] = [];
  for (const [feature, expected] of reference) {
    const actual = requests.get(feature);
    if (!actual || actual.length === 0 || expected.length === 0) {
      continue;
    }
    const psi = populationStabilityIndex(expected, actual);
    out.push({
      feature,
      reference: { count: expected.length, mean: mean(expected) },
      requests: { count: actual.length, mean: mean(actual) },
      psi,
      ks: kolmogorovSmirnov(expected, actual),
      level: psi < 0.1 ? 'stable' : psi < 0.25 ? 'moderate' : 'major',
    });
  }
  return out;
}

/** PSI = Σ (a − e) · ln(a / e) over bins cut at the reference's deciles (ties merge bins). */
export function populationStabilityIndex(expected: number[], actual: number[]): number {
  const sorted = [...expected].sort((a, b) => a - b);
  const edges = [
    ...new Set(
      Array.from(
        { length: BINS - 1 },
        (_, i) => sorted[Math.min(sorted.length - 1, Math.floor(((i + 1) * sorted.length) / BINS))],
      ),
    ),
  ];
  const shares = (values: number[]): number[] => {
    const counts = new Array(edges.length + 1).fill(0);
    for (const v of values) {
      counts[binOf(edges, v)]++;
    }
    return counts.map((c) => Math.max(c / values.length, EMPTY_SHARE));
  };
  const e = shares(expected);
  const a = shares(actual);
  return round(e.reduce((sum, ei, i) => sum + (a[i] - ei) * Math.log(a[i] / ei), 0));
}

/** The first bin whose upper edge is >= v (bins are (-inf, e0), [e0, e1), ..., [ek, inf)). */
function binOf(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

/** sup |F_expected(x) − F_actual(x)| over all x. */
export function kolmogorovSmirnov(expected: number[], actual: number[]): number {
  const a = [...expected].sort((x, y) => x - y);
  const b = [...actual].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i], b[j]);
    while (i < a.length && a[i] <= x) {
      i++;
    }
    while (j < b.length && b[j] <= x) {
      j++;
    }
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return round(d);
}

function mean(values: number[]): number {
  return round(values.reduce((s, v) => s + v, 0) / values.length);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
