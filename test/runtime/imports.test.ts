// Imports in step code under `cellflow run`, as in the kernel: 'cellflow' itself (installed in the
// project, not installed, and in this repository), a local TypeScript module beside the notebook,
// and lint's report of an import that does not resolve. Real CLI processes.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook, type CellSpec } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';

let work: string;
let home: string;
const inRepo = path.join(REPO, 'test-artifacts', `imports-${process.pid}`);

beforeAll(() => {
  work = tempDir();
  home = path.join(work, 'store');
});
afterAll(() => {
  removeTempDir(work);
  removeTempDir(inRepo);
});

const HELPERS = [
  'export interface Scaled { value: number; by: number }',
  'export const double = (x: number): Scaled => ({ value: x * 2, by: 2 });',
  '',
].join('\n');

const cells = (): CellSpec[] => [
  {
    tags: ['step:start'],
    source: [
      "import { namespace, Flow } from 'cellflow';",
      "import { double } from './helpers';",
      'self.kinds = [typeof namespace, typeof Flow];',
      'self.doubled = double(21);',
    ].join('\n'),
  },
  { tags: ['step:end'], source: 'self.done = true;' },
];

async function runIn(dir: string, name: string) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'helpers.ts'), HELPERS);
  const nb = writeNotebook(dir, name, cells());
  const idFile = path.join(work, `id-${name}`);
  const result = await cellflow(['run', nb, '--run-id-file', idFile], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
    timeoutMs: 90_000,
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const [flow, runId] = fs.readFileSync(idFile, 'utf8').trim().split('/');
  const ds = Datastore.open({ root: home });
  const start = ds.listTasks(flow, runId).find((t) => t.step === 'start')!;
  expect(ds.loadArtifactSync(start.artifacts.kinds)).toEqual(['function', 'function']);
  expect(ds.loadArtifactSync(start.artifacts.doubled)).toEqual({ value: 42, by: 2 });
}

test("'cellflow' and a local .ts module load in a project that has cellflow installed", async () => {
  const project = path.join(work, 'installed');
  fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), '{"name":"installed","private":true}\n');
  fs.symlinkSync(REPO, path.join(project, 'node_modules', 'cellflow'), 'dir');
  await runIn(project, 'installed.ipynb');
});

test("'cellflow' falls back to the running cellflow in a project without it, as the kernel does", async () => {
  await runIn(path.join(work, 'bare'), 'bare.ipynb');
});

test("'cellflow' and a local .ts module load for a notebook inside this repository", async () => {
  await runIn(inRepo, 'in_repo.ipynb');
});

test('lint reports an import that does not resolve, naming the cell and line', async () => {
  const dir = path.join(work, 'lint');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'helpers.ts'), HELPERS);
  const nb = writeNotebook(dir, 'imports.ipynb', [
    { source: "import { double } from './helpers';\nimport * as fs from 'node:fs';" },
    {
      tags: ['step:start'],
      source:
        "import { gone } from './missing';\n\nimport lodashish from 'no-such-package-xyz';\nself.x = [gone, lodashish, double, fs];",
    },
    { tags: ['step:end'], source: "import { Flow } from 'cellflow';\nself.y = typeof Flow;" },
  ]);
  const result = await cellflow(['lint', nb]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    `${nb}: cell 1 (id c1), step 'start', line 1: error [unresolved-import]: cannot find module './missing' from the notebook's folder`,
  );
  expect(result.stderr).toMatch(
    /cell 1 \(id c1\), step 'start', line 3: error \[unresolved-import\]: cannot find module 'no-such-package-xyz'.*npm install no-such-package-xyz/,
  );
  expect(result.stderr.match(/unresolved-import/g)).toHaveLength(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
