// The numbers across compared runs: each numeric parameter, each numeric scalar artifact and the run
// duration as one series (a value per run, oldest first), and the geometry of a small line chart of a
// series. Pure: the view fetches the artifact previews and draws what this lays out.
import type { ArtifactPreview } from '../core/protocol';
import type { ArtifactRow, RunComparison } from './run-compare';

export interface NumericSeries {
  label: string;
  source: 'run' | 'parameter' | 'artifact';
  /** One a run, in the comparison's column order; undefined where that run has no number. */
  values: (number | undefined)[];
  /** Whether the row is not a difference: all runs agree, or it is the duration (a fact to read). */
  same: boolean;
  /** Not every run has the same value: worth a chart. */
  varies: boolean;
}

/** Where a fetched preview is filed: the task's pathspec and the artifact's name. */
export const previewKey = (task: string, name: string) => `${task}:${name}`;

function series(label: string, source: NumericSeries['source'], raw: unknown[]): NumericSeries | undefined {
  const present = raw.filter((v) => v !== undefined);
  // A series only when every value a run has is a finite number (a parameter that is text in one run
  // is not charted).
  if (!present.length || !present.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return undefined;
  }
  const values = raw as (number | undefined)[];
  const varies = values.some((v) => v !== values[0]);
  // Durations always differ between runs, as the run table's duration row does not count as a difference.
  return { label, source, values, same: source === 'run' || !varies, varies };
}

/**
 * The run durations (seconds), then the numeric parameters, then the numeric scalars among
 * `candidates` whose previews have arrived (`previews` by `previewKey`).
 */
export function numericSeries(
  comparison: RunComparison,
  candidates: ArtifactRow[],
  previews: ReadonlyMap<string, ArtifactPreview>,
): NumericSeries[] {
  const out: (NumericSeries | undefined)[] = [
    series(
      'duration (s)',
      'run',
      comparison.durationsMs.map((ms) => (ms === undefined ? undefined : ms / 1000)),
    ),
  ];
  for (const param of comparison.params) {
    out.push(
      series(
        param.label,
        'parameter',
        comparison.paramValues.map((p) => p[param.label]),
      ),
    );
  }
  for (const row of candidates) {
    const values = row.tasks.map((task) => {
      const preview = task === undefined ? undefined : previews.get(previewKey(task, row.name));
      // A value not fetched (or not JSON) is not a number: null keeps the series out.
      if (task === undefined) {
        return undefined;
      }
      return preview?.kind === 'json' && !preview.truncated ? preview.value : null;
    });
    // A parameter is an artifact of every task too: its copy is the parameter's row already.
    const param = comparison.paramValues.map((p) => p[row.name]);
    if (values.every((v, i) => v === param[i])) {
      continue;
    }
    const where = row.element === undefined ? row.step : `${row.step}[${row.element + 1}]`;
    out.push(series(`${where}.${row.name}`, 'artifact', values));
  }
  return out.filter((s): s is NumericSeries => s !== undefined);
}

/** `0.8243`, `12`, `1.5e+7`: enough digits to tell runs apart, no float noise. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) {
    return '—';
  }
  return String(Number(value.toPrecision(6)));
}

export interface ChartMark {
  /** The run's column (0-based). */
  run: number;
  x: number;
  y: number;
  value: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  /** The plot area, inside the axis labels. */
  plot: { left: number; top: number; right: number; bottom: number };
  marks: ChartMark[];
  /** The line through consecutive runs that both have a value. */
  segments: { x1: number; y1: number; x2: number; y2: number }[];
  /** The y axis' two labels (highest and lowest value) and the x axis' run numbers (1-based). */
  yLabels: { y: number; text: string }[];
  xLabels: { x: number; text: string }[];
}

export const CHART_SIZE = { width: 280, height: 120 };
const MARGIN = { left: 56, right: 14, top: 10, bottom: 22 };

/** A line chart of one series over the runs in start order, a mark per run that has a value. */
export function layoutChart(values: (number | undefined)[], size = CHART_SIZE): ChartLayout {
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    right: size.width - MARGIN.right,
    bottom: size.height - MARGIN.bottom,
  };
  const numbers = values.filter((v): v is number => v !== undefined);
  const min = numbers.length ? Math.min(...numbers) : 0;
  const max = numbers.length ? Math.max(...numbers) : 0;
  const xOf = (i: number) =>
    values.length === 1
      ? (plot.left + plot.right) / 2
      : plot.left + (i * (plot.right - plot.left)) / (values.length - 1);
  // Equal values sit on one line through the middle rather than on an axis.
  const yOf = (v: number) =>
    max === min
      ? (plot.top + plot.bottom) / 2
      : plot.bottom - ((v - min) / (max - min)) * (plot.bottom - plot.top);
  const round = (n: number) => Math.round(n * 10) / 10;
  const marks: ChartMark[] = [];
  values.forEach((value, run) => {
    if (value !== undefined) {
      marks.push({ run, x: round(xOf(run)), y: round(yOf(value)), value });
    }
  });
  const segments = marks
    .slice(1)
    .map((mark, i) => [marks[i], mark] as const)
    .filter(([a, b]) => b.run === a.run + 1)
    .map(([a, b]) => ({ x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
  const yLabels =
    max === min
      ? [{ y: round(yOf(max)), text: formatNumber(max) }]
      : [
          { y: plot.top, text: formatNumber(max) },
          { y: plot.bottom, text: formatNumber(min) },
        ];
  const xLabels = values.map((_, i) => ({ x: round(xOf(i)), text: String(i + 1) }));
  return { ...size, plot, marks, segments, yLabels, xLabels };
}
