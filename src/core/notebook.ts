// Reads nbformat 4 (4.0–4.5) notebook JSON into the Notebook model. Every way the text can fail to be
// such a notebook becomes a diagnostic (rule `invalid-notebook`) rather than an exception.
import type { CellType, Diagnostic, JsonValue, Notebook, NotebookCell } from './model';

export interface NotebookParse {
  notebook?: Notebook;
  diagnostics: Diagnostic[];
}

const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CELL_TYPES: readonly CellType[] = ['code', 'markdown', 'raw'];

function problem(message: string, cell?: { index: number; id: string }): Diagnostic {
  return { severity: 'error', rule: 'invalid-notebook', message, ...(cell ? { cell } : {}) };
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

/** Line and column (1-based) of a character offset, for JSON syntax errors. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const where = at ? ` at ${position(text, Number(at[1]))}` : '';
    // V8's message quotes a slice of the text; keep only its first line, short.
    const reason = message
      .split('\n')[0]
      .replace(/\s*in JSON at position \d+.*$/, '')
      .slice(0, 120);
    return { error: `not valid JSON${where}: ${reason}` };
  }
}

/** nbformat's `source`: a string or a list of strings (lines with their newlines). */
function readSource(raw: unknown): string | undefined {
  if (raw === undefined) {
    return '';
  }
  if (typeof raw === 'string') {
    return raw;
  }
  if (Array.isArray(raw) && raw.every((line) => typeof line === 'string')) {
    return raw.join('');
  }
  return undefined;
}

function readCell(raw: unknown, index: number, diagnostics: Diagnostic[]): NotebookCell | undefined {
  const fallbackRef = { index, id: `cell-${index}` };
  if (!isObject(raw)) {
    diagnostics.push(problem(`cell ${index} is ${describe(raw)}, not a cell object`, fallbackRef));
    return undefined;
  }
  let id = fallbackRef.id;
  if (raw.id !== undefined) {
    if (typeof raw.id !== 'string' || !CELL_ID.test(raw.id)) {
      diagnostics.push(
        problem(
          `cell ${index} has an invalid id ${describe(raw.id)}: nbformat ids are 1–64 letters, digits, '-' or '_'`,
          fallbackRef,
        ),
      );
      return undefined;
    }
    id = raw.id;
  }
  // A cell without an id (nbformat < 4.5, or a 4.5 file written by hand) keeps the derived `cell-N`.
  const ref = { index, id };
  const cellType = raw.cell_type;
  if (typeof cellType !== 'string' || !(CELL_TYPES as readonly string[]).includes(cellType)) {
    diagnostics.push(
      problem(`cell ${index} has cell_type ${describe(cellType)}; expected code, markdown or raw`, ref),
    );
    return undefined;
  }
  const source = readSource(raw.source);
  if (source === undefined) {
    diagnostics.push(
      problem(
        `cell ${index} has a source that is ${describe(raw.source)}; expected a string or a list of strings`,
        ref,
      ),
    );
    return undefined;
  }
  const metadata = raw.metadata ?? {};
  if (!isObject(metadata)) {
    diagnostics.push(
      problem(`cell ${index} has metadata that is ${describe(metadata)}; expected an object`, ref),
    );
    return undefined;
  }
  const tags = metadata.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) {
    diagnostics.push(
      problem(`cell ${index} has metadata.tags that is ${describe(tags)}; expected a list of strings`, ref),
    );
    return undefined;
  }
  return { index, id, cellType: cellType as CellType, source, tags: tags as string[] };
}

/** Parses notebook text. `path` is only used in messages by callers; core does no I/O. */
export function parseNotebook(text: string): NotebookParse {
  const json = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (json.error !== undefined) {
    return { diagnostics: [problem(json.error)] };
  }
  const root = json.value;
  if (!isObject(root)) {
    return { diagnostics: [problem(`the file holds ${describe(root)}, not a notebook object`)] };
  }
  if (root.nbformat !== 4) {
    const found = root.nbformat === undefined ? 'no nbformat field' : `nbformat ${describe(root.nbformat)}`;
    return {
      diagnostics: [
        problem(
          `${found}: cellflow reads nbformat 4 notebooks (4.0–4.5); convert with 'jupyter nbconvert --to notebook --nbformat 4'`,
        ),
      ],
    };
  }
  const minor = root.nbformat_minor ?? 0;
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) {
    return { diagnostics: [problem(`nbformat_minor is ${describe(minor)}; expected a whole number (0–5)`)] };
  }
  const metadata = root.metadata ?? {};
  if (!isObject(metadata)) {
    return { diagnostics: [problem(`the notebook metadata is ${describe(metadata)}; expected an object`)] };
  }
  if (!Array.isArray(root.cells)) {
    const found = root.cells === undefined ? 'has no cells' : `has cells that are ${describe(root.cells)}`;
    return { diagnostics: [problem(`the notebook ${found}; expected a list of cells`)] };
  }
  const diagnostics: Diagnostic[] = [];
  const cells: NotebookCell[] = [];
  const firstIndexOfId = new Map<string, number>();
  root.cells.forEach((raw, index) => {
    const cell = readCell(raw, index, diagnostics);
    if (!cell) {
      return;
    }
    const earlier = firstIndexOfId.get(cell.id);
    if (earlier !== undefined) {
      diagnostics.push(
        problem(
          `cell ${index} has the same id '${cell.id}' as cell ${earlier}; cell ids must be unique`,
          cell,
        ),
      );
      return;
    }
    firstIndexOfId.set(cell.id, index);
    cells.push(cell);
  });
  if (diagnostics.length > 0) {
    return { diagnostics };
  }
  return { notebook: { nbformat: 4, nbformatMinor: minor, metadata, cells }, diagnostics };
}
