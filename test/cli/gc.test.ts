// `cellflow gc`: what it removes (objects no record mentions, snapshot refs of deleted runs, the
// directories reproductions left behind), what --dry-run leaves alone, and that a run started while
// gc works loses nothing.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { git, initAndCommit } from '../repro/project';
import { encodeArtifact } from '../../src/runtime/codecs/codecs';
import { Datastore } from '../../src/runtime/datastore/datastore';

let work: string;
beforeAll(() => {
  work = tempDir();
});
afterAll(() => removeTempDir(work));

const LONG_AGO = new Date('2020-01-01T00:00:00Z');

/** An object no record mentions, dated long ago as if its run had been deleted years back. */
function plantGarbage(store: Datastore, bytes: Uint8Array): string {
  const { sha256 } = store.objects.putSync(bytes);
  fs.utimesSync(store.objects.pathOf(sha256), LONG_AGO, LONG_AGO);
  return sha256;
}

async function runId(notebook: string, cwd: string, env: NodeJS.ProcessEnv, code = 0): Promise<string> {
  const idFile = path.join(work, `id-${Math.random().toString(16).slice(2)}`);
  const result = await cellflow(['run', notebook, '--quiet', '--run-id-file', idFile], {
    cwd,
    env,
    timeoutMs: 120000,
  });
  expect(result.code).toBe(code);
  return fs.readFileSync(idFile, 'utf8').trim();
}

test('gc removes unreferenced objects, refs of deleted runs and finished reproductions; --dry-run nothing', async () => {
  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  const manifest = { name: 'noisy', version: '1.0.0', private: true };
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest) + '\n');
  const lock = { ...manifest, lockfileVersion: 3, requires: true, packages: { '': manifest } };
  fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock) + '\n');
  // Math.random() unseeded: its reproduction differs, so reproduce keeps its directory for a look.
  const notebook = writeNotebook(project, 'noisy.ipynb', [
    { tags: ['step:start'], source: 'self.noise = Math.random();' },
    { tags: ['step:end'], source: 'console.log(self.noise);' },
  ]);
  initAndCommit(project, 'noisy');
  const env = { CELLFLOW_HOME: '' };
  const store = Datastore.open({ cwd: project });
  const kept = await runId(notebook, project, env);
  const deleted = await runId(notebook, project, env);
  const [flow, deletedId] = deleted.split('/');
  const deletedNoise = Datastore.open({ cwd: project }).readTask(flow, deletedId, 'start', '1').artifacts
    .noise.sha256;
  fs.rmSync(store.runDir(flow, deletedId), { recursive: true });
  fs.utimesSync(store.objects.pathOf(deletedNoise), LONG_AGO, LONG_AGO);
  const garbage = plantGarbage(store, Buffer.from('nobody refers to me'));
  const recentGarbage = store.objects.putSync(Buffer.from('nobody refers to me either, yet')).sha256;

  const reproduced = await cellflow(['reproduce', kept], { cwd: project, env, timeoutMs: 180000 });
  expect(reproduced.code).toBe(1); // noise differs
  const reproductionDir = /in (\S*cellflow-reproduce-\S+)/.exec(reproduced.stdout)?.[1];
  expect(reproductionDir && fs.existsSync(reproductionDir)).toBe(true);
  const orphan = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-reproduce-noisy-'));
  const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
  fs.utimesSync(orphan, dayAgo, dayAgo);
  const starting = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-reproduce-noisy-'));

  const refs = () =>
    git(project, 'for-each-ref', '--format=%(refname)', 'refs/cellflow/runs').trim().split('\n');
  expect(refs()).toContain(`refs/cellflow/runs/${deleted}`);
  const before = { refs: refs(), objects: fs.readdirSync(store.objects.root, { recursive: true }).length };

  const dry = await cellflow(['gc', '--dry-run', '--json'], { cwd: project, env });
  expect(dry.code).toBe(0);
  const plan = JSON.parse(dry.stdout);
  expect(plan.objects.removed.map((o: { sha256: string }) => o.sha256).sort()).toEqual(
    [garbage, deletedNoise].sort(),
  );
  expect(plan.snapshotRefs).toEqual([`refs/cellflow/runs/${deleted}`]);
  expect(plan.reproductionDirs).toEqual([reproductionDir, orphan].sort());
  expect(refs()).toEqual(before.refs);
  expect(fs.readdirSync(store.objects.root, { recursive: true }).length).toBe(before.objects);
  expect(fs.existsSync(reproductionDir!) && fs.existsSync(orphan)).toBe(true);

  const done = await cellflow(['gc'], { cwd: project, env });
  expect(done.stderr).toBe('');
  expect(done.code).toBe(0);
  expect(done.stdout).toMatch(/^removed 2 unreferenced objects/m);
  expect(store.objects.has(garbage) || store.objects.has(deletedNoise)).toBe(false);
  expect(store.objects.has(recentGarbage)).toBe(true); // younger than the grace period
  expect(refs()).not.toContain(`refs/cellflow/runs/${deleted}`);
  expect(refs()).toContain(`refs/cellflow/runs/${kept}`);
  expect(fs.existsSync(reproductionDir!) || fs.existsSync(orphan)).toBe(false);
  expect(fs.existsSync(starting)).toBe(true); // may be a reproduction starting right now
  fs.rmSync(starting, { recursive: true });
  // Everything the remaining runs need is still there.
  expect((await cellflow(['fsck'], { cwd: project, env })).code).toBe(0);
  expect((await cellflow(['inspect', kept, '--artifact', 'noise'], { cwd: project, env })).code).toBe(0);
}, 300000);

test('a run started while gc works loses nothing, even objects it found already stored', async () => {
  const root = path.join(work, 'concurrent-store');
  const env = { CELLFLOW_HOME: root };
  const store = Datastore.open({ root });
  const shared = { label: 'the same value in every task', weights: [1, 2, 3] };
  const notebook = writeNotebook(work, 'busy.ipynb', [
    {
      tags: ['step:start', 'foreach:items'],
      source: 'self.items = Array.from({ length: 24 }, (_, i) => i);',
    },
    {
      tags: ['step:body'],
      source: `self.shared = ${JSON.stringify(shared)};\nself.own = { index: self.index, at: Date.now() };`,
    },
    { tags: ['step:join'], source: 'self.count = inputs.length;' },
    { tags: ['step:end'], source: 'console.log(self.count);' },
  ]);
  // The value every body task stores already lies in the store, unreferenced and old: the tasks find
  // it stored and write nothing, so only the object store's refresh keeps gc from taking it.
  const sharedObject = plantGarbage(store, Buffer.concat(encodeArtifact('shared', shared).chunks));
  const garbage = plantGarbage(store, Buffer.from('really garbage'));

  const run = spawn(
    process.execPath,
    [CLI, 'run', notebook, '--quiet', '--max-workers', '2', '--run-id-file', path.join(work, 'busy-id')],
    {
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules'), ...env },
      stdio: 'ignore',
    },
  );
  const finished = new Promise<number | null>((resolve) => run.on('close', resolve));
  let running = true;
  void finished.then(() => (running = false));
  let sweeps = 0;
  while (running) {
    const result = await cellflow(['gc', '--grace', '0'], { env });
    expect(result.code).toBe(0);
    sweeps++;
  }
  expect(await finished).toBe(0);
  expect(sweeps).toBeGreaterThan(1);
  expect((await cellflow(['gc', '--grace', '0'], { env })).code).toBe(0);

  const fsck = await cellflow(['fsck', '--json'], { env });
  expect(JSON.parse(fsck.stdout).damagedObjects).toEqual([]);
  expect(fsck.code).toBe(0);
  const pathspec = fs.readFileSync(path.join(work, 'busy-id'), 'utf8').trim();
  const value = await cellflow(['inspect', pathspec, '--artifact', 'count', '--json'], { env });
  expect(JSON.parse(value.stdout)).toBe(24);
  expect(store.objects.has(sharedObject)).toBe(true);
  expect(store.objects.has(garbage)).toBe(false);
}, 300000);

test('an object a writer found already stored, and one a live run wrote before recording it, are kept', async () => {
  const root = path.join(work, 'rules-store');
  const env = { CELLFLOW_HOME: root };
  const store = Datastore.open({ root });
  const notebook = writeNotebook(work, 'tiny.ipynb', [
    { tags: ['step:start'], source: 'self.x = 1;' },
    { tags: ['step:end'], source: 'console.log(self.x);' },
  ]);
  const [flow, id] = (await runId(notebook, work, env)).split('/');

  // A task between storing an artifact that was already there and writing its task.json.
  const reused = Buffer.from('stored long ago, reused just now');
  const reusedSha = plantGarbage(store, reused);
  store.objects.putSync(reused);
  // A run still going (its scheduler is this test process) that wrote an object five minutes ago.
  const record = store.readRun(flow, id);
  const started = Date.now() - 10 * 60 * 1000;
  store.writeRun({
    ...record,
    status: 'running',
    createdAt: new Date(started).toISOString(),
    scheduler: { pid: process.pid, host: os.hostname(), heartbeatAt: new Date().toISOString() },
  });
  const inFlight = store.objects.putSync(Buffer.from('written by a task still running')).sha256;
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60 * 1000);
  fs.utimesSync(store.objects.pathOf(inFlight), fiveMinutesAgo, fiveMinutesAgo);

  expect((await cellflow(['gc', '--grace', '0'], { env })).code).toBe(0);
  expect(store.objects.has(reusedSha)).toBe(true);
  expect(store.objects.has(inFlight)).toBe(true);

  // Once the run has ended without naming it, the object is garbage like any other.
  store.writeRun({ ...record, status: 'failed' });
  expect((await cellflow(['gc', '--grace', '0'], { env })).code).toBe(0);
  expect(store.objects.has(inFlight)).toBe(false);
}, 120000);
