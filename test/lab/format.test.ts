import {
  durationBetween,
  formatBytes,
  formatDuration,
  formatParams,
  formatValue,
  withNotebookCellNumbers,
} from '../../src/lab/format';
import { analyzeNotebook } from '../../src/core';
import { notebookJson } from '../helpers/notebook';

test('durations read naturally at every scale', () => {
  expect(formatDuration(250)).toBe('250 ms');
  expect(formatDuration(1234)).toBe('1.2 s');
  expect(formatDuration(42_000)).toBe('42 s');
  expect(formatDuration(185_000)).toBe('3 min 5 s');
  expect(formatDuration(7_500_000)).toBe('2 h 5 min');
  expect(formatDuration(-1)).toBe('');
});

test('a running run is measured up to now; bad times give nothing', () => {
  expect(durationBetween('2024-01-01T00:00:00Z', '2024-01-01T00:00:02.5Z')).toBe('2.5 s');
  expect(durationBetween('2024-01-01T00:00:00Z', undefined, Date.parse('2024-01-01T00:01:00Z'))).toBe(
    '1 min 0 s',
  );
  expect(durationBetween(undefined, undefined)).toBe('');
  expect(durationBetween('not a date', undefined)).toBe('');
});

test('values, parameters and sizes', () => {
  expect(formatValue('x')).toBe('x');
  expect(formatValue({ a: [1, null] })).toBe('{"a":[1,null]}');
  expect(formatParams({ alpha: 0.5, name: 'a b' })).toBe('alpha=0.5, name="a b"');
  expect(formatBytes(12)).toBe('12 B');
  expect(formatBytes(2048)).toBe('2.0 KiB');
  expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
});

test("the linter's cell references read as JupyterLab numbers cells: from 1, without ids", () => {
  // A foreach never joined: the message names the split's cell the way the CLI does (index and id).
  const text = notebookJson([
    { markdown: true, source: '# doc' },
    { tags: ['step:start', 'next:body', 'foreach:xs'], source: 'self.xs = [1, 2];' },
    { tags: ['step:body', 'next:end'], source: 'self.y = self.input;' },
    { tags: ['step:end'], source: 'console.log(1);' },
  ]);
  const problem = analyzeNotebook(text, 'nb.ipynb').diagnostics.find((d) => d.rule === 'split-not-joined');
  expect(problem?.message).toContain('(cell 1, id c1)');
  expect(withNotebookCellNumbers(problem!.message)).toContain(
    "the foreach at step 'start' (cell 2) is still open",
  );
  expect(withNotebookCellNumbers("nb.ipynb: cell 3 (id end), step 'end': error")).toBe(
    "nb.ipynb: cell 4, step 'end': error",
  );
  // Anything else is left alone.
  expect(withNotebookCellNumbers('a cell 3 of ours; cell 2 id x')).toBe('a cell 3 of ours; cell 2 id x');
});
