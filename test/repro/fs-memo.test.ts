// A result remembered with the stat of everything it read: reused while nothing changed, recomputed
// when a file, a directory listing or a once-absent path changed, and never remembered when it read
// something too fresh or wrote anything. Then the real use: a git status through isomorphic-git.
import * as fs from 'fs';
import * as git from 'isomorphic-git';
import * as path from 'path';
import { memoizedOverFiles, type GitFs } from '../../src/runtime/repro/capture/fs-memo';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { git as gitCli } from './project';

let dir: string;
let cacheFile: string;
/** Longer than the file system's timestamp granularity, so that each change moves a stat. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 25));

beforeEach(() => {
  dir = tempDir('cellflow-fs-memo-');
  cacheFile = path.join(dir, 'cache', 'memo.json');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'a.txt'), 'one');
});
afterEach(() => {
  removeTempDir(dir);
  fs.rmSync(`${dir}-cache`, { recursive: true, force: true });
});

/** Reads data/a.txt, lists data/ and probes data/b.txt; counts how often it really ran. */
function counter() {
  let runs = 0;
  const compute = async (files: GitFs) => {
    runs++;
    const text = String(await files.promises.readFile(path.join(dir, 'data', 'a.txt'), 'utf8'));
    const names = await files.promises.readdir(path.join(dir, 'data'));
    const b = await files.promises.lstat(path.join(dir, 'data', 'b.txt')).then(
      () => true,
      () => false,
    );
    return { text, names: [...names].sort(), b };
  };
  return { compute, runs: () => runs };
}

test('reused while nothing it read changed; recomputed after each kind of change', async () => {
  const { compute, runs } = counter();
  const memo = (key = 'k') => memoizedOverFiles(cacheFile, key, compute, 0);
  await tick();
  expect(await memo()).toEqual({ text: 'one', names: ['a.txt'], b: false });
  expect(await memo()).toEqual({ text: 'one', names: ['a.txt'], b: false });
  expect(runs()).toBe(1);

  fs.writeFileSync(path.join(dir, 'data', 'a.txt'), 'two'); // same size, new content
  await tick();
  expect((await memo()).text).toBe('two');
  expect(runs()).toBe(2);

  fs.writeFileSync(path.join(dir, 'data', 'c.txt'), ''); // a new entry in a listed directory
  await tick();
  expect((await memo()).names).toEqual(['a.txt', 'c.txt']);
  expect(runs()).toBe(3);

  fs.mkdirSync(path.join(dir, 'data', 'b.txt')); // a path that was absent now exists
  fs.rmSync(path.join(dir, 'data', 'c.txt'));
  await tick();
  expect((await memo()).b).toBe(true);
  expect(runs()).toBe(4);

  await memo('another key');
  expect(runs()).toBe(5);
  await memo('another key');
  expect(runs()).toBe(5);
});

test('not remembered when it read a file changed within the settle window, or when it wrote', async () => {
  const { compute, runs } = counter();
  await memoizedOverFiles(cacheFile, 'k', compute); // default window: 2 s; a.txt is brand new
  await memoizedOverFiles(cacheFile, 'k', compute);
  expect(runs()).toBe(2);
  expect(fs.existsSync(cacheFile)).toBe(false);

  await tick();
  const writing = async (files: GitFs) => {
    await files.promises.writeFile(path.join(dir, 'data', 'out.txt'), 'x');
    return 1;
  };
  await memoizedOverFiles(cacheFile, 'w', writing, 0);
  expect(fs.existsSync(cacheFile)).toBe(false);
});

test('a damaged cache file is recomputed', async () => {
  const { compute, runs } = counter();
  fs.mkdirSync(path.dirname(cacheFile));
  fs.writeFileSync(cacheFile, '{"key": "k", "deps": [[');
  await tick();
  expect((await memoizedOverFiles(cacheFile, 'k', compute, 0)).text).toBe('one');
  expect(runs()).toBe(1);
});

test('a remembered git status still sees a new untracked file, an edit and a staged change', async () => {
  cacheFile = path.join(`${dir}-cache`, 'memo.json'); // outside the repository it describes
  gitCli(dir, 'init', '-q');
  fs.mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'deep', 'code.ts'), 'export const x = 1;\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'build/\n');
  gitCli(dir, 'add', '-A');
  gitCli(dir, 'commit', '-q', '-m', 'base');
  const status = async () => {
    const matrix = await memoizedOverFiles(
      cacheFile,
      'status',
      (files) => git.statusMatrix({ fs: files, dir, refresh: false }),
      0,
    );
    return matrix.filter(([, h, w, s]) => !(h === 1 && w === 1 && s === 1)).map(([file]) => file);
  };
  await tick();
  expect(await status()).toEqual([]);
  expect(fs.existsSync(cacheFile)).toBe(true);
  expect(await status()).toEqual([]); // from the cache

  fs.mkdirSync(path.join(dir, 'build'));
  fs.writeFileSync(path.join(dir, 'build', 'out.js'), 'ignored');
  await tick();
  expect(await status()).toEqual([]); // ignored, whether or not the cache was reused

  fs.writeFileSync(path.join(dir, 'src', 'deep', 'new.ts'), 'untracked');
  await tick();
  expect(await status()).toEqual(['src/deep/new.ts']);

  fs.writeFileSync(path.join(dir, 'src', 'deep', 'code.ts'), 'export const x = 2;\n');
  await tick();
  expect(await status()).toEqual(['src/deep/code.ts', 'src/deep/new.ts']);

  gitCli(dir, 'add', 'src/deep/new.ts');
  gitCli(dir, 'commit', '-q', '-m', 'add new');
  await tick();
  expect(await status()).toEqual(['src/deep/code.ts']);
});
