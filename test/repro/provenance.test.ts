// Every run records its code (git snapshot commit and datastore objects), its pinned dependencies
// and its environment, without touching the repository, and never a secret.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { allFiles, churnProject, git, gitState, initAndCommit, readRecords } from './project';

const SECRET = 's3cr3t-value-4821';
let work: string;
let home: string;

beforeAll(() => {
  work = tempDir('cellflow-provenance-');
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(notebook: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile, ...extra], {
    cwd: path.dirname(notebook),
    env: { CELLFLOW_HOME: home, ...env },
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return readRecords(home, fs.readFileSync(idFile, 'utf8').trim());
}

test('in a git repository: HEAD, branch, dirty files and a snapshot commit of the exact sources; the repository is untouched', async () => {
  const dir = path.join(work, 'repo');
  fs.mkdirSync(dir);
  const notebook = churnProject(dir);
  fs.appendFileSync(path.join(dir, 'README.md'), 'edited, not committed\n');
  fs.writeFileSync(path.join(dir, 'scratch.txt'), 'untracked\n');
  git(dir, 'stash', 'list'); // the stash is empty and must stay so
  const before = gitState(dir);

  const { run: record } = await run(notebook, ['--seed', '42'], {
    MY_API_TOKEN: SECRET,
    CELLFLOW_ENV_ALLOW: 'MY_API_TOKEN,SOME_SETTING',
    SOME_SETTING: 'visible',
  });

  expect(gitState(dir)).toEqual(before);
  expect(schemaErrors('run', record)).toEqual([]);
  expect(record.seed).toBe(42);
  const source = record.source!;
  expect(source.root).toBe(fs.realpathSync(dir));
  expect(source.input).toBe('churn.ipynb');
  expect(source.git!.head).toBe(before.head.trim());
  expect(source.git!.branch).toBe('main');
  expect(source.git!.dirty).toEqual(['M README.md', '?? scratch.txt']);
  const ref = `refs/cellflow/runs/${record.flow}/${record.runId}`;
  expect(source.git!.snapshot.ref).toBe(ref);
  expect(git(dir, 'rev-parse', ref).trim()).toBe(source.git!.snapshot.commit);
  expect(git(dir, 'rev-parse', `${ref}^`).trim()).toBe(before.head.trim());
  // The snapshot holds the exact notebook, the compiled module, package files, the data and the
  // working tree's edit of a tracked file, and untracked files that are not ignored (#14).
  const show = (file: string) => git(dir, 'show', `${ref}:${file}`);
  expect(show('churn.ipynb')).toBe(fs.readFileSync(notebook, 'utf8'));
  const ds = Datastore.open({ root: home });
  expect(show('churn.flow.ts')).toBe(ds.objects.getSync(record.module!.typescriptSha256).toString('utf8'));
  expect(show('package-lock.json')).toBe(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
  expect(show('data/churn.csv')).toBe(fs.readFileSync(path.join(dir, 'data', 'churn.csv'), 'utf8'));
  expect(show('README.md')).toContain('edited, not committed');
  expect(show('scratch.txt')).toBe('untracked\n');
  // The same sources are datastore objects, so the run is reproducible without the repository.
  expect(source.files.map((f) => [f.path, f.role])).toEqual([
    ['churn.ipynb', 'notebook'],
    ['churn.flow.ts', 'module'],
    ['package.json', 'package.json'],
    ['package-lock.json', 'lockfile'],
  ]);
  for (const file of source.files) {
    expect(ds.objects.getSync(file.sha256).toString('utf8')).toBe(show(file.path));
  }

  expect(record.lockfile).toMatchObject({ path: 'package-lock.json', lockfileVersion: 3, derived: false });
  expect(ds.objects.getSync(record.lockfile!.sha256).toString('utf8')).toBe(show('package-lock.json'));

  const environment = record.environment!;
  expect(environment.node).toBe(process.version);
  expect(environment.versions.cellflow).toMatch(/^\d+\.\d+\.\d+/);
  expect(environment.versions.typescript).toMatch(/^\d+\.\d+\.\d+/);
  expect(environment.versions.tslab).toMatch(/^\d+\.\d+\.\d+/);
  expect(environment.cpus.count).toBeGreaterThan(0);
  expect(environment.env.SOME_SETTING).toBe('visible');
  expect(environment.env.MY_API_TOKEN).toBe('[redacted]');
  // Nothing under the datastore (records, objects, logs) holds the secret.
  for (const file of allFiles(home)) {
    expect(fs.readFileSync(file).includes(SECRET)).toBe(false);
  }
});

test('outside git the sources are datastore objects, and with no lockfile one is derived from node_modules', async () => {
  const dir = path.join(work, 'plain');
  fs.mkdirSync(dir);
  const notebook = churnProject(dir, { git: false, lockfile: false });
  const pkg = path.join(dir, 'node_modules', 'tiny-dep');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '2.3.4' }));

  const { run: record } = await run(notebook);

  expect(schemaErrors('run', record)).toEqual([]);
  expect(record.source!.git).toBeUndefined();
  expect(record.source!.root).toBe(fs.realpathSync(dir));
  const ds = Datastore.open({ root: home });
  const stored = Object.fromEntries(
    record.source!.files.map((f) => [f.path, ds.objects.getSync(f.sha256).toString('utf8')]),
  );
  expect(stored['churn.ipynb']).toBe(fs.readFileSync(notebook, 'utf8'));
  expect(stored['package.json']).toBe(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  expect(record.lockfile).toMatchObject({ path: null, derived: true, packages: 1 });
  expect(record.lockfile!.note).toMatch(/no package-lock\.json/);
  const derived = JSON.parse(ds.objects.getSync(record.lockfile!.sha256).toString('utf8'));
  expect(derived.packages['node_modules/tiny-dep']).toEqual({ version: '2.3.4' });
});

test('--seed is recorded and current.seed / current.random() are the same for the same seed', async () => {
  const dir = path.join(work, 'seeded');
  fs.mkdirSync(dir);
  const notebook = writeNotebook(dir, 'seeded.ipynb', [
    { tags: ['step:start'], source: 'self.seen = current.seed;\nself.draw = current.random();' },
    { tags: ['step:end'], source: 'console.log(self.draw);' },
  ]);
  const draw = async (extra: string[]) => {
    const { run: record, tasks } = await run(notebook, extra);
    const start = tasks.find((t) => t.step === 'start')!;
    const ds = Datastore.open({ root: home });
    return {
      seed: record.seed,
      seen: ds.loadArtifactSync(start.artifacts.seen),
      draw: ds.loadArtifactSync(start.artifacts.draw) as number,
    };
  };
  const a = await draw(['--seed', '7']);
  const b = await draw(['--seed', '7']);
  const c = await draw(['--seed', '8']);
  expect(a.seed).toBe(7);
  expect(a.seen).toBe(7);
  expect(b.draw).toBe(a.draw);
  expect(c.draw).not.toBe(a.draw);
});

test('a datastore inside the repository (not git-ignored) is neither walked nor listed as dirty', async () => {
  const dir = path.join(work, 'inside');
  fs.mkdirSync(dir);
  const notebook = writeNotebook(dir, 'tiny.ipynb', [{ tags: ['step:start'], source: 'self.a = 1;' }]);
  initAndCommit(dir, 'tiny');
  const runHere = async () => {
    const idFile = path.join(work, `inside-${Math.random()}`);
    const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile], {
      cwd: dir,
      env: { CELLFLOW_HOME: '' },
    });
    expect(result.code).toBe(0);
    const [flow, runId] = fs.readFileSync(idFile, 'utf8').trim().split('/');
    return Datastore.open({ root: path.join(dir, '.cellflow') }).readRun(flow, runId);
  };
  await runHere();
  // The datastore ignores itself (its own .gitignore); without that file git sees it as untracked.
  fs.rmSync(path.join(dir, '.cellflow', '.gitignore'));
  const second = await runHere();
  fs.rmSync(path.join(dir, '.cellflow', '.gitignore'), { force: true });
  expect(git(dir, 'status', '--porcelain')).toContain('?? .cellflow/');
  expect(second.source!.git!.dirty).toEqual([]);
  expect(schemaErrors('run', second)).toEqual([]);
});

test('a datastore inside a git-ignored folder: changes elsewhere are still listed, nothing from the folder', async () => {
  const dir = path.join(work, 'ignored-store');
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const notebook = writeNotebook(dir, 'tiny.ipynb', [{ tags: ['step:start'], source: 'self.a = 1;' }]);
  fs.writeFileSync(path.join(dir, 'src', 'lib.ts'), 'export const v = 1;\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'out/\n');
  initAndCommit(dir, 'tiny');
  fs.writeFileSync(path.join(dir, 'src', 'lib.ts'), 'export const v = 2;\n');
  fs.writeFileSync(path.join(dir, 'src', 'new.ts'), 'untracked\n');
  fs.mkdirSync(path.join(dir, 'out', 'other'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'out', 'other', 'noise.txt'), 'ignored\n');
  const home = path.join(dir, 'out', 'store');
  const idFile = path.join(work, 'ignored-store-id');
  const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
  });
  expect(result.code).toBe(0);
  const [flow, runId] = fs.readFileSync(idFile, 'utf8').trim().split('/');
  const record = Datastore.open({ root: home }).readRun(flow, runId);
  expect(record.source!.git!.dirty).toEqual(['M src/lib.ts', '?? src/new.ts']);
});

test('a resume refused because an origin record is damaged leaves no snapshot ref behind', async () => {
  const dir = path.join(work, 'damaged-origin');
  fs.mkdirSync(dir);
  const notebook = writeNotebook(dir, 'two.ipynb', [
    { tags: ['step:start'], source: 'self.a = 1;' },
    { tags: ['step:end'], source: 'self.b = self.a + 1;' },
  ]);
  initAndCommit(dir, 'two');
  const home = path.join(work, 'damaged-origin-store');
  const idFile = path.join(work, 'damaged-origin-id');
  const first = await cellflow(['run', notebook, '-q', '--run-id-file', idFile], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
  });
  expect(first.code).toBe(0);
  const pathspec = fs.readFileSync(idFile, 'utf8').trim();
  const refs = () => git(dir, 'for-each-ref', '--format=%(refname)', 'refs/cellflow/').trim().split('\n');
  expect(refs()).toEqual([`refs/cellflow/runs/${pathspec}`]);
  const [flow, runId] = pathspec.split('/');
  const startRecord = Datastore.open({ root: home }).listTasks(flow, runId, 'start')[0];
  const file = path.join(home, 'flows', flow, runId, 'start', startRecord.taskId, 'task.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40)); // torn

  const resumed = await cellflow(['resume', pathspec, '--from', 'end'], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
  });
  expect(resumed.code).not.toBe(0);
  expect(resumed.stderr).toContain(file);
  expect(refs()).toEqual([`refs/cellflow/runs/${pathspec}`]);
});

test('in a linked git worktree nothing is written to git (isomorphic-git cannot follow its common directory); the sources are in the datastore', async () => {
  const dir = path.join(work, 'main-checkout');
  fs.mkdirSync(dir);
  churnProject(dir);
  const linked = path.join(work, 'linked');
  git(dir, 'worktree', 'add', '-q', '-b', 'feature', linked);
  const adminDir = path.join(dir, '.git', 'worktrees', 'linked');
  const refsBefore = git(dir, 'for-each-ref');

  const { run: record } = await run(path.join(linked, 'churn.ipynb'));

  expect(schemaErrors('run', record)).toEqual([]);
  expect(record.source!.git).toBeUndefined();
  expect(record.source!.gitError).toMatch(/linked git worktree/);
  expect(record.source!.files.map((f) => f.path)).toContain('churn.ipynb');
  expect(fs.existsSync(path.join(adminDir, 'objects'))).toBe(false);
  expect(fs.existsSync(path.join(adminDir, 'refs', 'cellflow'))).toBe(false);
  expect(git(dir, 'for-each-ref')).toBe(refsBefore);
  const binder = await cellflow(['binder', `${record.flow}/${record.runId}`], {
    env: { CELLFLOW_HOME: home },
  });
  expect(binder.code).toBe(2);
  expect(binder.stderr).toMatch(/no git snapshot commit \(.*linked git worktree/);
});
