// The undefined-artifact rule on the cases where a read is fine although no plain write precedes it:
// parameters, a foreach body's input and index, joins, conditional writes, loops, and code that
// hands `self` elsewhere; and the cases it must catch.
import { analyzeNotebook } from '../../src/core';
import { type Cell, notebook } from './nb';

function undefinedReads(cells: Cell[]): string[] {
  return analyzeNotebook(notebook(cells), 'nb.ipynb')
    .diagnostics.filter((d) => d.rule === 'undefined-artifact')
    .map((d) => `${d.step}:${d.line}: ${d.message}.${d.hint ? ` ${d.hint}` : ''}`);
}

const end: Cell = [['step:end'], ''];

test('parameters, own writes and any upstream write (a conditional one too) count', () => {
  expect(
    undefinedReads([
      [['parameters'], 'const rate = 0.1;'],
      [['step:start'], 'if (self.rate > 0) self.model = 1;\nself.count = 0;\nself.count += 1;'],
      [['step:use'], 'self.total = self.model + self.count + self.rate;\nconst t = self.total;'],
      end,
    ]),
  ).toEqual([]);
});

test('a misspelt read is an error with a did-you-mean; with no near name it says where to set it', () => {
  expect(
    undefinedReads([
      [['step:start'], 'self.data = [1];'],
      [['step:use'], 'self.n = self.dta.length;\nself.m = self.zzz;'],
      end,
    ]),
  ).toEqual([
    "use:1: step 'use' reads self.dta, which no step before it sets and no parameter declares. Did you mean 'self.data'?",
    "use:2: step 'use' reads self.zzz, which no step before it sets and no parameter declares. Set self.zzz in a step that runs before 'use'.",
  ]);
});

test('a step does not see what a later step or a sibling branch sets', () => {
  expect(
    undefinedReads([
      [['step:start', 'next:a', 'next:b'], ''],
      [['step:a', 'next:join'], 'self.alpha = 1;'],
      [['step:b'], 'self.beta = self.alpha;'],
      [['step:join'], 'mergeArtifacts(inputs);\nself.both = [self.alpha, self.beta];'],
      [['step:end'], 'console.log(self.later);'],
    ]),
  ).toEqual([
    "b:1: step 'b' reads self.alpha, which no step before it sets and no parameter declares. Set self.alpha in a step that runs before 'b'.",
    "end:1: step 'end' reads self.later, which no step before it sets and no parameter declares. Set self.later in a step that runs before 'end'.",
  ]);
});

test('self.input and self.index exist in a foreach body only', () => {
  expect(
    undefinedReads([
      [['step:start', 'foreach:xs'], 'self.xs = [1, 2];\nconst i = self.index;'],
      [['step:body'], 'self.y = self.input * self.index;'],
      [['step:join'], 'self.ys = inputs.map((x) => x.y);'],
      end,
    ]),
  ).toEqual([
    "start:2: step 'start' reads self.index, which only a step inside a foreach has. Read it in the step after a foreach:ARTIFACT step.",
  ]);
});

test('destructuring and loop targets are writes; a catch: artifact is set by its step', () => {
  expect(
    undefinedReads([
      [['step:start', 'catch:failure'], '[self.a, self.b] = [1, 2];\nfor (self.c of [3]) {}'],
      [['step:use'], 'self.sum = self.a + self.b + self.c;\nconst f = self.failure;'],
      end,
    ]),
  ).toEqual([]);
});

test('a loop through a switch sees what the loop body sets on the way round', () => {
  expect(
    undefinedReads([
      [['step:start'], 'self.n = 0;'],
      [['step:body'], 'self.n = self.n + 1;\nself.seen = self.last ?? 0;'],
      [
        ['step:check', 'switch:route', 'next:body', 'next:end'],
        "self.last = self.n;\nself.route = self.n < 3 ? 'body' : 'end';",
      ],
      end,
    ]),
  ).toEqual([]);
});

test('code that hands self elsewhere, or writes self[k], is not checked after it', () => {
  for (const code of ['Object.assign(self, { x: 1 });', 'const k = "x";\nself[k] = 1;', 'fill(self);']) {
    expect(
      undefinedReads([
        [[], 'function fill(s: any) { s.x = 1; }'],
        [['step:start'], code],
        [['step:use'], 'console.log(self.x);'],
        end,
      ]),
    ).toEqual([]);
  }
});
