// Renders artifact previews (tables, JSON trees, bytes, text) and other JSON (run records) as DOM.
// Artifact contents are data, never markup: every value is set with textContent (see dom.ts).
import type { JsonValue } from '../core/model';
import type { ArtifactPreview } from '../core/protocol';
import { el } from './dom';
import { formatValue } from './format';

export function renderPreview(preview: ArtifactPreview): HTMLElement {
  switch (preview.kind) {
    case 'table':
      return renderTable(preview.columns, preview.rows, preview.totalRows);
    case 'json':
      return el('div', { className: 'cf-preview cf-preview-json' }, [
        recordsOf(preview.value) ? renderRecords(recordsOf(preview.value)!) : renderJsonTree(preview.value),
        preview.truncated ? el('div', { className: 'cf-preview-note', text: 'Preview truncated.' }) : null,
      ]);
    case 'bytes':
      return el('div', { className: 'cf-preview cf-preview-bytes' }, [
        el('div', { className: 'cf-preview-note', text: `${preview.length} bytes; first bytes in hex:` }),
        el('pre', { text: preview.hexHead }),
      ]);
    case 'text':
      return el('pre', { className: 'cf-preview cf-preview-text', text: preview.text });
    default:
      return el('pre', { className: 'cf-preview', text: JSON.stringify(preview, null, 2) });
  }
}

export function renderTable(columns: string[], rows: JsonValue[][], totalRows: number): HTMLElement {
  const table = tableOf(
    'cf-preview-table',
    columns,
    rows.map((row) => row.map((value) => el('td', { text: formatValue(value) }))),
  );
  const note =
    rows.length < totalRows
      ? `${rows.length} of ${totalRows} rows`
      : `${totalRows} row${totalRows === 1 ? '' : 's'}`;
  return el('div', { className: 'cf-preview cf-preview-arrow' }, [
    table,
    el('div', { className: 'cf-preview-note', text: note }),
  ]);
}

/** A header row of `columns` over rows of ready-made cells. */
function tableOf(className: string, columns: string[], rows: HTMLElement[][]): HTMLElement {
  return el('table', { className }, [
    el('thead', {}, [
      el(
        'tr',
        {},
        columns.map((c) => el('th', { text: c })),
      ),
    ]),
    el(
      'tbody',
      {},
      rows.map((cells) => el('tr', {}, cells)),
    ),
  ]);
}

type JsonRecord = { [key: string]: JsonValue };

/** The value as records (a non-empty array of plain objects: rows of a table), or undefined. */
export function recordsOf(value: JsonValue): JsonRecord[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    return undefined;
  }
  const isRecord = (v: JsonValue): v is JsonRecord =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  return value.every(isRecord) ? (value as JsonRecord[]) : undefined;
}

/** Records as a table, one column per key in first-seen order; a key a record lacks is an empty cell. */
export function renderRecords(records: JsonRecord[]): HTMLElement {
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const table = tableOf(
    'cf-preview-table cf-preview-records',
    columns,
    records.map((record) =>
      columns.map((c) =>
        Object.hasOwn(record, c)
          ? el('td', { text: formatValue(record[c]) })
          : el('td', { className: 'cf-missing' }),
      ),
    ),
  );
  return el('div', { className: 'cf-preview-records-wrap' }, [
    table,
    el('div', {
      className: 'cf-preview-note',
      text: `${records.length} record${records.length === 1 ? '' : 's'}`,
    }),
    el('details', { className: 'cf-preview-as-json' }, [
      el('summary', { text: 'as JSON' }),
      renderJsonTree(records, 0),
    ]),
  ]);
}

/** A collapsible tree: objects and arrays as <details>, leaves as typed spans. Open to `openDepth`. */
export function renderJsonTree(value: JsonValue, openDepth = 2): HTMLElement {
  return el('div', { className: 'cf-json-tree' }, [renderNode(value, openDepth, 0)]);
}

function renderNode(value: JsonValue, openDepth: number, depth: number): HTMLElement {
  if (value === null || typeof value !== 'object') {
    return renderLeaf(value);
  }
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const summary = Array.isArray(value)
    ? `Array(${value.length})`
    : `{${entries.length} key${entries.length === 1 ? '' : 's'}}`;
  const details = el('details', { className: 'cf-json-node' }, [
    el('summary', { text: summary }),
    el(
      'ul',
      {},
      entries.map(([key, child]) =>
        el('li', {}, [
          el('span', { className: 'cf-json-key', text: key }),
          ': ',
          renderNode(child, openDepth, depth + 1),
        ]),
      ),
    ),
  ]);
  details.open = depth < openDepth;
  return details;
}

function renderLeaf(value: JsonValue): HTMLElement {
  const type = value === null ? 'null' : typeof value;
  // Strings keep their quotes so "1" and 1 look different; the text is still only text.
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return el('span', { className: `cf-json-leaf cf-json-${type}`, text });
}
