// A run or task as escaped HTML: the `cellflow card` report and the kernel's text/html fallback for
// frontends without the cellflow renderer. Pure (no DOM), so it runs in Node and in the browser.
// Every string that comes from a run (names, values, messages, logs) goes through `escapeHtml`.
import { driftSummary } from './drift-summary';
import type { JsonValue } from './model';
import type { ArtifactPreview, CellflowDisplay, RunDetailResult, TaskView, VerdictView } from './protocol';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

const MAX_TASKS_SHOWN = 200;

/** Previews by task pathspec, then artifact name. */
export type ArtifactPreviews = Record<string, Record<string, ArtifactPreview>>;

const STATUS_COLORS: Record<string, string> = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  running: '#1565c0',
  pending: '#757575',
  cancelled: '#757575',
  abandoned: '#ef6c00',
};

function badge(status: string): string {
  const color = STATUS_COLORS[status] ?? '#757575';
  return `<span class="cf-status" style="color:${color};font-weight:600">${escapeHtml(status)}</span>`;
}

function duration(start?: string, end?: string): string {
  if (!start || !end) {
    return '';
  }
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? (ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`) : '';
}

function table(headers: string[], rows: string[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  return `<table class="cf-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function json(value: JsonValue | undefined): string {
  return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
}

/** Step status from its tasks: failed wins, then running, then all succeeded. */
function stepStatus(tasks: TaskView[]): string {
  if (tasks.length === 0) {
    return 'pending';
  }
  for (const status of ['failed', 'running', 'pending', 'cancelled']) {
    if (tasks.some((t) => t.status === status)) {
      return status;
    }
  }
  return 'succeeded';
}

function dagSection(detail: RunDetailResult): string {
  const { graph } = detail.run;
  const rows = graph.order.map((name) => {
    const node = graph.nodes[name];
    const tasks = detail.tasks.filter((t) => t.step === name);
    const status = stepStatus(tasks);
    const kind = node.foreach ? `${node.kind} (foreach ${node.foreach})` : node.kind;
    const next = node.next.length ? node.next.map(escapeHtml).join(', ') : '—';
    return [
      `<span data-step="${escapeHtml(name)}" data-status="${escapeHtml(status)}">${escapeHtml(name)}</span>`,
      escapeHtml(kind),
      `→ ${next}`,
      String(tasks.length),
      badge(status),
    ];
  });
  return `<h3>Steps</h3>${table(['step', 'kind', 'next', 'tasks', 'status'], rows)}`;
}

function previewHtml(preview: ArtifactPreview): string {
  switch (preview.kind) {
    case 'table': {
      const rows = preview.rows.map((row) =>
        row.map((cell) =>
          escapeHtml(cell === null ? 'null' : typeof cell === 'object' ? JSON.stringify(cell) : cell),
        ),
      );
      const more =
        preview.totalRows > preview.rows.length ? `<div>${preview.totalRows} rows in all</div>` : '';
      return table(preview.columns, rows) + more;
    }
    case 'json':
      return `<pre>${escapeHtml(JSON.stringify(preview.value, null, 2))}</pre>${preview.truncated ? '<div>(truncated)</div>' : ''}`;
    case 'bytes':
      return `<code>${preview.length} bytes: ${escapeHtml(preview.hexHead)}</code>`;
    case 'text':
      return `<pre>${escapeHtml(preview.text)}</pre>`;
  }
}

function taskSection(task: TaskView, previews: Record<string, ArtifactPreview> = {}): string {
  const pathspec = `${task.flow}/${task.runId}/${task.step}/${task.taskId}`;
  const attempts = task.attempts.map((a) => [
    String(a.attempt),
    badge(a.status),
    escapeHtml(a.startedAt),
    escapeHtml(duration(a.startedAt, a.finishedAt)),
    a.error
      ? escapeHtml(
          `${a.error.message}${a.error.cell ? ` (cell ${a.error.cell.index}${a.error.line ? `, line ${a.error.line}` : ''})` : ''}`,
        )
      : '',
  ]);
  const artifacts = Object.entries(task.artifacts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ref]) => [
      escapeHtml(name),
      escapeHtml(ref.codec),
      String(ref.bytes),
      `<code>${escapeHtml(ref.sha256.slice(0, 12))}</code>`,
      previews[name] ? previewHtml(previews[name]) : '',
    ]);
  return (
    `<section class="cf-task" data-task="${escapeHtml(pathspec)}"><h4>${escapeHtml(pathspec)} ${badge(task.status)}</h4>` +
    table(['attempt', 'status', 'started', 'duration', 'error'], attempts) +
    (artifacts.length ? table(['artifact', 'codec', 'bytes', 'sha256', 'value'], artifacts) : '') +
    '</section>'
  );
}

function reproSection(run: RunDetailResult['run']): string {
  const parts: [string, JsonValue | undefined][] = [
    ['source', run.source],
    ['lockfile', run.lockfile],
    ['environment', run.environment],
  ];
  const rows = parts
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [escapeHtml(name), `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`]);
  const drift = driftSummary(
    (run.lockfile as { drift?: Parameters<typeof driftSummary>[0] } | undefined)?.drift,
  );
  if (drift) {
    rows.unshift(['drift', `<strong class="cf-drift">${escapeHtml(drift)}</strong>`]);
  }
  return rows.length ? `<h3>Reproducibility</h3>${table(['record', 'value'], rows)}` : '';
}

/** A reproduction's verdict: the result, the counts, the explanation and each differing artifact. */
function verdictSection(verdict: VerdictView | undefined): string {
  if (!verdict) {
    return '';
  }
  const counts = `${verdict.identical} identical, ${verdict.different} different, ${verdict.missing} missing, ${verdict.added} added`;
  const head = `<p class="cf-verdict"><strong>${escapeHtml(`reproduction ${verdict.result}`)}</strong>: ${escapeHtml(counts)}</p>${verdict.explanation ? `<p>${escapeHtml(verdict.explanation)}</p>` : ''}`;
  const known = verdict.known?.length
    ? `<p>Known to differ before the re-run:</p><ul>${verdict.known.map((k) => `<li>${escapeHtml(k)}</li>`).join('')}</ul>`
    : '';
  const rows = (verdict.differences ?? []).map((d) => [
    escapeHtml(d.step),
    escapeHtml(d.task ? `${d.task} ${d.position ?? ''}`.trim() : ''),
    escapeHtml(d.artifact),
    escapeHtml(d.verdict),
    `<code>${escapeHtml(d.original ?? '-')}</code>`,
    `<code>${escapeHtml(d.reproduced ?? '-')}</code>`,
    escapeHtml(d.cause === 'starts' ? 'difference starts here' : (d.cause ?? '')),
  ]);
  const differences = rows.length
    ? table(['step', 'task', 'artifact', 'result', 'original', 'reproduced', 'cause'], rows)
    : '';
  return `<h3>Reproduction</h3>${head}${known}${differences}`;
}

/** An HTML fragment for a run (header, steps, tasks with artifacts, reproducibility) or one task. */
export function renderDisplayHtml(display: CellflowDisplay, previews: ArtifactPreviews = {}): string {
  if (display.kind === 'task') {
    const t = display.task;
    return `<div class="cellflow-display">${taskSection(t, previews[`${t.flow}/${t.runId}/${t.step}/${t.taskId}`])}</div>`;
  }
  const { run } = display;
  const header = table(
    ['run', 'status', 'user', 'started', 'duration', 'params', 'tags'],
    [
      [
        escapeHtml(`${run.flow}/${run.runId}`),
        badge(run.status),
        escapeHtml(run.user),
        escapeHtml(run.createdAt),
        escapeHtml(duration(run.createdAt, run.finishedAt)),
        json(run.params),
        escapeHtml(run.tags.join(', ')),
      ],
    ],
  );
  const origin = run.origin
    ? `<p>${escapeHtml(`${run.origin.kind} of ${run.origin.pathspec}`)}</p>${verdictSection(run.origin.verdict)}`
    : '';
  // A 10,000-task foreach stays readable: the first tasks in full, then a count.
  const shown = display.tasks.slice(0, MAX_TASKS_SHOWN);
  const more = display.tasks.length - shown.length;
  const tasks =
    shown.map((t) => taskSection(t, previews[`${t.flow}/${t.runId}/${t.step}/${t.taskId}`])).join('') +
    (more > 0 ? `<p>… and ${more} more tasks</p>` : '');
  return `<div class="cellflow-display">${header}${origin}${dagSection(display)}<h3>Tasks</h3>${tasks}${reproSection(run)}</div>`;
}

const CARD_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
.cf-table{border-collapse:collapse;margin:.5em 0}.cf-table td,.cf-table th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
pre{margin:0;max-height:24em;overflow:auto}`;

/** A self-contained HTML page (no scripts, no external resources) for `cellflow card`. */
export function renderCardPage(display: CellflowDisplay, previews: ArtifactPreviews = {}): string {
  const title =
    display.kind === 'run'
      ? `${display.run.flow}/${display.run.runId}`
      : `${display.task.flow}/${display.task.runId}/${display.task.step}/${display.task.taskId}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script may run in a card, whatever an artifact holds.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>cellflow ${escapeHtml(title)}</title><style>${CARD_STYLE}</style></head>`,
    `<body><h2>cellflow ${escapeHtml(title)}</h2>${renderDisplayHtml(display, previews)}</body></html>`,
    '',
  ].join('\n');
}
