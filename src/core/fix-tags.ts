// `cellflow lint --fix`: rewrites a notebook's comma tags (`next:a,b` → `next:a`, `next:b`) in the
// notebook's own JSON text. Only the bytes of those tag strings change: re-serialising the notebook
// would reformat it (indentation, key order, escapes, line endings) and bury the fix in a diff of
// the whole file. The JSON is located with the TypeScript compiler's JSON parser, which keeps every
// node's offsets.
import type * as TS from 'typescript';
import type { CellRef } from './model';
import { fixCellTags } from './tags';
import { typescript } from './typescript';

export interface TagFix {
  cell: CellRef;
  from: string;
  /** The tags written in its place (empty: they were all on the cell already, so it was removed). */
  to: string[];
}

export interface NotebookTagFix {
  /** The notebook text with the comma tags rewritten; the input itself when nothing changed. */
  text: string;
  changes: TagFix[];
  /** Comma tags no tags can replace (an `env:` value holding a comma), left as they were. */
  unfixable: { cell: CellRef; tag: string }[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Rewrites every comma tag of notebook JSON text. Text that is not a notebook comes back unchanged. */
export function fixNotebookTags(text: string): NotebookTagFix {
  const ts = typescript();
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = text.slice(bom);
  const file = ts.parseJsonText('notebook.ipynb', body);
  const none: NotebookTagFix = { text, changes: [], unfixable: [] };
  if (((file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? []).length > 0) {
    return none;
  }
  const root = file.statements[0]?.expression;
  const cells = root && property(ts, root, 'cells');
  if (!cells || !ts.isArrayLiteralExpression(cells)) {
    return none;
  }

  const result: NotebookTagFix = { text, changes: [], unfixable: [] };
  const edits: Edit[] = [];
  cells.elements.forEach((cellNode, index) => {
    const id = property(ts, cellNode, 'id');
    const cell = { index, id: id && ts.isStringLiteral(id) ? id.text : `cell-${index}` };
    const metadata = property(ts, cellNode, 'metadata');
    const tagsNode = metadata && property(ts, metadata, 'tags');
    if (!tagsNode || !ts.isArrayLiteralExpression(tagsNode)) {
      return;
    }
    const elements = tagsNode.elements;
    if (!elements.every(ts.isStringLiteral)) {
      return;
    }
    const tags = elements.map((e) => (e as TS.StringLiteral).text);
    const fixed = fixCellTags(tags);
    for (const tag of fixed.unfixable) {
      result.unfixable.push({ cell, tag });
    }
    let change = 0;
    elements.forEach((_, k) => {
      if (!tags[k].includes(',') || fixed.unfixable.includes(tags[k])) {
        return;
      }
      const { from, to } = fixed.changes[change++];
      result.changes.push({ cell, from, to });
      edits.push(replacement(body, elements, k, to, file));
    });
  });
  if (edits.length === 0) {
    return result;
  }
  let out = body;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  result.text = text.slice(0, bom) + out;
  return result;
}

function property(ts: typeof TS, node: TS.Node, name: string): TS.Expression | undefined {
  if (!ts.isObjectLiteralExpression(node)) {
    return undefined;
  }
  for (const p of node.properties) {
    if (ts.isPropertyAssignment(p) && ts.isStringLiteral(p.name) && p.name.text === name) {
      return p.initializer;
    }
  }
  return undefined;
}

/** The edit that puts `tags` where element k is, separated as the array already separates its
 * elements (same line break and indentation), or that removes it when `tags` is empty. */
function replacement(
  body: string,
  elements: TS.NodeArray<TS.Expression>,
  k: number,
  tags: string[],
  file: TS.SourceFile,
): Edit {
  const element = elements[k];
  const start = element.getStart(file);
  const end = element.end;
  if (tags.length === 0) {
    if (k > 0) {
      return { start: elements[k - 1].end, end, text: '' };
    }
    if (elements.length > 1) {
      return { start, end: elements[1].getStart(file), text: '' };
    }
    return { start, end, text: '' };
  }
  let ws = start;
  while (ws > 0 && /\s/.test(body[ws - 1])) {
    ws--;
  }
  const indent = body.slice(ws, start);
  const raw = body.slice(start, end);
  // Keep the file's escaping: a file written with \uXXXX escapes (Python's ensure_ascii) stays so.
  const asciiOnly = /\\u[0-9a-fA-F]{4}/.test(raw) || /\\u[0-9a-fA-F]{4}/.test(body.slice(0, 4096));
  const encoded = tags.map((t) => encode(t, asciiOnly));
  return { start, end, text: encoded.join(`,${indent}`) };
}

function encode(tag: string, asciiOnly: boolean): string {
  const json = JSON.stringify(tag);
  return asciiOnly
    ? json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : json;
}
