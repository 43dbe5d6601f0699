// Endpoint cells (DESIGN "Serving"): the signature and artifact checks of lint, what the manifest
// records (artifacts read, request shape), and the compiled module's callable `endpoints`.
import * as path from 'path';
import { analyzeNotebook, compileNotebook, formatDiagnostic } from '../../src/core';
import { loadFlowModule } from '../../src/runtime/loading/module-loader';
import { transpile } from '../../src/runtime/loading/flow-source';
import { notebook, type Cell } from './nb';

const JOIN_FLOW: Cell[] = [
  [['parameters'], 'const rate = 2;'],
  [[], 'const double = (x: number): number => x * 2;'],
  [['step:start', 'foreach:items'], "self.shared = 'both';\nself.items = [1, 2];"],
  [['step:body'], 'self.model = self.input;\nself.only_body = true;'],
  [['step:join'], "mergeArtifacts(inputs, { include: ['shared'] });\nself.best = inputs[0].model;"],
  [['step:end'], 'self.done = true;'],
];

function problems(cells: Cell[], metadata: Record<string, unknown> = {}): string[] {
  const { diagnostics } = analyzeNotebook(notebook(cells, metadata), 'nb.ipynb');
  return diagnostics.map((d) => formatDiagnostic(d, 'nb.ipynb'));
}

test('the artifacts at the end follow joins: merged, re-assigned and parameters survive, the rest does not', () => {
  const reads = 'artifacts.best + artifacts.shared + artifacts.rate + artifacts.done + artifacts.only_body';
  expect(
    problems([
      ...JOIN_FLOW,
      [['endpoint:score'], `export function score(request: {}, artifacts: any) {\n  return ${reads};\n}`],
    ]),
  ).toEqual([
    "nb.ipynb: cell 6 (id c6), line 2: error [endpoint-unknown-artifact]: endpoint 'score' reads artifact 'only_body', which the flow does not have at its end (step 'end'); it has best, done, rate, shared.",
  ]);
});

test('destructured artifacts, in the parameter or in the body, are checked too', () => {
  expect(
    problems([
      ...JOIN_FLOW,
      [['endpoint:one'], 'export const one = (request: {}, { best, modle }: any) => best + modle;'],
      [
        ['endpoint:two'],
        'export function two(request: {}, artifacts: any) {\n  const { shared, model } = artifacts;\n  return shared + model;\n}',
      ],
    ]),
  ).toEqual([
    "nb.ipynb: cell 6 (id c6), line 1: error [endpoint-unknown-artifact]: endpoint 'one' reads artifact 'modle', which the flow does not have at its end (step 'end'); it has best, done, rate, shared.",
    "nb.ipynb: cell 7 (id c7), line 2: error [endpoint-unknown-artifact]: endpoint 'two' reads artifact 'model', which the flow does not have at its end (step 'end'); it has best, done, rate, shared.",
  ]);
});

test('signature: one or two parameters, no rest, one export, no top-level await', () => {
  const base: Cell[] = [[['step:start'], 'self.m = 1;']];
  expect(
    problems([...base, [['endpoint:p'], 'export function p(a: {}, b: any, c: any) {\n  return 1;\n}']]),
  ).toEqual([
    "nb.ipynb: cell 1 (id c1), line 1: error [endpoint-signature]: 'p' takes 3 parameters; an endpoint is export function p(request, artifacts).",
  ]);
  expect(
    problems([...base, [['endpoint:p'], 'export function p(...args: any[]) {\n  return 1;\n}']])[0],
  ).toContain("'p' takes a rest parameter");
  expect(
    problems([
      ...base,
      [['endpoint:p'], 'export function p(r: {}) {\n  return 1;\n}\nexport function q() {\n  return 2;\n}'],
    ]),
  ).toEqual([
    "nb.ipynb: cell 1 (id c1), line 4: error [endpoint-signature]: an endpoint cell exports one function, 'p'; remove 'export' from the others.",
  ]);
  expect(
    problems([...base, [['endpoint:p'], 'await 1;\nexport function p(r: {}) {\n  return 1;\n}']])[0],
  ).toContain('cannot await at its top level');
  expect(problems([...base, [['endpoint:p', 'step:x'], 'export function p(r: {}) {}']])[0]).toContain(
    "tags 'step:x' and 'endpoint:p' conflict",
  );
  expect(problems([...base, [['endpoint:9p'], 'export function p(r: {}) {}']])[0]).toContain(
    "endpoint name '9p' in tag 'endpoint:9p' is invalid",
  );
});

test('an endpoint that reads a binding of a step is told to use an artifact', () => {
  expect(
    problems([
      [['step:start'], 'const weight = 3;\nself.m = weight;'],
      [['endpoint:p'], 'export function p(r: { x: number }) {\n  return r.x * weight;\n}'],
    ]),
  ).toEqual([
    "nb.ipynb: cell 1 (id c1), line 2: error [binding-across-steps]: 'weight' is declared in step 'start' (cell 0, id c0) and read in endpoint 'p'; an endpoint sees the run's artifacts, not the steps' variables: assign self.weight in 'start' and read artifacts.weight here.",
  ]);
});

test('the manifest lists each endpoint with the artifacts it reads and its request fields', () => {
  const text = notebook(
    [
      [[], 'interface Req {\n  x: number;\n  label?: string;\n  tags: string[];\n}'],
      ...JOIN_FLOW.slice(2),
      [
        ['endpoint:score'],
        'export function score(request: Req, artifacts: any) {\n  return artifacts.best * request.x;\n}',
      ],
      [['endpoint:echo'], 'export const echo = (request: { a: boolean }) => request;'],
    ],
    { cellflow: { serve: { reference: 'shared' } } },
  );
  const { manifest } = compileNotebook(text, 'nb.ipynb');
  expect(manifest.serve).toEqual({ reference: 'shared' });
  expect(manifest.endpoints).toEqual([
    {
      name: 'score',
      cell: { index: 5, id: 'c5' },
      artifacts: ['best'],
      request: {
        type: 'Req',
        fields: [
          { name: 'x', type: 'number', optional: false, text: 'number' },
          { name: 'label', type: 'string', optional: true, text: 'string' },
          { name: 'tags', type: 'other', optional: false, text: 'string[]' },
        ],
      },
    },
    {
      name: 'echo',
      cell: { index: 6, id: 'c6' },
      artifacts: [],
      request: {
        type: '{ a: boolean }',
        fields: [{ name: 'a', type: 'boolean', optional: false, text: 'boolean' }],
      },
    },
  ]);
});

test('the compiled module exports callable endpoints that see the prelude, each in its own scope', () => {
  const text = notebook([
    [[], 'const double = (x: number): number => x * 2;'],
    [['step:start'], 'self.m = 1;'],
    [
      ['endpoint:p'],
      'const k = 10;\nexport function p(r: { x: number }, a: any) {\n  return double(r.x) + k + a.m;\n}',
    ],
    [['endpoint:q'], 'const k = 20;\nexport function q(r: { x: number }) {\n  return r.x + k;\n}'],
  ]);
  const { source, manifest } = compileNotebook(text, 'nb.ipynb');
  expect(manifest.endpoints?.map((e) => e.artifacts)).toEqual([['m'], []]);
  const file = path.join(__dirname, 'nb.flow.ts');
  const module = loadFlowModule(transpile(source, file), file);
  expect(module.endpoints!.p({ x: 4 }, { m: 1 })).toBe(19);
  expect(module.endpoints!.q({ x: 4 }, {})).toBe(24);
  // The line map points the endpoint's lines at its cell.
  const line = source.split('\n').findIndex((l) => l.includes('return double(r.x)')) + 1;
  const segment = manifest.lineMap.find((s) => s.generatedStart <= line && line <= s.generatedEnd)!;
  expect(segment.cell.id).toBe('c2');
  expect(segment.cellLine + (line - segment.generatedStart)).toBe(3);
});
