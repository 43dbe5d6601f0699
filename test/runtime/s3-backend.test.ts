// The S3 backend against a real S3 server (versitygw): conditional writes, multipart uploads, an
// upload killed half way, corruption, and the configuration errors a user can make.
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Datastore, IntegrityError, PreconditionFailedError } from '../../src/runtime/datastore/datastore';
import { cellflow, REPO } from '../helpers/cli';
import { s3ServerForFile } from '../helpers/s3-server';

const s3 = s3ServerForFile();

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The file versitygw keeps an object in (a bucket is a folder of the server's). */
const objectFile = (prefix: string, key: string) => path.join(s3.server.dir, s3.server.bucket, prefix, key);

test('records are conditional: create-only, and updates only of the version read', () => {
  const ds = Datastore.open({ root: s3.server.url('conditional') });
  const backend = ds.backend;
  const first = backend.writeSync('flows/F/1/run.json', '{"a":1}', { ifAbsent: true });
  expect(() => backend.writeSync('flows/F/1/run.json', '{"a":2}', { ifAbsent: true })).toThrow(
    PreconditionFailedError,
  );
  const second = backend.writeSync('flows/F/1/run.json', '{"a":3}', { ifVersion: first });
  expect(() => backend.writeSync('flows/F/1/run.json', '{"a":4}', { ifVersion: first })).toThrow(
    PreconditionFailedError,
  );
  expect(backend.readSync('flows/F/1/run.json')).toEqual({ data: Buffer.from('{"a":3}'), version: second });
  expect(backend.readSync('flows/F/1/missing.json')).toBeUndefined();
  expect(backend.listSync('flows')).toEqual({ folders: ['F'], files: [] });
  expect(backend.listSync('flows/F/1')).toEqual({ folders: [], files: ['run.json'] });
});

test('a large object goes up in parts, is read back verified, and is never written twice', async () => {
  const ds = Datastore.open({ root: s3.server.url('multipart') });
  // 40 MiB in uneven chunks: three parts, chunk boundaries inside parts.
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc((1 << 20) + (i % 3) - 1, i));
  const whole = Buffer.concat(chunks);
  const blob = await ds.objects.putChunks(chunks);
  expect(blob).toEqual({ sha256: sha(whole), bytes: whole.byteLength });
  expect((await ds.objects.get(blob.sha256)).equals(whole)).toBe(true);
  expect(ds.objects.getSync(blob.sha256).equals(whole)).toBe(true);
  const file = objectFile('multipart', `objects/${blob.sha256.slice(0, 2)}/${blob.sha256}`);
  const before = fs.statSync(file).mtimeMs;
  await ds.objects.putChunks(chunks);
  expect(fs.statSync(file).mtimeMs).toBe(before);
});

test('a corrupted object is caught before its value is used', async () => {
  const ds = Datastore.open({ root: s3.server.url('corrupt') });
  const ref = await ds.saveArtifact('model', { weights: [1, 2, 3] });
  fs.writeFileSync(
    objectFile('corrupt', `objects/${ref.sha256.slice(0, 2)}/${ref.sha256}`),
    '{"weights":[1,2,4]}',
  );
  await expect(ds.loadArtifact(ref, "artifact 'model'")).rejects.toThrow(IntegrityError);
  expect(() => ds.loadArtifactSync(ref, "artifact 'model'")).toThrow(/artifact 'model'.*is corrupt/);
});

test('an upload killed half way leaves no visible object', async () => {
  const url = s3.server.url('killed');
  const script = `
    const { Datastore } = require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/datastore/datastore.js'))});
    const chunks = Array.from({ length: 160 }, (_, i) => Buffer.alloc(1 << 20, i));
    Datastore.open({ root: ${JSON.stringify(url)} }).objects.putChunks(chunks).then(() => console.log('complete'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const staging = path.join(s3.server.dir, s3.server.bucket, '.sgwtmp', 'multipart');
  const deadline = Date.now() + 30_000;
  // Half way: the server holds parts of the upload (and the upload has not completed).
  while (!hasFiles(staging)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`no upload in progress seen\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(output).not.toContain('complete');
  const whole = Buffer.concat(Array.from({ length: 160 }, (_, i) => Buffer.alloc(1 << 20, i)));
  const ds = Datastore.open({ root: url });
  expect(ds.objects.has(sha(whole))).toBe(false);
  expect(await ds.backend.listAll('objects')).toEqual([]);
});

test('bad credentials, an unknown bucket and an unreachable endpoint exit 2 naming which', async () => {
  const env = { ...s3.server.env, CELLFLOW_DATASTORE: s3.server.url('errors') };
  const badCredentials = await cellflow(['runs'], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret' } });
  expect(badCredentials.code).toBe(2);
  expect(badCredentials.stderr).toMatch(/^error: the S3 credentials were refused/);
  const unknownBucket = await cellflow(['runs'], {
    env: { ...env, CELLFLOW_DATASTORE: 's3://no-such-bucket/x' },
  });
  expect(unknownBucket.code).toBe(2);
  expect(unknownBucket.stderr).toMatch(/^error: the bucket 'no-such-bucket' does not exist/);
  const unreachable = await cellflow(['runs'], {
    env: { ...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', CELLFLOW_S3_MAX_ATTEMPTS: '2' },
  });
  expect(unreachable.code).toBe(2);
  expect(unreachable.stderr).toMatch(/^error: the S3 endpoint http:\/\/127\.0\.0\.1:9 .* cannot be reached/);
  for (const result of [badCredentials, unknownBucket, unreachable]) {
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});

function hasFiles(dir: string): boolean {
  if (!fs.existsSync(dir)) {
    return false;
  }
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .some((entry) => entry.isFile() && fs.statSync(path.join(entry.parentPath ?? dir, entry.name)).size > 0);
}
