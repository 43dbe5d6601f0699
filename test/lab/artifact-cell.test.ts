import { analyzeNotebook } from '../../src/core';
import { ARTIFACT_CELL_TAGS, artifactCellSource, artifactVariable } from '../../src/lab/artifact-cell';
import { notebookJson } from '../helpers/notebook';

test('the cell loads the artifact through the Client API, pointed at the run browser datastore if set', () => {
  expect(artifactCellSource('hello/17-ab/join/4', 'out')).toBe(
    [
      "import { Task } from 'cellflow';",
      'const out = await Task.get("hello/17-ab/join/4").data("out");',
      'out',
    ].join('\n'),
  );
  expect(artifactCellSource('hello/17-ab/join/4', 'out', 'lab-runs').split('\n').slice(0, 2)).toEqual([
    "import { setDatastore, Task } from 'cellflow';",
    'setDatastore("lab-runs"); // the run browser\'s datastore (settings)',
  ]);
});

test('a name that cannot be a const becomes `artifact`', () => {
  expect(artifactVariable('best_lr')).toBe('best_lr');
  expect(artifactVariable('default')).toBe('artifact');
  expect(artifactVariable('my-data')).toBe('artifact');
});

test('the inserted cell, tagged skip, leaves the flow as it was', () => {
  const cells = [
    { tags: ['step:start'], source: 'self.x = 1;' },
    { tags: ['step:end'], source: 'self.y = self.x;' },
  ];
  const before = analyzeNotebook(notebookJson(cells), 'nb.ipynb');
  const after = analyzeNotebook(
    notebookJson([...cells, { tags: ARTIFACT_CELL_TAGS, source: artifactCellSource('nb/1/end/2', 'y') }]),
    'nb.ipynb',
  );
  expect(after.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(before.flow?.steps).toHaveLength(2);
  expect(after.flow?.steps.map((s) => s.code)).toEqual(before.flow?.steps.map((s) => s.code));
  // Untagged, the same cell would have joined the end step.
  const untagged = analyzeNotebook(
    notebookJson([...cells, { source: artifactCellSource('nb/1/end/2', 'y') }]),
    'nb.ipynb',
  );
  expect(untagged.flow?.steps[1].code).toHaveLength(2);
});
