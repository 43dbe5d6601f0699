// The compile cache: an unchanged notebook is not compiled again (TypeScript is not even loaded),
// any change to the notebook is compiled afresh, and a damaged cache only costs a compile.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadFlowSourceCached } from '../../src/runtime/loading/compile-cache';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { loadFlowSource } from '../../src/runtime/loading/flow-source';
import { REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook, type CellSpec } from '../helpers/notebook';
import { taskRecord } from '../helpers/records';

const cells = (greeting: string): CellSpec[] => [
  { tags: ['step:start'], source: `self.greeting = ${JSON.stringify(greeting)};` },
  { tags: ['step:end'], source: 'console.log(self.greeting);' },
];

describe('compile cache', () => {
  let dir: string;
  let datastore: Datastore;
  let notebook: string;
  const entries = () => fs.readdirSync(path.join(datastore.root, 'cache', 'compiled'));

  beforeEach(() => {
    dir = tempDir('cellflow-compile-cache-');
    datastore = Datastore.open({ root: path.join(dir, 'store') });
    notebook = writeNotebook(dir, 'greet.ipynb', cells('hello'));
  });
  afterEach(() => removeTempDir(dir));

  it('returns what a compile returns, from one entry, the second time without compiling', () => {
    const compiled = loadFlowSource(notebook);
    const first = loadFlowSourceCached(notebook, datastore);
    expect(entries()).toHaveLength(1);
    const second = loadFlowSourceCached(notebook, datastore);
    expect(entries()).toHaveLength(1);
    for (const source of [first, second]) {
      expect(source).toEqual(compiled);
    }
  });

  it('compiles a changed notebook afresh', () => {
    loadFlowSourceCached(notebook, datastore);
    writeNotebook(dir, 'greet.ipynb', cells('bonjour'));
    const changed = loadFlowSourceCached(notebook, datastore);
    expect(changed.typescript).toContain('"bonjour"');
    expect(changed).toEqual(loadFlowSource(notebook));
    expect(entries()).toHaveLength(2);
  });

  it('compiles again when the entry is torn or its objects are gone', () => {
    const expected = loadFlowSourceCached(notebook, datastore);
    const entry = path.join(datastore.root, 'cache', 'compiled', entries()[0]);
    fs.writeFileSync(entry, '{"manifest": ');
    expect(loadFlowSourceCached(notebook, datastore)).toEqual(expected);
    const { javascriptSha256 } = JSON.parse(fs.readFileSync(entry, 'utf8')) as { javascriptSha256: string };
    fs.rmSync(datastore.objects.pathOf(javascriptSha256));
    expect(loadFlowSourceCached(notebook, datastore)).toEqual(expected);
    expect(datastore.objects.has(javascriptSha256)).toBe(true);
  });

  it('keeps bad input bad input: an unreadable notebook is a UserInputError naming it', () => {
    expect(() => loadFlowSourceCached(path.join(dir, 'missing.ipynb'), datastore)).toThrow(
      /missing\.ipynb: cannot read the file \(ENOENT\)/,
    );
  });

  it('spares a process that finds the entry from loading TypeScript (built dist)', () => {
    const script = `
      const { loadFlowSourceCached } = require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/loading/compile-cache.js'))});
      const { Datastore } = require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/datastore/datastore.js'))});
      const source = loadFlowSourceCached(process.argv[1], Datastore.open({ root: process.argv[2] }));
      const loaded = Object.keys(require.cache).some((f) => f.includes('/node_modules/@tslab/typescript-for-tslab/'));
      console.log(JSON.stringify({ flow: source.manifest.flow, typescriptLoaded: loaded }));`;
    const run = () => {
      const result = spawnSync(process.execPath, ['-e', script, notebook, datastore.root], {
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      return JSON.parse(result.stdout) as { flow: string; typescriptLoaded: boolean };
    };
    expect(run()).toEqual({ flow: 'greet', typescriptLoaded: true });
    expect(run()).toEqual({ flow: 'greet', typescriptLoaded: false });
  });
});

describe('task records written with a deferred fsync', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('cellflow-deferred-sync-');
  });
  afterEach(() => removeTempDir(dir));

  it('are readable at once and made durable together by syncRecords', async () => {
    const datastore = Datastore.open({ root: dir });
    const files = Array.from({ length: 20 }, (_, i) =>
      datastore.writeTaskDeferringSync(taskRecord('Flow', 'run1', 'start', String(i + 1), {})),
    );
    expect(datastore.listTasks('Flow', 'run1', 'start').map((t) => t.taskId)).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
    await expect(datastore.syncRecords(files)).resolves.toBeUndefined();
    await expect(datastore.syncRecords([path.join(dir, 'gone.json')])).rejects.toThrow(/ENOENT/);
  });
});
