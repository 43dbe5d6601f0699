import { planTagFix, tagFixMessage } from '../../src/lab/tag-fix';
import { readCellTags, rewriteCellTags, formFromTags } from '../../src/lab/step-form';

const cells = [
  { index: 0, id: 'intro', tags: [] },
  { index: 1, id: 'start', tags: ['step:start', 'next:a,b', 'hide-input'] },
  { index: 2, id: 'a', tags: ['step:a', 'resources:cpu=2,memory=64', 'env:A=1'] },
  { index: 3, id: 'b', tags: ['step:b', 'env:LIST=x,y'] },
];

test('the plan rewrites each comma tag in place, and leaves the cells without one alone', () => {
  expect(planTagFix(cells)).toEqual({
    fixes: [
      {
        index: 1,
        id: 'start',
        tags: ['step:start', 'next:a', 'next:b', 'hide-input'],
        changes: [{ from: 'next:a,b', to: ['next:a', 'next:b'] }],
      },
      {
        index: 2,
        id: 'a',
        tags: ['step:a', 'resources:cpu=2', 'resources:memory=64', 'env:A=1'],
        changes: [{ from: 'resources:cpu=2,memory=64', to: ['resources:cpu=2', 'resources:memory=64'] }],
      },
    ],
    unfixable: [{ index: 3, id: 'b', tag: 'env:LIST=x,y' }],
  });
  expect(planTagFix([{ index: 0, id: 'x', tags: ['step:x', 'next:y'] }])).toEqual({
    fixes: [],
    unfixable: [],
  });
});

test('the offer names the notebook, the first rewrite (1-based cell, as JupyterLab counts) and what cannot be fixed', () => {
  expect(tagFixMessage('work/old.ipynb', planTagFix(cells))).toBe(
    "work/old.ipynb has 2 comma tags, which nbformat forbids (e.g. 'next:a,b' in cell 2). " +
      "\"Fix tags\" writes one value per tag ('next:a' 'next:b') and saves the notebook. " +
      "Cell 4: 'env:LIST=x,y' cannot be written without a comma; set that variable outside the notebook.",
  );
});

test('the step editor reads an old comma tag as what it meant and writes only the new form', () => {
  const raw = ['step:fit', 'next:a,b', 'resources:cpu=2,memory=512', 'my-tag,other'];
  const values = formFromTags(readCellTags(raw));
  expect(values).toMatchObject({ next: 'a, b', cpu: '2', memory: '512' });
  const written = rewriteCellTags(raw, values);
  expect(written).toEqual([
    'my-tag',
    'other',
    'step:fit',
    'next:a',
    'next:b',
    'resources:cpu=2',
    'resources:memory=512',
  ]);
  expect(written.some((t) => t.includes(','))).toBe(false);
});
