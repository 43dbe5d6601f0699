import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IntegrityError, ObjectStore } from '../../src/runtime/datastore/objects';

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Every file under objects/, relative, so a test can see exactly what a write left behind. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((entry) => fs.statSync(path.join(dir, entry)).isFile())
    .sort();
}

describe('ObjectStore', () => {
  let root: string;
  let store: ObjectStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-objects-'));
    store = new ObjectStore(path.join(root, 'objects'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores content under objects/<sha[0:2]>/<sha> and leaves no temp file behind', async () => {
    const data = Buffer.from('hello, cellflow');
    const blob = await store.put(data);
    expect(blob).toEqual({ sha256: sha(data), bytes: data.length });
    expect(store.pathOf(blob.sha256)).toBe(path.join(root, 'objects', blob.sha256.slice(0, 2), blob.sha256));
    expect(fs.readFileSync(store.pathOf(blob.sha256))).toEqual(data);
    expect(filesUnder(path.join(root, 'objects'))).toEqual([path.join(blob.sha256.slice(0, 2), blob.sha256)]);
  });

  it('makes a streamed object visible only once it is complete', async () => {
    const first = Buffer.alloc(1000, 1);
    const second = Buffer.alloc(1000, 2);
    const expected = sha(Buffer.concat([first, second]));
    const seenMidway: string[][] = [];
    async function* chunks() {
      yield first;
      // Mid-write: nothing may be visible in the fan-out folders, and the object must not exist yet.
      seenMidway.push(filesUnder(path.join(root, 'objects')).filter((f) => !f.startsWith('.tmp')));
      expect(store.has(expected)).toBe(false);
      yield second;
    }
    const blob = await store.putChunks(chunks());
    expect(seenMidway).toEqual([[]]);
    expect(blob).toEqual({ sha256: expected, bytes: 2000 });
    expect(filesUnder(path.join(root, 'objects'))).toEqual([path.join(expected.slice(0, 2), expected)]);
  });

  it('removes the temp file when the chunk source fails', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source broke');
    }
    await expect(store.putChunks(failing())).rejects.toThrow('source broke');
    expect(filesUnder(path.join(root, 'objects'))).toEqual([]);
  });

  it('deduplicates: storing the same content again writes no bytes, only refreshes its mtime', async () => {
    const data = Buffer.from('same bytes');
    const { sha256 } = await store.put(data);
    const file = store.pathOf(sha256);
    const past = new Date('2001-01-01T00:00:00Z');
    fs.utimesSync(file, past, past);
    const before = fs.statSync(file);

    await store.put(Buffer.from('same bytes'));
    await store.putChunks([Buffer.from('same '), Buffer.from('bytes')]);

    // The same inode: no temp file was renamed over it. The new mtime tells `cellflow gc` it is in use.
    const after = fs.statSync(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBeGreaterThan(past.getTime());
    expect(filesUnder(path.join(root, 'objects'))).toHaveLength(1);
  });

  it('hashes streamed chunks exactly as the concatenated content', async () => {
    const chunk = Buffer.alloc(1 << 20, 7);
    const blob = await store.putChunks(Array.from({ length: 8 }, () => chunk));
    expect(blob.bytes).toBe(8 << 20);
    expect(blob.sha256).toBe(sha(Buffer.alloc(8 << 20, 7)));
    expect((await store.get(blob.sha256)).length).toBe(8 << 20);
  });

  it('detects corruption on every read with an IntegrityError naming the object', async () => {
    const { sha256 } = await store.put(Buffer.from('precious data'));
    fs.writeFileSync(store.pathOf(sha256), 'precious dat4');
    await expect(store.get(sha256, 'Flow/1/start/1.model')).rejects.toThrow(IntegrityError);
    await expect(store.get(sha256, 'Flow/1/start/1.model')).rejects.toThrow(
      new RegExp(`object ${sha256} \\(Flow/1/start/1\\.model\\) is corrupt`),
    );
    expect(() => store.getSync(sha256)).toThrow(IntegrityError);
  });

  it('reports a missing object as an IntegrityError', async () => {
    const absent = sha(Buffer.from('never stored'));
    expect(store.has(absent)).toBe(false);
    await expect(store.get(absent)).rejects.toThrow(`object ${absent} is missing from the datastore`);
  });

  it('refuses names that are not sha256 digests, so no path can escape the store', () => {
    for (const bad of ['../../etc/passwd', 'ab', 'A'.repeat(64), `${'0'.repeat(63)}/`]) {
      expect(() => store.pathOf(bad)).toThrow(IntegrityError);
    }
  });
});
