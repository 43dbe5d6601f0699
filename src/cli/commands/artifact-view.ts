// How `cellflow inspect --artifact` shows a value: JSON pretty-printed, Arrow tables as a preview with
// their size, bytes as length and a hex head, anything else (V8 values) as Node's inspect shows it.
import type { Table } from 'apache-arrow';
import { inspect } from 'util';
import { toDisplayJson } from '../../client/views';
import type { ArtifactRef } from '../../runtime';
import { renderTable } from './display';

const PREVIEW_ROWS = 10;
const HEX_HEAD = 64;

export function describeArtifact(name: string, ref: ArtifactRef, value: unknown): string {
  const header = `${name}  (${ref.codec}, ${ref.bytes} bytes, sha256 ${ref.sha256})\n`;
  switch (ref.codec) {
    case 'json':
      return header + JSON.stringify(value, null, 2) + '\n';
    case 'arrow':
      return header + previewTable(value as Table);
    case 'bytes':
      return header + hexHead(value as Uint8Array);
    default:
      return header + inspect(value, { depth: 8, maxArrayLength: 100, colors: false }) + '\n';
  }
}

function previewTable(table: Table): string {
  const names = table.schema.fields.map((field) => field.name);
  const types = table.schema.fields.map((field) => String(field.type));
  const rows: string[][] = [];
  for (let i = 0; i < Math.min(PREVIEW_ROWS, table.numRows); i++) {
    const row = table.get(i);
    rows.push(names.map((column) => cell(row?.[column])));
  }
  const shape = `${table.numRows} rows x ${names.length} columns`;
  const more = table.numRows > PREVIEW_ROWS ? `... ${table.numRows - PREVIEW_ROWS} more rows\n` : '';
  return (
    `Arrow table: ${shape}\n` +
    renderTable(
      names.map((n, i) => `${n}: ${types[i]}`),
      rows,
    ) +
    more
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'string') {
    return value.length > 40 ? `${value.slice(0, 39)}…` : value;
  }
  if (typeof value === 'object') {
    return inspect(value, { depth: 1, breakLength: Infinity });
  }
  return String(value);
}

function hexHead(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEX_HEAD));
  const hex = head.toString('hex').replace(/(..)/g, '$1 ').trim();
  return `${bytes.byteLength} bytes: ${hex}${bytes.byteLength > HEX_HEAD ? ' …' : ''}\n`;
}

/** The value as JSON: Maps become objects or entry lists, Sets arrays, BigInts strings, bytes base64. */
export function artifactAsJson(ref: ArtifactRef, value: unknown): unknown {
  if (ref.codec === 'arrow') {
    const table = value as Table;
    return {
      numRows: table.numRows,
      columns: table.schema.fields.map((f) => f.name),
      rows: toDisplayJson(table.toArray().map((row) => row?.toJSON())),
    };
  }
  if (ref.codec === 'bytes') {
    return {
      bytes: (value as Uint8Array).byteLength,
      base64: Buffer.from(value as Uint8Array).toString('base64'),
    };
  }
  return toDisplayJson(value);
}
