// Every notebook the project ships or writes passes Python's own `nbformat.validate` (DESIGN "Tag
// grammar"): the tracked .ipynb files, the benchmark notebooks as their generator writes them, the
// reproduce.ipynb of `cellflow binder`, and the notebooks the test helpers build. Only deliberate
// bad-input fixtures are exempt, each named here with the reason, and each must really be invalid.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { binderPins } from '../../src/runtime/repro/binder/binder-pins';
import { reproduceNotebook } from '../../src/runtime/repro/binder/binder-files';
import { notebook as coreNotebook } from '../core/nb';
import { REPO } from '../helpers/cli';
import { notebookJson } from '../helpers/notebook';
import { PYTHON } from '../helpers/python-peers';

const benchNotebooks = require('../../bench/lib/notebooks.js') as {
  foreachNoop(): string;
  artifact(): string;
  large(cells: number): string;
  writeFlows(dir: string): Record<string, string>;
};

const BAD_INPUT: Record<string, string> = {
  'test/fixtures/lint/invalid-notebook.ipynb': 'the invalid-notebook rule: a notebook without cells',
  'test/fixtures/lint/comma-tag.ipynb': "the comma-tag rule: a tag 'next:a,b' that nbformat forbids",
};

/** Validates every file in one Python process: file → nbformat's message, or null when valid. */
function nbformatVerdicts(files: string[]): Record<string, string | null> {
  const script = [
    'import json, sys, nbformat',
    'out = {}',
    'for f in sys.argv[1:]:',
    '    try:',
    '        nbformat.validate(nbformat.read(f, as_version=nbformat.NO_CONVERT))',
    '        out[f] = None',
    '    except Exception as e:',
    "        out[f] = type(e).__name__ + ': ' + str(e).splitlines()[0]",
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, ...files], { cwd: REPO, encoding: 'utf8' }));
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-nbformat-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every tracked notebook is valid for nbformat, except the named bad-input fixtures', () => {
  const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.ipynb'], { cwd: REPO, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  expect(tracked).toEqual(expect.arrayContaining(['examples/hello.ipynb', 'examples/churn.ipynb']));
  expect(tracked).toEqual(expect.arrayContaining(Object.keys(BAD_INPUT)));
  const verdicts = nbformatVerdicts(tracked);
  const invalid = Object.entries(verdicts).filter(([file, error]) => error !== null && !(file in BAD_INPUT));
  expect(invalid).toEqual([]);
  // An exempt fixture that became valid no longer tests what its reason says.
  for (const file of Object.keys(BAD_INPUT)) {
    expect(verdicts[file]).not.toBeNull();
  }
});

test('the notebooks cellflow and its benchmarks and tests write are valid for nbformat', () => {
  const written: Record<string, string> = {
    'reproduce.ipynb': reproduceNotebook(
      {
        flow: 'churn',
        runId: '20261201T000000Z-abcd',
        pins: binderPins('v20.11.1'),
        projectDir: '.',
        projectIsCellflow: false,
        cellflowSpec: 'cellflow',
        storeDir: '.cellflow',
      },
      'examples/churn.ipynb',
    ),
    'bench-foreach.ipynb': benchNotebooks.foreachNoop(),
    'bench-artifact.ipynb': benchNotebooks.artifact(),
    'bench-large.ipynb': benchNotebooks.large(500),
    'helpers-notebook.ipynb': notebookJson([
      { markdown: true, source: '# doc' },
      { tags: ['step:start', 'next:a', 'next:b', 'resources:cpu=1'], source: 'self.x = 1;' },
      { source: 'self.y = 2;' },
    ]),
    'core-nb.ipynb': coreNotebook([{ md: 'doc' }, [['step:start', 'env:A=1', 'env:B=2'], 'self.x = 1;']]),
  };
  const files = Object.entries(written).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
  const verdicts = nbformatVerdicts(files);
  expect(Object.entries(verdicts).filter(([, error]) => error !== null)).toEqual([]);
});

test('the committed benchmark notebooks are exactly what their generator writes', () => {
  const written = benchNotebooks.writeFlows(dir);
  for (const file of Object.values(written)) {
    const committed = path.join(REPO, 'bench', 'flows', path.basename(file));
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(committed, 'utf8'));
  }
});
