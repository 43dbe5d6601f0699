// What a task's fresh thread or process starts from (bundled-entry.ts): the build's one-file bundle
// of its entry, compiled from a V8 code cache that the first tasks write and the next ones take.
// Real `cellflow run` processes, real task hosts and threads; the cache goes to a private folder.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

const EXECUTION = path.join(REPO, 'dist', 'src', 'runtime', 'execution');

let work: string;
let notebook: string;

beforeAll(() => {
  work = tempDir('cellflow-task-bundle-');
  notebook = writeNotebook(work, 'bundled.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [1, 2, 3, 4, 5, 6];' },
    { tags: ['step:square'], source: 'self.square = self.input * self.input;' },
    { tags: ['step:join'], source: 'self.total = inputs.reduce((sum, input) => sum + input.square, 0);' },
    { tags: ['step:end'], source: 'console.log(`total ${self.total}`);' },
  ]);
});
afterAll(() => removeTempDir(work));

function runIn(cache: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return cellflow(['run', notebook, '--max-workers', '2', ...extra], {
    env: { CELLFLOW_HOME: path.join(work, 'store'), XDG_CACHE_HOME: cache, ...env },
  });
}

function cacheFiles(cache: string, entry: string): string[] {
  const dir = path.join(cache, 'cellflow', 'v8');
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((name) => name.startsWith(`${entry}.bundle-`))
        .map((name) => path.join(dir, name))
    : [];
}

test('the build bundles each task entry into one file that keeps every module its own __dirname', () => {
  for (const entry of ['task-thread-main', 'worker-main']) {
    const bundle = fs.readFileSync(path.join(EXECUTION, `${entry}.bundle.js`), 'utf8');
    expect(bundle).toContain('function runTask(');
    // npm packages are not in it: they load from node_modules as usual.
    expect(bundle).not.toMatch(/node_modules[\\/]/);
  }
  // The S3 backend finds its worker beside its own module, not beside the bundle.
  const thread = fs.readFileSync(path.join(EXECUTION, 'task-thread-main.bundle.js'), 'utf8');
  expect(thread).toContain('"../datastore/s3-backend.js"');
});

test.each([
  ['task-thread-main', []],
  ['worker-main', ['--isolation', 'process']],
])(
  'tasks started from %s write its code cache, the next run takes it, a damaged one is rewritten',
  async (entry, extra) => {
    const cache = path.join(work, `cache-${entry}`);
    const first = await runIn(cache, extra);
    expect(first.stdout).toContain('total 91');
    expect(first.code).toBe(0);
    const [file] = cacheFiles(cache, entry);
    expect(file).toMatch(new RegExp(`${entry}\\.bundle-\\d+-\\d+-${process.version}-${process.arch}\\.bin$`));
    const written = fs.readFileSync(file);
    expect(written.length).toBeGreaterThan(20000);
    expect(fs.statSync(file).mode & 0o077).toBe(0); // private to the user: cached code is trusted

    const second = await runIn(cache, extra);
    expect(second.stdout).toContain('total 91');
    expect(fs.readFileSync(file).equals(written)).toBe(true); // accepted by every task, so not rewritten

    fs.writeFileSync(file, 'not a V8 code cache');
    const third = await runIn(cache, extra);
    expect(third.stdout).toContain('total 91');
    expect(fs.readFileSync(file).length).toBeGreaterThan(20000);
  },
  120000,
);

test('a new cache file retires the oldest builds of the same script, keeping four', async () => {
  const cache = path.join(work, 'cache-prune');
  const dir = path.join(cache, 'cellflow', 'v8');
  fs.mkdirSync(dir, { recursive: true });
  const old = (n: number) =>
    path.join(dir, `task-thread-main.bundle-1000-${n}-${process.version}-${process.arch}.bin`);
  const other = path.join(dir, `typescript-1000-1-${process.version}-${process.arch}.bin`);
  for (let n = 1; n <= 5; n++) {
    fs.writeFileSync(old(n), 'an older build');
    fs.utimesSync(old(n), n * 1000, n * 1000);
  }
  fs.writeFileSync(other, 'another script');
  fs.utimesSync(other, 1, 1);
  const result = await runIn(cache);
  expect(result.stdout).toContain('total 91');
  const kept = cacheFiles(cache, 'task-thread-main').map((file) => path.basename(file));
  expect(kept).toHaveLength(4);
  expect(
    kept.filter((name) => fs.readFileSync(path.join(dir, name), 'utf8') !== 'an older build'),
  ).toHaveLength(1);
  expect(kept).toEqual(
    expect.arrayContaining([path.basename(old(5)), path.basename(old(4)), path.basename(old(3))]),
  );
  expect(fs.existsSync(other)).toBe(true);
}, 60000);

test('CELLFLOW_NO_CACHE=code runs the same tasks from the bundle without a cache', async () => {
  const cache = path.join(work, 'cache-off');
  const result = await runIn(cache, [], { CELLFLOW_NO_CACHE: 'code' });
  expect(result.stdout).toContain('total 91');
  expect(result.code).toBe(0);
  expect(cacheFiles(cache, 'task-thread-main')).toEqual([]);
}, 60000);
