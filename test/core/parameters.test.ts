import { parseParameters } from '../../src/core/parameters';

const cell = { index: 2, id: 'params' };

test('const literals become typed parameters with defaults and lines', () => {
  const source = [
    '// tuning',
    'const alpha = 0.25;',
    'const seed = -7;',
    "const label = 'churn';",
    'const note = `plain template`;',
    'const verbose = false;',
    '',
    'const grid = [0.1, 0.2, { "deep": [true, null] }];',
    "const config = { depth: 3, 'name': 'x', nested: { ok: true } };",
    'const a = 1, b = "two";',
  ].join('\n');
  const { parameters, diagnostics } = parseParameters(source, cell);
  expect(diagnostics).toEqual([]);
  expect(parameters.map((p) => [p.name, p.type, p.default, p.line])).toEqual([
    ['alpha', 'number', 0.25, 2],
    ['seed', 'number', -7, 3],
    ['label', 'string', 'churn', 4],
    ['note', 'string', 'plain template', 5],
    ['verbose', 'boolean', false, 6],
    ['grid', 'json', [0.1, 0.2, { deep: [true, null] }], 8],
    ['config', 'json', { depth: 3, name: 'x', nested: { ok: true } }, 9],
    ['a', 'number', 1, 10],
    ['b', 'string', 'two', 10],
  ]);
  expect(parameters[0].cell).toEqual(cell);
});

test.each([
  ['let x = 1;', "'let x = 1;' is not a parameter"],
  ['var x = 1;', "'var x = 1;' is not a parameter"],
  ['x = 1;', "'x = 1;' is not a parameter"],
  ['console.log(1);', "'console.log(1);' is not a parameter"],
  ['const x = Math.PI;', "parameter 'x' must have a literal default"],
  ['const x = `a${1}`;', "parameter 'x' must have a literal default"],
  ['const x = [...y];', "parameter 'x' must have a literal default"],
  ['const x = { [k]: 1 };', "parameter 'x' must have a literal default"],
  ['const x = { y };', "parameter 'x' must have a literal default"],
  ['const { x } = { x: 1 };', 'declare one name with a literal value'],
  ['const x = 1e999;', "parameter 'x' must be a finite number"],
  ['const ñ = 1;', "parameter 'ñ' must be named with ASCII letters"],
  ['function f() {}', "'function f() {}' is not a parameter"],
])('%s is rejected with its line', (line, message) => {
  const { parameters, diagnostics } = parseParameters(`const ok = 1;\n${line}`, cell);
  expect(parameters.map((p) => p.name)).toEqual(['ok']);
  expect(diagnostics).toHaveLength(1);
  expect(diagnostics[0]).toMatchObject({ rule: 'invalid-parameter', line: 2, cell });
  expect(diagnostics[0].message).toContain(message);
});
