// The run browser's comparison of two or more runs: run facts, parameters, the numbers across runs (a
// table and a chart for each that varies), steps and artifacts, one column a run in start order, rows
// where the runs do not all agree marked, and the values of small differing artifacts fetched and shown
// beside each other. The comparison itself is run-compare.ts and run-compare-numbers.ts.
import { Widget } from '@lumino/widgets';
import type { ArtifactPreview, RunDetailResult } from '../core/protocol';
import { clear, el } from './dom';
import { renderPreview } from './preview';
import {
  type ArtifactRow,
  type CompareRow,
  compareRuns,
  type RunComparison,
  scalarCandidates,
  valuesToFetch,
} from './run-compare';
import { seriesChart } from './run-compare-chart';
import { formatNumber, numericSeries, previewKey } from './run-compare-numbers';
import { messageOf } from './run-detail-view';

/** Differing artifacts up to this size get their values shown side by side. */
const SMALL_VALUE_BYTES = 4096;
/** A JSON number takes at most this many bytes (`-1.2345678901234567e+308`). */
const SCALAR_BYTES = 32;
/** At most this many artifacts are read to find the numeric ones. */
const MAX_SCALARS = 40;

export type ArtifactSource = (taskPathspec: string, name: string) => Promise<ArtifactPreview>;

export class RunCompareView extends Widget {
  private readonly artifact: ArtifactSource;
  private shown: RunComparison | null = null;
  /** This comparison's previews, each asked for once. */
  private previews = new Map<string, Promise<ArtifactPreview>>();

  constructor(artifact: ArtifactSource) {
    super();
    this.artifact = artifact;
    this.addClass('cf-run-compare');
  }

  get comparison(): RunComparison | null {
    return this.shown;
  }

  showRuns(details: RunDetailResult[]): void {
    const comparison = compareRuns(details);
    this.shown = comparison;
    this.previews = new Map();
    clear(this.node);
    this.node.dataset.runs = comparison.runs.join(' ');
    const numbers = el('div', { className: 'cf-compare-numbers', dataset: { state: 'loading' } }, [
      el('div', { className: 'cf-muted', text: 'Reading the values…' }),
    ]);
    this.node.append(
      el('h2', { text: `Compare ${comparison.runs.length} runs of ${flowOf(comparison.runs[0])}` }),
      this.table(comparison, 'run', 'run', comparison.run),
      el('h3', { text: 'Parameters' }),
      comparison.params.length
        ? this.table(comparison, 'params', 'parameter', comparison.params)
        : el('div', { className: 'cf-muted', text: 'No parameters.' }),
      el('h3', { text: 'Numbers across runs' }),
      numbers,
      el('h3', { text: 'Steps' }),
      this.table(comparison, 'steps', 'step', comparison.steps),
      el('h3', { text: 'Artifacts' }),
      this.artifactTable(comparison),
    );
    for (const row of valuesToFetch(comparison, SMALL_VALUE_BYTES)) {
      void this.showValues(comparison, row);
    }
    void this.showNumbers(comparison, numbers);
  }

  private head(comparison: RunComparison, labels: string[]): HTMLElement {
    return el('thead', {}, [
      el('tr', {}, [
        ...labels.map((label) => el('th', { text: label })),
        ...comparison.runs.map((pathspec, i) =>
          el('th', { className: 'cf-compare-run', title: pathspec, dataset: { run: pathspec } }, [
            el('span', { className: 'cf-run-number', text: String(i + 1) }),
            el('span', { className: 'cf-compare-run-id', text: pathspec.split('/')[1] ?? pathspec }),
          ]),
        ),
      ]),
    ]);
  }

  private table(comparison: RunComparison, section: string, label: string, rows: CompareRow[]): HTMLElement {
    return el('table', { className: 'cf-table cf-compare-table', dataset: { section } }, [
      this.head(comparison, [label]),
      el(
        'tbody',
        {},
        rows.map((r) =>
          el(
            'tr',
            { className: r.same ? '' : 'cf-differs', dataset: { row: r.label, same: String(r.same) } },
            [
              el('th', { text: r.label }),
              ...r.values.map((v, i) => el('td', { text: v ?? '—', dataset: { run: comparison.runs[i] } })),
            ],
          ),
        ),
      ),
    ]);
  }

  private artifactTable(comparison: RunComparison): HTMLElement {
    if (!comparison.artifacts.length) {
      return el('div', { className: 'cf-muted', text: 'No artifacts.' });
    }
    const verdictText = (r: ArtifactRow) => {
      if (r.verdict !== 'missing') {
        return r.verdict;
      }
      return `in ${r.keys.filter((k) => k !== undefined).length} of ${r.keys.length}`;
    };
    return el('table', { className: 'cf-table cf-compare-table', dataset: { section: 'artifacts' } }, [
      this.head(comparison, ['step', 'artifact', '']),
      el(
        'tbody',
        {},
        comparison.artifacts.map((r) =>
          el(
            'tr',
            {
              className: r.verdict === 'equal' ? '' : 'cf-differs',
              dataset: { artifact: `${r.step}.${r.name}`, verdict: r.verdict },
            },
            [
              el('td', { text: r.step }),
              el('td', { className: 'cf-artifact-name', text: r.name }),
              el('td', { className: 'cf-verdict', text: verdictText(r) }),
              ...r.values.map((v, i) =>
                el('td', {
                  className: 'cf-compare-cell',
                  text: v ?? '—',
                  dataset: { run: comparison.runs[i] },
                }),
              ),
            ],
          ),
        ),
      ),
    ]);
  }

  private preview(task: string, name: string): Promise<ArtifactPreview> {
    const key = previewKey(task, name);
    let pending = this.previews.get(key);
    if (!pending) {
      pending = this.artifact(task, name);
      this.previews.set(key, pending);
    }
    return pending;
  }

  /** Adds the values themselves to a differing row's cells. */
  private async showValues(comparison: RunComparison, row: ArtifactRow): Promise<void> {
    const key = `${row.step}.${row.name}`;
    const cells = [...this.node.querySelectorAll<HTMLElement>('tr[data-artifact]')].find(
      (tr) => tr.dataset.artifact === key,
    );
    if (!cells) {
      return;
    }
    const fill = async (cell: HTMLElement, task: string) => {
      try {
        const preview = await this.preview(task, row.name);
        if (this.shown !== comparison) {
          return;
        }
        cell.dataset.value = 'shown';
        cell.append(el('div', { className: 'cf-compare-value' }, [renderPreview(preview)]));
      } catch (error) {
        if (this.shown === comparison) {
          cell.append(el('div', { className: 'cf-error', text: `Cannot preview: ${messageOf(error)}` }));
        }
      }
    };
    const runCells = [...cells.querySelectorAll<HTMLElement>('td.cf-compare-cell')];
    await Promise.all(row.tasks.map((task, i) => (task ? fill(runCells[i], task) : undefined)));
  }

  /** Reads the small JSON artifacts, then draws every numeric series as a row and each that varies as a chart. */
  private async showNumbers(comparison: RunComparison, into: HTMLElement): Promise<void> {
    const candidates = scalarCandidates(comparison, SCALAR_BYTES).slice(0, MAX_SCALARS);
    const previews = new Map<string, ArtifactPreview>();
    await Promise.all(
      candidates.flatMap((row) =>
        row.tasks.map(async (task) => {
          if (!task) {
            return;
          }
          try {
            previews.set(previewKey(task, row.name), await this.preview(task, row.name));
          } catch {
            // An artifact that cannot be read is left out of the numbers (its row says why).
          }
        }),
      ),
    );
    if (this.shown !== comparison) {
      return;
    }
    const series = numericSeries(comparison, candidates, previews);
    clear(into);
    into.dataset.state = 'ready';
    if (!series.length) {
      into.append(el('div', { className: 'cf-muted', text: 'No numbers to compare.' }));
      return;
    }
    const table = this.table(
      comparison,
      'numbers',
      'number',
      series.map((s) => ({ label: s.label, values: s.values.map(formatNumber), same: s.same })),
    );
    const varying = series.filter((s) => s.varies);
    into.append(
      table,
      varying.length
        ? el(
            'div',
            { className: 'cf-compare-charts' },
            varying.map((s) =>
              el('figure', { className: 'cf-compare-figure', dataset: { series: s.label } }, [
                el('figcaption', { text: s.label }),
                seriesChart(s, comparison.runs),
              ]),
            ),
          )
        : el('div', { className: 'cf-muted', text: 'Every number is the same in every run.' }),
    );
  }
}

function flowOf(pathspec: string | undefined): string {
  return pathspec?.split('/')[0] ?? '';
}
