import { analyzeNotebook } from '../../src/core';
import { parseNotebook } from '../../src/core/notebook';
import { groupNotebook } from '../../src/core/flow';
import { notebook } from './nb';

const messages = (text: string): string[] => parseNotebook(text).diagnostics.map((d) => d.message);

test('reads nbformat 4.0–4.5; cells without ids get cell-N; list sources are joined', () => {
  for (let minor = 0; minor <= 5; minor++) {
    const text = JSON.stringify({
      nbformat: 4,
      nbformat_minor: minor,
      metadata: {},
      cells: [
        { cell_type: 'markdown', metadata: {}, source: ['# Title\n', 'text'] },
        {
          cell_type: 'code',
          metadata: { tags: ['step:start'] },
          source: ['self.x = 1;\n', 'self.y = 2;'],
          outputs: [],
        },
        { cell_type: 'raw', metadata: {}, source: '' },
      ],
    });
    const { notebook: nb, diagnostics } = parseNotebook(text);
    expect(diagnostics).toEqual([]);
    expect(nb!.nbformatMinor).toBe(minor);
    expect(nb!.cells.map((c) => c.id)).toEqual(['cell-0', 'cell-1', 'cell-2']);
    expect(nb!.cells[1]).toEqual({
      index: 1,
      id: 'cell-1',
      cellType: 'code',
      source: 'self.x = 1;\nself.y = 2;',
      tags: ['step:start'],
    });
  }
});

test('a byte-order mark is tolerated', () => {
  expect(parseNotebook('\ufeff' + notebook([[['step:start'], '']])).diagnostics).toEqual([]);
});

test.each([
  ['', 'not valid JSON'],
  ['{"nbformat": 4, "cells": [', 'not valid JSON'],
  ['{\n  "nbformat": 4,\n  oops\n}', 'not valid JSON at line 3, column 3'],
  ['[]', 'the file holds an array, not a notebook object'],
  ['"text"', 'the file holds string "text", not a notebook object'],
  ['{"nbformat": 3, "cells": []}', 'nbformat number 3: cellflow reads nbformat 4 notebooks (4.0–4.5)'],
  ['{"cells": []}', 'no nbformat field: cellflow reads nbformat 4'],
  ['{"nbformat": "4", "cells": []}', 'nbformat string "4"'],
  ['{"nbformat": 4, "nbformat_minor": 1.5, "cells": []}', 'nbformat_minor is number 1.5'],
  ['{"nbformat": 4, "metadata": [], "cells": []}', 'the notebook metadata is an array'],
  ['{"nbformat": 4}', 'the notebook has no cells'],
  ['{"nbformat": 4, "cells": {}}', 'has cells that are an object'],
  ['{"nbformat": 4, "cells": [1]}', 'cell 0 is number 1, not a cell object'],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "heading", "source": ""}]}',
    'cell 0 has cell_type string "heading"',
  ],
  ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', 'cell 0 has a source that is number 5'],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a", 1]}]}',
    'cell 0 has a source that is an array',
  ],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": 1}]}',
    'cell 0 has metadata that is number 1',
  ],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": {"tags": "step:a"}}]}',
    'metadata.tags that is string',
  ],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": {"tags": [1]}}]}',
    'metadata.tags that is an array',
  ],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "id": "a b", "source": ""}]}',
    'cell 0 has an invalid id string "a b"',
  ],
  [
    '{"nbformat": 4, "cells": [{"cell_type": "code", "id": "x", "source": ""}, {"cell_type": "code", "id": "x", "source": ""}]}',
    "cell 1 has the same id 'x' as cell 0",
  ],
])('rejects %j', (text, message) => {
  const found = messages(text);
  expect(found.length).toBeGreaterThan(0);
  expect(found.join('\n')).toContain(message);
  expect(parseNotebook(text).notebook).toBeUndefined();
});

test('cells group into prelude, parameters, steps (with their docs and follow-up cells) and skipped', () => {
  const text = notebook([
    { md: '# intro' },
    [[], "import * as fs from 'fs';"],
    [['parameters'], 'const alpha = 0.5;'],
    [['skip'], 'console.log("scratch");'],
    { md: 'Start documentation.' },
    [['step:start', 'retry:2'], 'self.a = self.alpha;'],
    [[], 'self.b = 1;'],
    { md: 'More about start, above its next cell.' },
    [['hide-input'], 'self.c = 2;'],
    { md: 'About end.' },
    [['step:end'], 'console.log(self.a);'],
    { md: 'Closing words.' },
  ]);
  const { notebook: nb } = parseNotebook(text);
  const flow = groupNotebook(nb!, 'dir/My Flow.ipynb');
  expect(flow.name).toBe('My_Flow');
  expect(flow.prelude.map((c) => c.cell.index)).toEqual([1]);
  expect(flow.parameters.map((p) => p.name)).toEqual(['alpha']);
  expect(flow.skipped).toEqual([{ index: 3, id: 'c3' }]);
  expect(flow.steps.map((s) => s.name)).toEqual(['start', 'end']);
  expect(flow.steps[0].code.map((c) => c.cell.index)).toEqual([5, 6, 8]);
  expect(flow.steps[0].docs).toEqual(['Start documentation.', 'More about start, above its next cell.']);
  expect(flow.steps[0].options.retry).toBe(2);
  expect(flow.steps[1].docs).toEqual(['About end.', 'Closing words.']);
  expect(flow.diagnostics).toEqual([]);
});

test('flow name: metadata.cellflow.flow wins, sanitised', () => {
  const text = notebook([[['step:start'], '']], { cellflow: { flow: 'Churn Model/v2' } });
  expect(analyzeNotebook(text, 'x.ipynb').flow!.name).toBe('Churn_Model_v2');
  expect(analyzeNotebook(notebook([[['step:start'], '']]), 'C:\\work\\über.ipynb').flow!.name).toBe('_ber');
});
