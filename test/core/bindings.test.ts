import { analyzeNotebook } from '../../src/core';
import { notebook, type Cell } from './nb';

const rulesOf = (cells: Cell[]): string[] =>
  analyzeNotebook(notebook(cells), 'b.ipynb').diagnostics.map(
    (d) => `${d.rule}@${d.cell?.index}:${d.line ?? ''}`,
  );

const end: Cell = [['step:end'], ''];

test('prelude helpers, imports and the step’s own names are fine to read', () => {
  expect(
    rulesOf([
      [
        [],
        "import * as path from 'path';\nconst helper = (x: number) => x * 2;\nfunction util() { return 1; }\nclass Model {}",
      ],
      [
        ['step:start'],
        "import { readFileSync } from 'fs';\nconst local = helper(2) + util();\nself.m = new Model();\nself.v = local;",
      ],
      [[], 'self.w = local + 1;'],
      [['step:other'], "self.p = path.join('a', 'b');\nself.q = readFileSync;"],
      end,
    ]),
  ).toEqual([]);
});

test('reads that are not bindings are ignored: properties, keys, types, labels, shadowing', () => {
  expect(
    rulesOf([
      [['step:start'], 'type Row = { model: number };\nconst model = 1;\nself.model = model;'],
      [
        ['step:other'],
        [
          'const o = { model: 2 };',
          'self.a = o.model + self.model;',
          'const f = (model: number) => model + 1;',
          'function g() { const model = 3; return model; }',
          'let r: Row | undefined;',
          'outer: for (const model of [1]) { if (model) break outer; }',
          'self.b = f(1) + g();',
          'class K { model = 1; model2() { return this.model; } }',
          'const { model: renamed } = { model: 4 };',
          'self.c = renamed;',
        ].join('\n'),
      ],
      end,
    ]),
  ).toEqual([]);
});

test('each kind of leaked binding is reported once per reading step, at its first read', () => {
  expect(
    rulesOf([
      [['parameters'], 'const rate = 0.1;'],
      [['skip'], 'const scratch = 1;'],
      [
        ['step:start'],
        'const model = { w: 1 };\nfunction train() { return 1; }\nclass Net {}\nconst [a, { b }] = [1, { b: 2 }];',
      ],
      [
        ['step:use'],
        'self.x = 1;\nself.y = model.w + model.w;\nself.z = train() + a + b;\nself.n = new Net();\nself.r = rate * scratch;',
      ],
      [[], 'self.again = model;'],
      end,
    ]),
  ).toEqual([
    'binding-across-steps@3:2',
    'binding-across-steps@3:3',
    'binding-across-steps@3:3',
    'binding-across-steps@3:3',
    'binding-across-steps@3:4',
    'parameter-as-binding@3:5',
    'binding-from-skipped-cell@3:5',
  ]);
});

test('shorthand properties and class heritage are reads', () => {
  expect(
    rulesOf([
      [['step:start'], 'const model = 1;\nclass Base {}'],
      [['step:other'], 'self.o = { model };\nclass Sub extends Base {}'],
      end,
    ]),
  ).toEqual(['binding-across-steps@1:1', 'binding-across-steps@1:2']);
});

test('a prelude that reads a step binding is reported too', () => {
  const analysis = analyzeNotebook(
    notebook([[[], 'const twice = () => total * 2;'], [['step:start'], 'const total = 1;'], end]),
    'p.ipynb',
  );
  expect(analysis.diagnostics.map((d) => d.rule)).toEqual(['binding-across-steps']);
  expect(analysis.diagnostics[0].message).toContain(
    'and read in the prelude; the prelude runs before any step',
  );
});

test('duplicate let/const in one step is an error, var and function redeclarations are not', () => {
  expect(rulesOf([[['step:start'], 'const a = 1;'], [[], 'let a = 2;'], end])).toEqual([
    'duplicate-binding@1:1',
  ]);
  expect(
    rulesOf([[['step:start'], 'var a = 1;\nfunction f() {}'], [[], 'var a = 2;\nfunction f() {}'], end]),
  ).toEqual([]);
  expect(rulesOf([[['step:start'], 'const a = 1;'], [['step:other'], 'const a = 2;'], end])).toEqual([]);
});

test('identical imports in several cells are fine; top-level await is fine in steps', () => {
  expect(
    rulesOf([
      [[], "import * as fs from 'fs';"],
      [
        ['step:start'],
        "import * as fs from 'fs';\nconst x = await Promise.resolve(fs.existsSync('.'));\nself.x = x;",
      ],
      end,
    ]),
  ).toEqual([]);
});
