// Blobs for a run's snapshot: written only when the repository lacks them, with the id git gives.
import * as fs from 'fs';
import * as path from 'path';
import { blobOid, oidAtPath, writeBlobOnce } from '../../src/runtime/repro/capture/git-tree';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { git } from './project';

let dir: string;
let gitdir: string;
const looseObjects = () =>
  fs
    .readdirSync(path.join(gitdir, 'objects'))
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => fs.readdirSync(path.join(gitdir, 'objects', d)).map((f) => d + f));

beforeEach(() => {
  dir = tempDir('cellflow-git-tree-');
  gitdir = path.join(dir, '.git');
  git(dir, 'init', '-q');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'lock.json'), '{"locked": true}\n'.repeat(5000));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'gc', '-q'); // every object packed: an existing blob is no longer a file of its own
});
afterEach(() => removeTempDir(dir));

test('blobOid is the id git gives the same bytes', () => {
  const bytes = fs.readFileSync(path.join(dir, 'sub', 'lock.json'));
  expect(blobOid(bytes)).toBe(git(dir, 'hash-object', 'sub/lock.json').trim());
  expect(blobOid(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'); // git's empty blob
});

test('a blob the base tree already holds at that path is not written again', async () => {
  const bytes = fs.readFileSync(path.join(dir, 'sub', 'lock.json'));
  const tree = git(dir, 'rev-parse', 'HEAD^{tree}').trim();
  const atBase = await oidAtPath(gitdir, tree, 'sub/lock.json', {});
  expect(atBase).toBe(git(dir, 'rev-parse', 'HEAD:sub/lock.json').trim());
  expect(await oidAtPath(gitdir, tree, 'sub/missing.json', {})).toBeUndefined();
  expect(await oidAtPath(gitdir, tree, 'nowhere/lock.json', {})).toBeUndefined();

  expect(looseObjects()).toEqual([]);
  expect(await writeBlobOnce(gitdir, bytes, atBase)).toBe(atBase);
  expect(looseObjects()).toEqual([]); // nothing deflated, nothing written
});

test('new content is written as a loose object that git reads back', async () => {
  const bytes = Buffer.from('changed since HEAD\n');
  const oid = await writeBlobOnce(gitdir, bytes, await oidAtPath(gitdir, null, 'sub/lock.json', {}));
  expect(looseObjects()).toEqual([oid]);
  expect(git(dir, 'cat-file', '-p', oid)).toBe('changed since HEAD\n');
  // Written once: the second call finds the loose object.
  const mtime = fs.statSync(path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2))).mtimeMs;
  expect(await writeBlobOnce(gitdir, bytes)).toBe(oid);
  expect(fs.statSync(path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2))).mtimeMs).toBe(mtime);
});
