// One datastore shared through S3: runs, resumes and fsck on both backends; and the team story on a
// real S3 server (versitygw): a run written by alice from one directory is read, resumed and
// reproduced by bob from another directory with a fresh HOME, through the bucket alone; tasks of
// one run executed by `cellflow step` on two "bare machines"; two attempts racing for one record.
import * as fs from 'fs';
import * as path from 'path';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { BACKENDS, corruptObject, freshLocation, removeLocation } from '../helpers/backends';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { s3ServerForFile } from '../helpers/s3-server';

const s3 = s3ServerForFile();
const dirs: string[] = [];
const locations: string[] = [];

afterAll(async () => {
  for (const dir of dirs) {
    removeTempDir(dir);
  }
  for (const location of locations) {
    removeLocation(location);
  }
});

function fresh(name: string): string {
  const dir = tempDir(`cellflow-${name}-`);
  dirs.push(dir);
  return dir;
}

/** A project of its own (package.json + a lockfile with no dependencies) with a three-step flow whose middle step fails while FLAG exists. */
function teamProject(flag: string): { dir: string; notebook: string } {
  const dir = fresh('team-project');
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'team', version: '1.0.0', private: true }),
  );
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'team',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'team', version: '1.0.0' } },
    }),
  );
  const notebook = writeNotebook(dir, 'team.ipynb', [
    { tags: ['step:start'], source: 'self.x = 1;\nself.items = [1, 2, 3];' },
    {
      tags: ['step:work'],
      source: `if (require('fs').existsSync(${JSON.stringify(flag)})) throw new Error('flag set');\nself.y = self.x + 1;`,
    },
    { tags: ['step:end'], source: 'self.z = self.y * 10;' },
  ]);
  return { dir, notebook };
}

describe.each(BACKENDS)('%s datastore', (backend) => {
  test('a run fails, resumes reusing its successful tasks, and fsck finds corruption', async () => {
    const location = freshLocation(backend, s3.server, 'shared');
    locations.push(location);
    const work = fresh('shared');
    const flag = path.join(work, 'fail');
    fs.writeFileSync(flag, '');
    const { notebook } = teamProject(flag);
    const env = { CELLFLOW_DATASTORE: location, CELLFLOW_USER: 'alice', HOME: fresh('home') };
    const idFile = path.join(work, 'id');
    const failed = await cellflow(['run', notebook, '--run-id-file', idFile], { env, timeoutMs: 120_000 });
    expect(failed.code).toBe(1);
    const first = fs.readFileSync(idFile, 'utf8').trim();
    fs.rmSync(flag);
    const resumed = await cellflow(['resume', first, '--run-id-file', idFile], { env, timeoutMs: 120_000 });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const second = fs.readFileSync(idFile, 'utf8').trim();

    const ds = Datastore.open({ root: location });
    const [flow, runId] = second.split('/');
    const tasks = ds.listTasks(flow, runId);
    expect(tasks.find((t) => t.step === 'start')!.reusedFrom).toMatch(new RegExp(`^${first}/start/`));
    const end = tasks.find((t) => t.step === 'end')!;
    expect(ds.loadArtifactSync(end.artifacts.z)).toBe(20);

    const listed = await cellflow(['runs', flow, '--user', 'alice', '--json'], { env });
    expect(JSON.parse(listed.stdout).map((r: { pathspec: string }) => r.pathspec)).toEqual([second, first]);
    expect((await cellflow(['fsck'], { env })).code).toBe(0);
    await corruptObject(ds, end.artifacts.z.sha256, '21');
    const damaged = await cellflow(['fsck', '--json'], { env });
    expect(damaged.code).toBe(1);
    expect(JSON.parse(damaged.stdout).affectedRuns).toEqual([second]);
  });
});

test('alice runs from one directory; bob, elsewhere with a fresh HOME, reads, resumes and reproduces it through the bucket', async () => {
  const location = s3.server.url('team');
  const aliceHome = fresh('alice-home');
  const flag = path.join(aliceHome, 'fail');
  fs.writeFileSync(flag, '');
  const project = teamProject(flag);
  const alice = {
    CELLFLOW_DATASTORE: location,
    CELLFLOW_USER: 'alice',
    HOME: aliceHome,
    XDG_CACHE_HOME: path.join(aliceHome, '.cache'),
  };
  const idFile = path.join(aliceHome, 'id');
  const failed = await cellflow(['run', project.notebook, '--run-id-file', idFile, '--tag', 'nightly'], {
    env: alice,
    cwd: project.dir,
    timeoutMs: 120_000,
  });
  expect(failed.code).toBe(1);
  const run = fs.readFileSync(idFile, 'utf8').trim();
  // Alice's machine is gone: the project folder and her flag with it.
  fs.rmSync(project.dir, { recursive: true });
  fs.rmSync(flag);

  const bobHome = fresh('bob-home');
  const bobDir = fresh('bob-dir');
  const bob = {
    CELLFLOW_DATASTORE: location,
    CELLFLOW_USER: 'bob',
    HOME: bobHome,
    XDG_CACHE_HOME: path.join(bobHome, '.cache'),
  };
  const listed = await cellflow(['runs', '--user', 'alice', '--tag', 'nightly', '--json'], {
    env: bob,
    cwd: bobDir,
  });
  expect(
    JSON.parse(listed.stdout).map((r: { pathspec: string; status: string }) => [r.pathspec, r.status]),
  ).toEqual([[run, 'failed']]);
  const inspected = await cellflow(['inspect', `${run}/start/1`, '--artifact', 'x'], {
    env: bob,
    cwd: bobDir,
  });
  expect(inspected.stdout).toContain('1');

  const resumed = await cellflow(['resume', run, '--run-id-file', path.join(bobDir, 'id')], {
    env: bob,
    cwd: bobDir,
    timeoutMs: 120_000,
  });
  expect(resumed.code).toBe(0);
  const bobRun = fs.readFileSync(path.join(bobDir, 'id'), 'utf8').trim();
  const reproduced = await cellflow(['reproduce', bobRun, '--in', path.join(bobDir, 'repro')], {
    env: bob,
    cwd: bobDir,
    timeoutMs: 180_000,
  });
  expect(reproduced.code).toBe(0);
  expect(reproduced.stdout).toMatch(/identical/);

  // The Client API sees both users' runs in one bucket, by namespace.
  const { Flow, namespace, setDatastore } = await import('../../src/client');
  setDatastore(location);
  try {
    namespace('user:alice');
    expect(new Flow('team').runs().map((r) => r.pathspec)).toEqual([run]);
    namespace('user:bob');
    // Bob's resume, and its reproduction (newest).
    const bobs = new Flow('team').runs();
    expect(bobs.map((r) => r.pathspec)).toEqual([expect.stringMatching(/^team\//), bobRun]);
    expect(bobs[0].record.origin).toMatchObject({ kind: 'reproduce', pathspec: bobRun });
    expect(await new Flow('team').latestSuccessfulRun!.data('z')).toBe(20);
    namespace(null);
    expect(new Flow('team').runs().length).toBeGreaterThanOrEqual(3);
  } finally {
    namespace('alice');
    setDatastore();
  }
});

test('the tasks of one run execute on two bare machines (only node, cellflow and the bucket) and race for records', async () => {
  const location = s3.server.url('bare');
  const origin = fresh('origin');
  const project = teamProject(path.join(origin, 'never'));
  const local = fresh('local-store');
  // The reference: the same flow run locally.
  const reference = await cellflow(['run', project.notebook, '--run-id-file', path.join(origin, 'ref')], {
    env: { CELLFLOW_DATASTORE: local, HOME: origin },
    timeoutMs: 120_000,
  });
  expect(reference.code).toBe(0);
  const refSpec = fs.readFileSync(path.join(origin, 'ref'), 'utf8').trim();
  const pushed = await cellflow(['push', refSpec, '--to', location], { env: { CELLFLOW_DATASTORE: local } });
  expect(pushed.code).toBe(0);
  fs.rmSync(project.dir, { recursive: true });

  const machine = (name: string) => {
    const home = fresh(name);
    return {
      env: { CELLFLOW_DATASTORE: location, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') },
      cwd: fresh(`${name}-cwd`),
      home,
    };
  };
  const a = machine('machine-a');
  const b = machine('machine-b');
  // Tasks 11..13 of the pushed run, start on machine a, work and end on machine b.
  const step = (m: ReturnType<typeof machine>, args: string[]) =>
    cellflow(['step', refSpec, ...args], { env: m.env, cwd: m.cwd, timeoutMs: 120_000 });
  expect((await step(a, ['start', '11'])).code).toBe(0);
  expect((await step(b, ['work', '12', '--input-paths', 'start/11'])).code).toBe(0);
  expect((await step(b, ['end', '13', '--input-paths', 'work/12'])).code).toBe(0);
  // The locked dependencies were installed once per machine, into the cache keyed by the lockfile.
  const ds = Datastore.open({ root: location });
  const run = ds.readRun(...(refSpec.split('/') as [string, string]));
  for (const m of [a, b]) {
    expect(
      fs.existsSync(path.join(m.home, '.cache', 'cellflow', 'deps', run.lockfile!.sha256, '.installed')),
    ).toBe(true);
  }
  const [flow, runId] = refSpec.split('/');
  const remote = ds.readTask(flow, runId, 'end', '13');
  const original = ds.listTasks(flow, runId, 'end').find((t) => t.taskId !== '13')!;
  expect(remote.status).toBe('succeeded');
  expect(remote.artifacts).toEqual(original.artifacts);

  // Two attempts racing for one task record: exactly one wins, the other says so.
  const [first, second] = await Promise.all([
    step(a, ['end', '14', '--input-paths', 'work/12']),
    step(b, ['end', '14', '--input-paths', 'work/12']),
  ]);
  expect([first.code, second.code].sort()).toEqual([0, 1]);
  expect(first.stderr + second.stderr).toMatch(/another attempt recorded task .*\/end\/14 first/);
  expect(ds.readTask(flow, runId, 'end', '14').attempts).toHaveLength(1);
});
