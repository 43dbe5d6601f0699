// Damage at rest and a full disk: corrupted or missing objects are caught on read with a clear
// integrity error, `cellflow fsck` lists every damaged object with the runs, steps, tasks and artifacts
// that use it, and a datastore on a full disk fails the run with a clear message and whole records.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import * as layout from '../../src/runtime/datastore/layout';
import {
  BACKENDS,
  corruptObject,
  freshLocation,
  removeObject,
  truncateTaskRecord,
} from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';

let work: string;
const s3 = s3ServerForFile();
beforeAll(async () => {
  work = tempDir('cellflow-integrity-');
});
afterAll(async () => {
  removeTempDir(work);
});

/** The environment that points a command at `home`: a folder or s3://BUCKET/PREFIX. */
const storeEnv = (home: string) =>
  home.startsWith('s3://') ? { CELLFLOW_DATASTORE: home } : { CELLFLOW_HOME: home };

async function runHello(home: string): Promise<string> {
  const idFile = path.join(work, `hello-${Date.now()}-${Math.random()}.id`);
  const result = await cellflow(
    ['run', path.join(REPO, 'examples', 'hello.ipynb'), '-q', '--run-id-file', idFile],
    { env: storeEnv(home) },
  );
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

describe.each(BACKENDS)('damaged objects and records (%s datastore)', (backend) => {
  let home: string;
  let first: string;
  let second: string;
  beforeAll(async () => {
    home = backend === 'local' ? path.join(work, 'damaged') : freshLocation('s3', s3.server, 'damaged');
    // Two runs of one flow share (deduplicate) most objects: damage to one object affects both runs.
    first = await runHello(home);
    second = await runHello(home);
  });

  test('a clean datastore passes fsck with exit 0', async () => {
    const check = await cellflow(['fsck', '--datastore', home]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/checked \d+ objects .*, 2 runs, 10 tasks in /);
    expect(check.stdout).toContain('ok: no damage found');
  });

  test('corrupted, missing and unparseable: read errors name the object and artifact; fsck lists each with what it affects', async () => {
    const ds = Datastore.open({ root: home });
    const [flow, runId] = first.split('/');
    const join = ds.listTasks(flow, runId, 'join')[0];
    const out = join.artifacts.out.sha256;
    const aTask = ds.listTasks(flow, runId, 'a')[0];
    const missingName = Object.entries(aTask.artifacts).find(([, ref]) => ref.sha256 !== out)![0];
    const missing = aTask.artifacts[missingName].sha256;

    // One flipped byte in a shared object; one object deleted; one task record truncated.
    const bytes = (await ds.backend.read(layout.objectKey(out)))!.data;
    bytes[0] ^= 0x01;
    await corruptObject(ds, out, bytes);
    await removeObject(ds, missing);
    const [secondFlow, secondRun] = second.split('/');
    const endTask = ds.listTasks(secondFlow, secondRun, 'end')[0];
    await truncateTaskRecord(ds, [secondFlow, secondRun, 'end', endTask.taskId], 40);

    const read = await cellflow(['inspect', `${first}/join/${join.taskId}`, '--artifact', 'out'], {
      env: storeEnv(home),
    });
    expect(read.code).toBe(1);
    expect(read.stderr).toMatch(
      new RegExp(
        `^error: object ${out} \\(artifact 'out' of ${first}/join/${join.taskId}\\) is corrupt: its content hashes to [0-9a-f]{64}\\n$`,
      ),
    );
    expect(() => ds.loadArtifactSync(aTask.artifacts[missingName], `${first}/a.${missingName}`)).toThrow(
      `object ${missing} (${first}/a.${missingName}) is missing from the datastore`,
    );

    const check = await cellflow(['fsck', '--datastore', home, '--json']);
    expect(check.code).toBe(1);
    const report = JSON.parse(check.stdout);
    const corrupt = report.damagedObjects.find((o: { sha256: string }) => o.sha256 === out);
    expect(corrupt.problem).toBe('corrupt');
    const users = corrupt.references.map(
      (r: { pathspec: string; role: string }) => `${r.pathspec} ${r.role}`,
    );
    // The corrupted `out` is used by the join and end tasks of both runs.
    expect(users).toEqual(
      expect.arrayContaining([
        `${first}/join/${join.taskId} artifact 'out'`,
        expect.stringMatching(new RegExp(`^${second}/join/\\d+ artifact 'out'$`)),
      ]),
    );
    const gone = report.damagedObjects.find((o: { sha256: string }) => o.sha256 === missing);
    expect(gone.problem).toBe('missing');
    expect(gone.references.map((r: { pathspec: string }) => r.pathspec)).toContain(
      `${first}/a/${aTask.taskId}`,
    );
    expect(report.damagedRecords).toEqual([
      expect.objectContaining({
        pathspec: `${second}/end/${endTask.taskId}`,
        detail: expect.stringMatching(/^cannot be read as JSON/),
      }),
    ]);
    expect(report.affectedRuns).toEqual([first, second].sort());

    const text = await cellflow(['fsck', '--datastore', home]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`✗ object ${out} is corrupt: its content hashes to`);
    expect(text.stdout).toContain(`    used by ${first}/join/${join.taskId}: artifact 'out'`);
    expect(text.stdout).toContain(`✗ object ${missing} is missing from the datastore`);
    expect(text.stdout).toContain(
      `damage: 2 object(s), 1 record(s); affected runs: ${[first, second].sort().join(', ')}`,
    );
  });
});

/** Mounts a 2 MiB tmpfs, or says why it cannot (not root, no mount permission in this container). */
function mountSmallDisk(dir: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) {
    return 'not root: cannot mount a tmpfs';
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${(error as Error).message}`;
  }
}

test('fsck of a folder that is not a datastore is bad input (exit 2)', async () => {
  const check = await cellflow(['fsck', '--datastore', path.join(work, 'nowhere')]);
  expect(check.code).toBe(2);
  expect(check.stderr).toBe(`error: no datastore at ${path.join(work, 'nowhere')}\n`);
});

describe('a full disk', () => {
  const disk = () => path.join(work, 'small-disk');
  let skipReason: string | undefined;
  beforeAll(() => {
    skipReason = mountSmallDisk(disk());
    if (skipReason) {
      console.warn(`disk-full tests skipped: ${skipReason}`);
    }
  });
  afterAll(() => {
    if (!skipReason) {
      execFileSync('umount', [disk()]);
    }
  });

  test('an artifact larger than the free space fails the run with a clear message and whole records', async () => {
    if (skipReason) {
      return;
    }
    const home = path.join(disk(), 'store');
    const nb = writeNotebook(work, 'full.ipynb', [
      { tags: ['step:start'], source: 'self.small = 1;' },
      { tags: ['step:big'], source: 'self.big = Buffer.alloc(3 << 20, 7);' },
      { tags: ['step:end'], source: '' },
    ]);
    const idFile = path.join(work, 'full.id');
    const result = await cellflow(['run', nb, '--run-id-file', idFile], { env: { CELLFLOW_HOME: home } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `step big (task 2) failed at full.ipynb: the datastore at ${home} is full (no space left on device) while storing artifact 'big' (3145728 bytes); free some space and resume the run`,
    );
    expect(result.stderr).toBe('');
    const [flow, runId] = fs.readFileSync(idFile, 'utf8').trim().split('/');
    const ds = Datastore.open({ root: home });
    const run = ds.readRun(flow, runId);
    expect(run.status).toBe('failed');
    expect(schemaErrors('run', run)).toEqual([]);
    for (const task of ds.listTasks(flow, runId)) {
      expect(schemaErrors('task', task)).toEqual([]);
    }
    const check = await cellflow(['fsck', '--datastore', home, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).strayFiles).toEqual([]); // the failed write cleaned up after itself
  });

  test('a step that reads a large artifact and keeps it needs no room to store it again', async () => {
    if (skipReason) {
      return;
    }
    const home = path.join(disk(), 'store-reread');
    // 1.2 MiB on a 2 MiB disk: stored once it fits, but a second copy (even a temp file) would not.
    const nb = writeNotebook(work, 'reread.ipynb', [
      { tags: ['step:start'], source: 'self.big = Buffer.alloc(1200 << 10, 7);' },
      { tags: ['step:check'], source: 'self.first = self.big[0];' },
      { tags: ['step:end'], source: 'console.log(`big: ${self.big.length} bytes of ${self.first}`);' },
    ]);
    const result = await cellflow(['run', nb], { env: { CELLFLOW_HOME: home } });
    expect(result.stdout).toContain('big: 1228800 bytes of 7');
    expect(result.code).toBe(0);
    fs.rmSync(home, { recursive: true });
  });

  test('a disk with no room at all: the run stops with the message, nothing half-written', async () => {
    if (skipReason) {
      return;
    }
    const home = path.join(disk(), 'store2');
    fs.mkdirSync(home);
    // Fill the disk to the last byte.
    const filler = path.join(disk(), 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      const block = Buffer.alloc(4096, 1);
      for (;;) {
        fs.writeSync(fd, block);
      }
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const nb = path.join(REPO, 'examples', 'hello.ipynb');
    const result = await cellflow(['run', nb, '-q'], { env: { CELLFLOW_HOME: home } });
    fs.rmSync(filler);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: the datastore at ${home} is full \\(no space left on device\\) while writing`),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const check = await cellflow(['fsck', '--datastore', home, '--json']);
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.damagedRecords).toEqual([]);
    expect(report.strayFiles).toEqual([]);
  });
});
