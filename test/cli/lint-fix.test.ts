// `cellflow lint --fix`: old comma-tag notebooks, written with the formatting other tools use, become
// valid ones with the same graph, and the only bytes that change are the comma tags' own.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeNotebook } from '../../src/core';
import { runCli } from '../../src/cli/main';
import { memoryIO } from '../../src/cli/io';
import { REPO } from '../helpers/cli';
import { PYTHON } from '../helpers/python-peers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-lint-fix-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** examples/churn.ipynb as a notebook from before one-value tags: its branch as one comma tag. */
function oldChurn(): Record<string, unknown> {
  const json = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'churn.ipynb'), 'utf8'));
  const prepare = json.cells.find((c: { id: string }) => c.id === 'prepare');
  prepare.metadata.tags = ['step:prepare', 'next:logistic,centroid', 'resources:cpu=1,memory=256'];
  return json;
}

async function lintFix(file: string): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO();
  const code = await runCli(['lint', '--fix', file], io);
  return { code, out: io.out, err: io.err };
}

function graphOf(text: string): unknown {
  return analyzeNotebook(text.replace(/^\uFEFF/, ''), 'nb.ipynb').graph;
}

/** Python's nbformat over the file: the error text, or '' when valid. */
function nbformatErrors(file: string): string {
  const script =
    'import sys, nbformat\n' +
    // utf-8-sig: nbformat's reader refuses a BOM, which --fix keeps as the file had it.
    "text = open(sys.argv[1], encoding='utf-8-sig').read()\n" +
    'try:\n  nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))\n' +
    'except nbformat.ValidationError as e:\n  print(e.message)\n';
  return execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }).trim();
}

const STYLES: { name: string; write: (json: unknown) => string; indent: string }[] = [
  {
    name: '2-space indentation and CRLF line ends (Windows editors)',
    write: (json) => JSON.stringify(json, null, 2).replace(/\n/g, '\r\n') + '\r\n',
    indent: '\r\n' + ' '.repeat(10),
  },
  {
    name: 'compact JSON on one line, no final newline',
    write: (json) => JSON.stringify(json),
    indent: '',
  },
  {
    name: "1-space indentation (Jupyter's), a BOM and \\u escapes (Python's ensure_ascii)",
    write: (json) =>
      '\uFEFF' +
      JSON.stringify(json, null, 1).replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ) +
      '\n',
    indent: '\n     ',
  },
];

describe.each(STYLES)('a notebook with $name', ({ name, write, indent }) => {
  test('--fix rewrites only the comma tags, keeps the graph, and the result is valid for nbformat', async () => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.ipynb`);
    const before = write(oldChurn());
    fs.writeFileSync(file, before);
    expect(nbformatErrors(file)).toMatch(/does not match '\^\[\^,\]\+\$'/);

    const first = await lintFix(file);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(
      `${file}: cell 7 (id prepare): fixed 'next:logistic,centroid' → 'next:logistic', 'next:centroid'\n`,
    );
    expect(first.out).toContain(
      `${file}: cell 7 (id prepare): fixed 'resources:cpu=1,memory=256' → 'resources:cpu=1', 'resources:memory=256'\n`,
    );
    expect(first.out).toContain(`${file}: rewrote 2 comma tags in 1 cell\n`);
    expect(first.out).toMatch(/: ok — flow '[^']+', 6 steps, 4 parameters\n$/);

    // The exact bytes: each comma tag's string replaced by its tags, separated as the array was.
    const after = fs.readFileSync(file, 'utf8');
    const expected = before
      .replace('"next:logistic,centroid"', ['"next:logistic"', '"next:centroid"'].join(`,${indent}`))
      .replace(
        '"resources:cpu=1,memory=256"',
        ['"resources:cpu=1"', '"resources:memory=256"'].join(`,${indent}`),
      );
    expect(after).toBe(expected);
    expect(graphOf(after)).toEqual(graphOf(before));
    expect(nbformatErrors(file)).toBe('');

    const again = await lintFix(file);
    expect(again.code).toBe(0);
    expect(again.out).not.toContain('fixed');
    expect(fs.readFileSync(file, 'utf8')).toBe(after);
  });
});

test('lint without --fix names the rewrite and leaves the file alone; --json lists what --fix changed', async () => {
  const file = path.join(dir, 'plain.ipynb');
  const before = JSON.stringify(oldChurn(), null, 1);
  fs.writeFileSync(file, before);
  const io = memoryIO();
  expect(await runCli(['lint', file], io)).toBe(2);
  expect(io.err).toContain(
    `${file}: cell 7 (id prepare), step 'prepare': error [comma-tag]: tag 'next:logistic,centroid' contains ',', which nbformat forbids in a tag: write one value per tag. Use the tags 'next:logistic' and 'next:centroid' instead ('cellflow lint --fix' rewrites it).\n`,
  );
  expect(fs.readFileSync(file, 'utf8')).toBe(before);

  const json = memoryIO();
  expect(await runCli(['lint', '--fix', '--json', file], json)).toBe(0);
  const report = JSON.parse(json.out);
  expect(report).toMatchObject({ ok: true, diagnostics: [] });
  expect(report.fixed).toEqual([
    {
      cell: { index: 7, id: 'prepare' },
      from: 'next:logistic,centroid',
      to: ['next:logistic', 'next:centroid'],
    },
    {
      cell: { index: 7, id: 'prepare' },
      from: 'resources:cpu=1,memory=256',
      to: ['resources:cpu=1', 'resources:memory=256'],
    },
  ]);
});

test('a comma no tags can replace stays, is named, and the exit code is 2; a tag the cell has is not added twice', async () => {
  const json = oldChurn() as { cells: { id: string; metadata: { tags: string[] } }[] };
  const start = json.cells.find((c) => c.id === 'start')!;
  start.metadata.tags = ['step:start', 'next:prepare,prepare', 'env:PATH_LIST=/a,/b'];
  const file = path.join(dir, 'unfixable.ipynb');
  fs.writeFileSync(file, JSON.stringify(json, null, 1));
  const result = await lintFix(file);
  expect(result.code).toBe(2);
  expect(result.out).toContain(`${file}: cell 5 (id start): fixed 'next:prepare,prepare' → 'next:prepare'\n`);
  expect(result.err).toContain(
    `${file}: cell 5 (id start), step 'start': error [comma-tag]: tag 'env:PATH_LIST=/a,/b' contains ',', which nbformat forbids in a tag: write one value per tag. An env: value cannot hold a comma; set that variable outside the notebook.\n`,
  );
  const after = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(after.cells[5].metadata.tags).toEqual(['step:start', 'next:prepare', 'env:PATH_LIST=/a,/b']);
});

test('--fix on a file that is not a notebook changes nothing and reports it as lint does', async () => {
  const file = path.join(dir, 'broken.ipynb');
  fs.writeFileSync(file, '{"cells": [ {"metadata": {"tags": ["next:a,b"]}} ');
  const result = await lintFix(file);
  expect(result.code).toBe(2);
  expect(result.err).toContain('error [invalid-notebook]: not valid JSON');
  expect(fs.readFileSync(file, 'utf8')).toBe('{"cells": [ {"metadata": {"tags": ["next:a,b"]}} ');
});
