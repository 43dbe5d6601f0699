// Drift between package-lock.json and node_modules, found with real files: a changed version, a
// changed integrity (which `npm ls` does not report), a missing package and an extraneous one.
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { ObjectStore } from '../../src/runtime/datastore/objects';
import {
  captureLockfile,
  driftOf,
  findLockfile,
  lockedPackages,
} from '../../src/runtime/repro/capture/lockfile';
import { StatCache } from '../../src/runtime/repro/capture/stat-cache';

let work: string;
beforeAll(() => (work = tempDir('cellflow-drift-')));
afterAll(() => removeTempDir(work));

function install(root: string, key: string, version: string): void {
  fs.mkdirSync(path.join(root, key), { recursive: true });
  fs.writeFileSync(
    path.join(root, key, 'package.json'),
    JSON.stringify({ name: path.basename(key), version }),
  );
}

test('changed version and integrity, missing and extraneous packages are each reported; optional ones may be absent', async () => {
  const root = path.join(work, 'project');
  const locked = {
    'node_modules/same': { version: '1.0.0', integrity: 'sha512-same', resolved: 'https://r/same-1.0.0.tgz' },
    'node_modules/newer': { version: '1.0.0', integrity: 'sha512-n1', resolved: 'https://r/newer-1.0.0.tgz' },
    'node_modules/tampered': {
      version: '3.0.0',
      integrity: 'sha512-good',
      resolved: 'https://r/t-3.0.0.tgz',
    },
    'node_modules/gone': { version: '1.1.0', integrity: 'sha512-g' },
    'node_modules/fsevents': { version: '2.3.3', optional: true },
    'node_modules/same/node_modules/nested': { version: '0.1.0' },
  };
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(
    path.join(root, 'package-lock.json'),
    JSON.stringify({ name: 'p', lockfileVersion: 3, packages: { '': { name: 'p' }, ...locked } }),
  );
  install(root, 'node_modules/same', '1.0.0');
  install(root, 'node_modules/same/node_modules/nested', '0.1.0');
  install(root, 'node_modules/newer', '1.2.0');
  install(root, 'node_modules/tampered', '3.0.0');
  install(root, 'node_modules/@scope/stray', '9.9.9');
  fs.writeFileSync(
    path.join(root, 'node_modules', '.package-lock.json'),
    JSON.stringify({
      lockfileVersion: 3,
      packages: {
        ...locked,
        'node_modules/newer': {
          version: '1.2.0',
          integrity: 'sha512-n2',
          resolved: 'https://r/newer-1.2.0.tgz',
        },
        'node_modules/tampered': {
          version: '3.0.0',
          integrity: 'sha512-evil',
          resolved: 'https://r/t-3.0.0.tgz',
        },
      },
    }),
  );

  const lockfile = findLockfile(path.join(root, 'notebooks', 'deep'), root);
  expect(lockfile).toBe(path.join(root, 'package-lock.json'));
  const objects = new ObjectStore(path.join(work, 'objects'));
  const { record } = await captureLockfile(objects, lockfile, root);

  expect(record.packages).toBe(6);
  expect(objects.getSync(record.sha256).toString('utf8')).toBe(fs.readFileSync(lockfile!, 'utf8'));
  expect(record.drift.checked).toBe(true);
  expect(record.drift.changed).toEqual([
    {
      path: 'node_modules/newer',
      locked: { version: '1.0.0', integrity: 'sha512-n1', resolved: 'https://r/newer-1.0.0.tgz' },
      installed: { version: '1.2.0', integrity: 'sha512-n2', resolved: 'https://r/newer-1.2.0.tgz' },
    },
    {
      path: 'node_modules/tampered',
      locked: { version: '3.0.0', integrity: 'sha512-good', resolved: 'https://r/t-3.0.0.tgz' },
      installed: { version: '3.0.0', integrity: 'sha512-evil', resolved: 'https://r/t-3.0.0.tgz' },
    },
  ]);
  expect(record.drift.missing).toEqual([
    { path: 'node_modules/gone', locked: { version: '1.1.0', integrity: 'sha512-g' } },
  ]);
  expect(record.drift.extraneous).toEqual([
    { path: 'node_modules/@scope/stray', installed: { version: '9.9.9' } },
  ]);
});

test('lockfileVersion 1 nested dependencies are flattened to paths', () => {
  const packages = lockedPackages({
    lockfileVersion: 1,
    dependencies: { a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } } },
  });
  expect(Object.keys(packages)).toEqual(['node_modules/a', 'node_modules/a/node_modules/b']);
  expect(packages['node_modules/a/node_modules/b'].version).toBe('2.0.0');
});

test('a lockfile that is not JSON is reported with its path', async () => {
  const root = path.join(work, 'broken');
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{ "lockfileVersion": 3, <<<<<<< HEAD');
  const objects = new ObjectStore(path.join(work, 'objects'));
  await expect(captureLockfile(objects, path.join(root, 'package-lock.json'), root)).rejects.toThrow(
    `${path.join(root, 'package-lock.json')}: not valid JSON`,
  );
});

test('a drift cache kept between runs gives the same drift and sees a package reinstalled since', async () => {
  const root = path.join(work, 'cached');
  const packages = {
    'node_modules/a': { version: '1.0.0' },
    'node_modules/b': { version: '2.0.0' },
  };
  install(root, 'node_modules/a', '1.0.0');
  install(root, 'node_modules/b', '2.0.0');
  const cacheFile = path.join(work, 'drift-cache.json');
  const settled = () => new Promise((resolve) => setTimeout(resolve, 20));
  await settled();

  const uncached = await driftOf(root, packages);
  const first = new StatCache(cacheFile, 0);
  expect(await driftOf(root, packages, first)).toEqual(uncached);
  first.save();
  expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).entries)).toHaveLength(2);
  expect(await driftOf(root, packages, new StatCache(cacheFile, 0))).toEqual(uncached);

  install(root, 'node_modules/b', '2.1.0'); // npm install b@2.1.0, after the cache was written
  await settled();
  const after = await driftOf(root, packages, new StatCache(cacheFile, 0));
  expect(after.changed).toEqual([
    { path: 'node_modules/b', locked: { version: '2.0.0' }, installed: { version: '2.1.0' } },
  ]);
});
