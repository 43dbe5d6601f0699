// The compiler: deterministic output, a manifest valid against schema/flow.schema.json, a module that
// TypeScript transpiles cleanly and Node loads, code whose meaning is unchanged, and a line map that
// points every generated line back at its cell line.
import Ajv2020 from 'ajv/dist/2020';
import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';
import ts from 'typescript';
import { compileNotebook, NotebookError } from '../../src/core';
import type { CompiledFlow, FlowModule, StepScope } from '../../src/core/model';
import { notebook } from './nb';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLES = ['hello', 'foreach', 'churn', 'loop'];
const exampleText = (name: string): string =>
  fs.readFileSync(path.join(REPO, 'examples', `${name}.ipynb`), 'utf8');

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validateManifest = ajv.compile(
  JSON.parse(fs.readFileSync(path.join(REPO, 'schema', 'flow.schema.json'), 'utf8')),
);

function transpile(source: string): { js: string; diagnostics: readonly ts.Diagnostic[] } {
  const out = ts.transpileModule(source, {
    fileName: 'flow.ts',
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  return { js: out.outputText, diagnostics: out.diagnostics ?? [] };
}

/** Loads a compiled module the way a CommonJS loader does (the runtime's job; here to check meaning). */
function load(compiled: CompiledFlow, dir = REPO): FlowModule {
  const filename = path.join(dir, 'virtual.flow.js');
  const mod = new Module(filename) as Module & { _compile(code: string, file: string): void };
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(dir);
  mod._compile(transpile(compiled.source).js, filename);
  return mod.exports as FlowModule;
}

function scope(self: Record<string, unknown>, inputs: StepScope['inputs'] = []): StepScope {
  return { self, inputs, current: {} as StepScope['current'], mergeArtifacts: () => undefined };
}

describe.each(EXAMPLES)('%s', (name) => {
  const text = exampleText(name);
  const compiled = compileNotebook(text, `${name}.ipynb`);

  test('is byte-identical when compiled twice, and the manifest validates against the schema', () => {
    expect(compileNotebook(text, `${name}.ipynb`).source).toBe(compiled.source);
    const valid = validateManifest(compiled.manifest);
    expect(validateManifest.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the exported manifest equals the returned one, and transpiles without diagnostics', () => {
    const { diagnostics } = transpile(compiled.source);
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    const mod = load(compiled, path.join(REPO, 'examples'));
    expect(mod.manifest).toEqual(compiled.manifest);
    expect(Object.keys(mod.steps)).toEqual(compiled.manifest.graph.order);
  });

  test('every line-map segment points at the cell lines it came from, covering every code line', () => {
    const generated = compiled.source.split('\n');
    const nb = JSON.parse(text) as {
      cells: { id: string; cell_type: string; metadata: { tags?: string[] }; source: string[] }[];
    };
    const cellLines = (id: string): string[] =>
      nb.cells
        .find((c) => c.id === id)!
        .source.join('')
        .split('\n');
    const mapped = new Set<string>();
    for (const segment of compiled.manifest.lineMap) {
      for (let line = segment.generatedStart; line <= segment.generatedEnd; line++) {
        const cellLine = segment.cellLine + (line - segment.generatedStart);
        // An endpoint cell's `export` keyword is the one thing the compiler removes from a line.
        const lines = cellLines(segment.cell.id);
        const original = lines[cellLine - 1].trim().replace(/^export\s+/, '');
        expect(generated[line - 1].trim()).toBe(original);
        mapped.add(`${segment.cell.id}:${cellLine}`);
      }
    }
    const flowCells = nb.cells.filter(
      (c) => c.cell_type === 'code' && !(c.metadata.tags ?? []).includes('parameters'),
    );
    for (const cell of flowCells) {
      cellLines(cell.id).forEach((line, i) => {
        if (line.trim() !== '') {
          expect(mapped).toContain(`${cell.id}:${i + 1}`);
        }
      });
    }
  });

  test('records the notebook sha256 and path as given', () => {
    expect(compiled.manifest.notebook).toEqual({
      path: `${name}.ipynb`,
      sha256: require('crypto').createHash('sha256').update(text).digest('hex'),
    });
    expect(compileNotebook(text, `sub/dir/${name}.ipynb`).manifest.notebook.path).toBe(
      `sub/dir/${name}.ipynb`,
    );
  });
});

test('hello runs through its steps with the semantics of the manifest', async () => {
  const mod = load(compileNotebook(exampleText('hello'), 'hello.ipynb'));
  const start: Record<string, unknown> = {};
  await mod.steps.start(scope(start));
  const a = { ...start };
  const b = { ...start };
  await mod.steps.a(scope(a));
  await mod.steps.b(scope(b));
  const join: Record<string, unknown> = {};
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await mod.steps.join(
      scope(join, [
        { ...a, step: 'a' },
        { ...b, step: 'b' },
      ]),
    );
  } finally {
    log.mockRestore();
  }
  expect([a.x, b.x, join.out]).toEqual([2, 3, 3]);
});

test('multi-line templates and continued strings keep their exact value; other lines are indented', async () => {
  const code = [
    'const name = "flow";',
    'self.report = `line one',
    '  indented ${name}',
    'last`;',
    "self.joined = 'a\\",
    "b';",
    'if (self.report) {',
    '  self.n = 1;',
    '}',
  ].join('\n');
  const compiled = compileNotebook(
    notebook([
      [['step:start'], code],
      [['step:end'], ''],
    ]),
    't.ipynb',
  );
  expect(compiled.source).toContain('    self.report = `line one\n  indented ${name}\nlast`;\n');
  expect(compiled.source).toContain("    self.joined = 'a\\\nb';\n");
  expect(compiled.source).toContain('    if (self.report) {\n      self.n = 1;\n    }\n');
  const self: Record<string, unknown> = {};
  await load(compiled).steps.start(scope(self));
  expect(self).toEqual({ report: 'line one\n  indented flow\nlast', joined: 'ab', n: 1 });
});

test('imports are hoisted once, in notebook order; prelude cells appear once under their header', () => {
  const compiled = compileNotebook(
    notebook([
      [[], "import * as path from 'path';\nconst sep = path.sep;"],
      [['step:start'], "import * as os from 'os';\nimport * as path from 'path';\nself.eol = os.EOL + sep;"],
      [['step:end'], "import type { Stats } from 'fs';\nlet s: Stats | undefined;\nself.s = s;"],
    ]),
    'imports.ipynb',
  );
  const lines = compiled.source.split('\n');
  expect(lines.slice(0, 6)).toEqual([
    '// Generated by cellflow from imports.ipynb — edit the notebook and re-export, not this file.',
    "import type { FlowManifest, FlowSteps } from 'cellflow';",
    "import * as path from 'path';",
    "import * as os from 'os';",
    "import type { Stats } from 'fs';",
    '',
  ]);
  expect(lines.filter((l) => l.includes("from 'path'"))).toHaveLength(1);
  expect(compiled.source).toContain('// ── prelude · cell 0 (id c0) ──\nconst sep = path.sep;\n');
  expect(compiled.source).toContain(
    '  async start({ self, inputs, current, mergeArtifacts }) {\n    self.eol = os.EOL + sep;\n  },',
  );
});

test('markdown becomes comments that cannot escape the comment, cell headers name every cell', () => {
  const compiled = compileNotebook(
    notebook([
      { md: 'Computes x.\n\nSee *notes*.\u2028self.evil = 1;' },
      [['step:start', 'next:end'], 'self.x = 1;'],
      [[], 'self.y = 2;'],
      [['step:end'], ''],
    ]),
    'docs.ipynb',
  );
  expect(compiled.source).toContain(
    [
      '  // ── step start · cells 1, 2 (ids c1, c2) · next: end ──',
      '  async start({ self, inputs, current, mergeArtifacts }) {',
      '    // Computes x.',
      '    //',
      '    // See *notes*. self.evil = 1;',
      '    self.x = 1;',
      '    // · cell 2 (id c2)',
      '    self.y = 2;',
      '  },',
    ].join('\n'),
  );
  expect(transpile(compiled.source).diagnostics).toEqual([]);
});

test('CRLF cells compile to LF lines without changing the code', async () => {
  const compiled = compileNotebook(
    notebook([
      [['step:start'], 'self.a = 1;\r\nself.t = `x\r\ny`;\r\n'],
      [['step:end'], ''],
    ]),
    'crlf.ipynb',
  );
  expect(compiled.source).not.toContain('\r');
  const self: Record<string, unknown> = {};
  await load(compiled).steps.start(scope(self));
  expect(self).toEqual({ a: 1, t: 'x\ny' });
});

test('step names that are JavaScript keywords still compile to methods', async () => {
  const compiled = compileNotebook(
    notebook([
      [['step:new'], 'self.a = 1;'],
      [['step:delete'], 'self.b = 2;'],
      [['step:class'], ''],
    ]),
    'kw.ipynb',
  );
  const mod = load(compiled);
  expect(Object.keys(mod.steps)).toEqual(['new', 'delete', 'class']);
});

test('compileNotebook throws a NotebookError listing every error', () => {
  const text = notebook([
    [['step:start', 'next:nope'], 'self.x = ;'],
    [['step:end'], ''],
  ]);
  let thrown: unknown;
  try {
    compileNotebook(text, 'broken.ipynb');
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(NotebookError);
  const error = thrown as NotebookError;
  expect(error.diagnostics.map((d) => d.rule)).toEqual(['unknown-next-target', 'syntax-error']);
  expect(error.message.split('\n')).toHaveLength(2);
  expect(error.message.split('\n')[1]).toMatch(
    /^broken\.ipynb: cell 0 \(id c0\), step 'start', line 1: error \[syntax-error\]/,
  );
});

test('the schema rejects a manifest that breaks its contract', () => {
  const manifest = JSON.parse(JSON.stringify(compileNotebook(exampleText('hello'), 'hello.ipynb').manifest));
  manifest.graph.nodes.start.kind = 'fork';
  manifest.notebook.sha256 = 'abc';
  expect(validateManifest(manifest)).toBe(false);
  expect((validateManifest.errors ?? []).map((e) => e.instancePath).sort()).toEqual([
    '/graph/nodes/start/kind',
    '/notebook/sha256',
  ]);
});
