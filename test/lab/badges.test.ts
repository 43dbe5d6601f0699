// Cell badges come from core's analysis of the real example notebooks.
import * as fs from 'fs';
import * as path from 'path';
import { analyzeNotebook } from '../../src/core';
import { badgesOf } from '../../src/lab/badges';

function badges(
  notebook: string,
  edit?: (nb: { cells: { id: string; metadata: { tags?: string[] } }[] }) => void,
) {
  const file = path.join(__dirname, '..', '..', 'examples', notebook);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit?.(json);
  const { flow, graph, diagnostics } = analyzeNotebook(JSON.stringify(json), notebook);
  return Object.fromEntries(
    [...badgesOf({ path: notebook, flow, graph, diagnostics })].map(([id, b]) => [id, b.text]),
  );
}

test('step cells show their step; markdown cells have no badge', () => {
  expect(badges('hello.ipynb')).toEqual({
    start: 'step start',
    a: 'step a',
    b: 'step b',
    join: 'step join',
    end: 'step end',
  });
});

test('parameters, prelude and skipped cells', () => {
  const result = badges('churn.ipynb', (nb) => {
    nb.cells.find((c) => c.id === 'helpers')!.metadata.tags = ['skip'];
  });
  expect(result.parameters).toBe('parameters');
  expect(result.helpers).toBe('skip');
  expect(result.imports).toBeUndefined(); // prelude: shared by every step, no badge
  expect(result.prepare).toBe('step prepare');
});

test('untagged code cells after a step say which step they continue', () => {
  const result = badges('hello.ipynb', (nb) => {
    nb.cells.find((c) => c.id === 'b')!.metadata.tags = [];
  });
  expect(result.b).toBe('↳ a');
});

test('no flow (not a notebook), no badges', () => {
  expect(badgesOf({ path: 'x.ipynb', diagnostics: [] }).size).toBe(0);
  expect(badgesOf(null).size).toBe(0);
});
