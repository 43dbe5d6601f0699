// The stat-validated cache behind the drift check: trusted while a file's stat is unchanged, re-read
// when it changed, never trusted for files too fresh to tell, harmless when missing or damaged.
import * as fs from 'fs';
import * as path from 'path';
import { StatCache } from '../../src/runtime/repro/capture/stat-cache';
import { removeTempDir, tempDir } from '../helpers/notebook';

let dir: string;
let cacheFile: string;
let manifest: string;
const version = (json: unknown) => (json as { version: string }).version;
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));
const stored = () =>
  JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { entries: Record<string, { value: unknown }> };

beforeEach(async () => {
  dir = tempDir('cellflow-stat-cache-');
  cacheFile = path.join(dir, 'cache', 'drift.json');
  manifest = path.join(dir, 'package.json');
  fs.writeFileSync(manifest, JSON.stringify({ version: '1.0.0' }));
  await settled();
});
afterEach(() => removeTempDir(dir));

test('an unchanged file is answered from the cache; a rewritten one is read again', async () => {
  const first = new StatCache(cacheFile, 0);
  expect(first.readJson(manifest, version)).toBe('1.0.0');
  first.save();
  // What the cache holds is what it answers while the stat matches (shown by editing the cache).
  const edited = stored();
  edited.entries[manifest].value = 'from the cache';
  fs.writeFileSync(cacheFile, JSON.stringify(edited));
  expect(new StatCache(cacheFile, 0).readJson(manifest, version)).toBe('from the cache');

  fs.writeFileSync(manifest, JSON.stringify({ version: '1.0.1' }));
  await settled();
  const again = new StatCache(cacheFile, 0);
  expect(again.readJson(manifest, version)).toBe('1.0.1');
  again.save();
  expect(stored().entries[manifest].value).toBe('1.0.1');
});

test('a file changed within the settle window is read but not remembered', () => {
  fs.writeFileSync(manifest, JSON.stringify({ version: '2.0.0' }));
  const cache = new StatCache(cacheFile); // default window: 2 s
  expect(cache.readJson(manifest, version)).toBe('2.0.0');
  cache.save();
  expect(fs.existsSync(cacheFile)).toBe(false);
});

test('a missing file, a file that is not JSON and a damaged cache are each handled', () => {
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, '{"entries": {"broken');
  const cache = new StatCache(cacheFile, 0);
  expect(cache.readJson(path.join(dir, 'absent.json'), version)).toBeUndefined();
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
  expect(cache.readJson(path.join(dir, 'bad.json'), version)).toBeUndefined();
  expect(cache.readJson(manifest, version)).toBe('1.0.0');
  cache.save();
  expect(Object.keys(stored().entries)).toEqual([manifest]);
});

test('files no longer looked up drop out of the cache', async () => {
  const other = path.join(dir, 'other.json');
  fs.writeFileSync(other, JSON.stringify({ version: '3.0.0' }));
  await settled();
  const both = new StatCache(cacheFile, 0);
  both.readJson(manifest, version);
  both.readJson(other, version);
  both.save();
  expect(Object.keys(stored().entries).sort()).toEqual([manifest, other].sort());
  const one = new StatCache(cacheFile, 0);
  one.readJson(manifest, version);
  one.save();
  expect(Object.keys(stored().entries)).toEqual([manifest]);
});
