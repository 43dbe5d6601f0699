// The run browser's comparison of two runs: run facts, parameters, steps and artifacts in three
// columns (what, run A, run B), differing rows marked, and the values of small differing artifacts
// fetched and shown beside each other. The comparison itself is run-compare.ts.
import { Widget } from '@lumino/widgets';
import type { ArtifactPreview, RunDetailResult } from '../core/protocol';
import { clear, el } from './dom';
import { renderPreview } from './preview';
import {
  type ArtifactRow,
  type CompareRow,
  compareRuns,
  type RunComparison,
  valuesToFetch,
} from './run-compare';
import { messageOf } from './run-detail-view';

/** Differing artifacts up to this size get their values shown side by side. */
const SMALL_VALUE_BYTES = 4096;

export type ArtifactSource = (taskPathspec: string, name: string) => Promise<ArtifactPreview>;

export class RunCompareView extends Widget {
  private readonly artifact: ArtifactSource;
  private shown: RunComparison | null = null;

  constructor(artifact: ArtifactSource) {
    super();
    this.artifact = artifact;
    this.addClass('cf-run-compare');
  }

  get comparison(): RunComparison | null {
    return this.shown;
  }

  showRuns(a: RunDetailResult, b: RunDetailResult): void {
    const comparison = compareRuns(a, b);
    this.shown = comparison;
    clear(this.node);
    this.node.dataset.a = comparison.a;
    this.node.dataset.b = comparison.b;
    const head = (label: string) =>
      el('thead', {}, [
        el('tr', {}, [
          el('th', { text: label }),
          el('th', { text: comparison.a }),
          el('th', { text: comparison.b }),
        ]),
      ]);
    const table = (section: string, label: string, rows: CompareRow[]) =>
      el('table', { className: 'cf-table cf-compare-table', dataset: { section } }, [
        head(label),
        el(
          'tbody',
          {},
          rows.map((r) =>
            el(
              'tr',
              { className: r.same ? '' : 'cf-differs', dataset: { row: r.label, same: String(r.same) } },
              [el('th', { text: r.label }), el('td', { text: r.a ?? '—' }), el('td', { text: r.b ?? '—' })],
            ),
          ),
        ),
      ]);
    this.node.append(
      el('h2', { text: `Compare ${comparison.a} and ${comparison.b}` }),
      table('run', 'run', comparison.run),
      el('h3', { text: 'Parameters' }),
      comparison.params.length
        ? table('params', 'parameter', comparison.params)
        : el('div', { className: 'cf-muted', text: 'No parameters.' }),
      el('h3', { text: 'Steps' }),
      table('steps', 'step', comparison.steps),
      el('h3', { text: 'Artifacts' }),
      this.artifactTable(comparison),
    );
    for (const row of valuesToFetch(comparison, SMALL_VALUE_BYTES)) {
      void this.showValues(comparison, row);
    }
  }

  private artifactTable(comparison: RunComparison): HTMLElement {
    if (!comparison.artifacts.length) {
      return el('div', { className: 'cf-muted', text: 'No artifacts.' });
    }
    const verdictText: Record<ArtifactRow['verdict'], string> = {
      equal: 'equal',
      different: 'different',
      'only-a': 'only in A',
      'only-b': 'only in B',
    };
    return el('table', { className: 'cf-table cf-compare-table', dataset: { section: 'artifacts' } }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          ['step', 'artifact', '', comparison.a, comparison.b].map((h) => el('th', { text: h })),
        ),
      ]),
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
              el('td', { className: 'cf-verdict', text: verdictText[r.verdict] }),
              el('td', { className: 'cf-compare-a', text: r.a ?? '—' }),
              el('td', { className: 'cf-compare-b', text: r.b ?? '—' }),
            ],
          ),
        ),
      ),
    ]);
  }

  /** Replaces a differing row's two cells with the values themselves. */
  private async showValues(comparison: RunComparison, row: ArtifactRow): Promise<void> {
    const key = `${row.step}.${row.name}`;
    const cells = [...this.node.querySelectorAll<HTMLElement>('tr[data-artifact]')].find(
      (tr) => tr.dataset.artifact === key,
    );
    if (!cells) {
      return;
    }
    const fill = async (selector: string, task: string) => {
      const cell = cells.querySelector<HTMLElement>(selector)!;
      try {
        const preview = await this.artifact(task, row.name);
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
    await Promise.all([fill('.cf-compare-a', row.taskA!), fill('.cf-compare-b', row.taskB!)]);
  }
}
