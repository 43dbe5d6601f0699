// Issue #14's scenario end to end, with real npm, git and files: a project with its data in a
// git-ignored data/ folder, cellflow installed from `npm pack` output in a sibling folder, an untracked
// helper module, run without --seed. Then the tarball folder and the project are moved away, npm's
// cache is empty and HOME is fresh, and `reproduce` works from the datastore alone.
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { anywhereProject, git, packCellflow, mismatches, readRecords } from './project';

let work: string;
let home: string;
let tarballs: string;
beforeAll(() => {
  work = tempDir('cellflow-anywhere-');
  home = path.join(work, 'store');
  tarballs = path.join(work, 'tarballs');
  // Packed once for the file, as a user packs it: dist/ is built by the test command beforehand.
  packCellflow(tarballs);
}, 120000);
afterAll(() => removeTempDir(work));

const npmQuiet = ['--no-audit', '--no-fund', '--loglevel=error'];

/** `cellflow run` of this repository, or of the cellflow a project installed (`cli`). */
async function runIn(notebook: string, env: NodeJS.ProcessEnv = {}, cli?: string) {
  const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
  const args = ['run', notebook, '--run-id-file', idFile];
  const options = { cwd: path.dirname(notebook), env: { CELLFLOW_HOME: home, ...env }, timeoutMs: 120000 };
  const result = cli
    ? await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [cli, ...args],
          { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      )
    : await cellflow(args, options);
  const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
  return { ...result, pathspec };
}

async function reproduce(pathspec: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const idFile = path.join(work, `repro-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['reproduce', pathspec, '--run-id-file', idFile, ...extra], {
    cwd: work,
    env: { CELLFLOW_HOME: home, ...env },
    timeoutMs: 400000,
  });
  const reproduced = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : undefined;
  return { ...result, reproduced };
}

test('a packed cellflow, git-ignored data, an untracked helper: reproduced from the datastore alone with an empty npm cache; a changed data row is restored', async () => {
  const project = path.join(work, 'project');
  const { notebook, tarball } = anywhereProject(project, tarballs);

  const installed = path.join(project, 'node_modules', 'cellflow', 'bin', 'cellflow.js');
  const original = await runIn(notebook, {}, installed);
  expect(original.stderr).toBe('');
  expect(original.code).toBe(0);
  const { run, tasks } = readRecords(home, original.pathspec);
  expect(schemaErrors('run', run)).toEqual([]);
  for (const task of tasks) {
    expect(schemaErrors('task', task)).toEqual([]);
  }
  expect(typeof run.seed).toBe('number');
  expect(run.code?.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(run.source!.git!.dirty).toContain('?? helpers.js');
  expect(run.source!.files.map((f) => `${f.role} ${f.path}`)).toContain('local-module helpers.js');
  const local = run.lockfile!.localPackages!;
  expect(local.map((p) => [p.path, p.from, p.resolved])).toEqual([
    ['node_modules/cellflow', 'tarball', `file:../tarballs/${tarball}`],
  ]);
  const start = tasks.find((t) => t.step === 'start')!;
  expect(start.inputs).toEqual([expect.objectContaining({ path: 'data/table.csv', bytes: 8, stored: true })]);
  expect(start.sources).toEqual(['helpers.js']);
  expect(
    git(project, 'ls-tree', '-r', '--name-only', run.source!.git!.snapshot.commit).split('\n'),
  ).toContain('helpers.js');

  // Nothing of the original machine is left but the datastore.
  const away = path.join(work, 'away');
  fs.mkdirSync(away);
  fs.renameSync(tarballs, path.join(away, 'tarballs'));
  fs.renameSync(project, path.join(away, 'project'));
  const emptyCache = path.join(work, 'empty-npm-cache');
  const freshHome = path.join(work, 'fresh-home');
  fs.mkdirSync(emptyCache);
  fs.mkdirSync(freshHome);
  const result = await reproduce(original.pathspec, [], {
    HOME: freshHome,
    npm_config_cache: emptyCache,
  });
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/from code package [0-9a-f]{12}/);
  expect(result.stdout).toContain('restored 1 data input(s)');
  expect(result.stdout).toContain(
    `node_modules/cellflow: file:../tarballs/${tarball} → file:.cellflow-deps/`,
  );
  expect(result.stdout).toContain("running with cellflow 0.1.0 (the project's locked copy)");
  expect(mismatches(result.stdout)).toEqual([]);
  expect(result.stdout).toMatch(/✓ reproduced: .* \(\d+ identical, 0 different, 0 missing, 0 added\)/);
  const cleanDir = /removed the clean directory (\S+)/.exec(result.stdout)![1];
  expect(fs.existsSync(cleanDir)).toBe(false);
  const reproduced = readRecords(home, result.reproduced!).run;
  expect(reproduced.seed).toBe(run.seed);
  expect(reproduced.origin).toMatchObject({
    kind: 'reproduce',
    pathspec: original.pathspec,
    verdict: {
      result: 'identical',
      different: 0,
      rewrites: [expect.objectContaining({ path: 'node_modules/cellflow' })],
    },
  });
  expect(schemaErrors('run', reproduced)).toEqual([]);

  // One data row changed at home: the reproduction restores what the run read (a kept directory).
  fs.renameSync(path.join(away, 'project'), project);
  fs.writeFileSync(path.join(project, 'data', 'table.csv'), 'x\n1\n2\n4\n');
  const status = await cellflow(['status', original.pathspec, '--json'], { env: { CELLFLOW_HOME: home } });
  expect(status.code).toBe(1);
  const report = JSON.parse(status.stdout);
  expect(report.inputs).toEqual([
    expect.objectContaining({
      path: 'data/table.csv',
      status: 'changed',
      old: expect.objectContaining({ bytes: 8 }),
    }),
  ]);
  expect(report.sources).toEqual([]);
  expect(report.dependencies).toEqual([]);
  const into = path.join(work, 'kept');
  // (No second install: what is under test here is the restored input.)
  const again = await reproduce(original.pathspec, ['--in', into, '--keep', '--no-install']);
  expect(again.code).toBe(0);
  expect(mismatches(again.stdout)).toEqual([]);
  expect(fs.readFileSync(path.join(into, 'data', 'table.csv'), 'utf8')).toBe('x\n1\n2\n3\n');
  expect(again.stdout).toContain(`kept: ${into}`);
}, 600000);

test('a date formatted under TZ=America/Los_Angeles reproduces under TZ=UTC; --in names an existing directory', async () => {
  const dir = path.join(work, 'dates');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "dates", "version": "1.0.0" }\n');
  const notebook = writeNotebook(dir, 'dates.ipynb', [
    { tags: ['step:start'], source: 'self.when = new Date(Date.UTC(2024, 0, 1, 6)).toString();' },
    { tags: ['step:end'], source: 'self.day = self.when.slice(0, 15);' },
  ]);
  const original = await runIn(notebook, { TZ: 'America/Los_Angeles' });
  expect(original.code).toBe(0);
  expect(readRecords(home, original.pathspec).run.environment!.timeZone).toBe('America/Los_Angeles');
  const existing = path.join(work, 'existing');
  fs.mkdirSync(existing);
  fs.writeFileSync(path.join(existing, 'keep-me.txt'), 'mine');
  const result = await reproduce(original.pathspec, ['--in', existing], { TZ: 'UTC' });
  expect(result.stderr).toContain(
    'time zone UTC here, the run used America/Los_Angeles: the reproduction runs with TZ=America/Los_Angeles',
  );
  expect(result.code).toBe(0);
  expect(mismatches(result.stdout)).toEqual([]);
  // The clean directory was made inside the existing one, and removed after the success.
  expect(fs.readdirSync(existing)).toEqual(['keep-me.txt']);
});

test('unseeded Math.random(): a lint warning, and reproduce names exactly the artifact it produced', async () => {
  const dir = path.join(work, 'noise');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "noise", "version": "1.0.0" }\n');
  const notebook = writeNotebook(dir, 'noise.ipynb', [
    { tags: ['step:start'], source: 'self.seeded = current.random();\nself.noise = Math.random();' },
    { tags: ['step:end'], source: 'self.done = true;' },
  ]);
  const lint = await cellflow(['lint', notebook]);
  expect(lint.code).toBe(0);
  expect(lint.stderr).toContain(
    "step 'start', line 2: warning [unseeded-random]: Math.random() is not seeded",
  );
  const original = await runIn(notebook);
  expect(original.code).toBe(0);
  const result = await reproduce(original.pathspec);
  expect(result.code).toBe(1);
  // start's noise, and the end step's inherited copy of it: nothing else.
  expect(mismatches(result.stdout)).toEqual(['start noise different', 'end noise different']);
  expect(result.stdout).toMatch(/kept: \S+/);
});

test('a package edited under its locked version is drift: one warning line in the run, and in the reproduction', async () => {
  const dir = path.join(work, 'drift');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    '{ "name": "drifty", "version": "1.0.0", "private": true }\n',
  );
  const pkg = path.join(work, 'tiny-src');
  fs.mkdirSync(pkg);
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'tiny-dep', version: '1.0.0', main: 'index.js' }),
  );
  fs.writeFileSync(path.join(pkg, 'index.js'), 'exports.answer = 42;\n');
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: pkg, stdio: 'ignore' });
  execFileSync('npm', ['install', '--offline', ...npmQuiet, 'file:tiny-dep-1.0.0.tgz'], {
    cwd: dir,
    stdio: 'ignore',
  });
  const notebook = writeNotebook(dir, 'drifty.ipynb', [
    { source: "import { answer } from 'tiny-dep';" },
    { tags: ['step:start'], source: 'self.answer = answer;' },
    { tags: ['step:end'], source: 'self.double = self.answer * 2;' },
  ]);
  const first = await runIn(notebook);
  expect(first.code).toBe(0);
  expect(first.stdout).not.toContain('drifted');
  // Same version, another file content.
  fs.writeFileSync(path.join(dir, 'node_modules', 'tiny-dep', 'index.js'), 'exports.answer = 43;\n');
  const status = await cellflow(['status', first.pathspec], { env: { CELLFLOW_HOME: home } });
  expect(status.code).toBe(1);
  expect(status.stdout).toContain(
    'node_modules/tiny-dep: its files changed since the run (same version 1.0.0)',
  );
  const second = await runIn(notebook);
  expect(second.code).toBe(0);
  const warnings = second.stdout.split('\n').filter((line) => line.includes('drifted'));
  expect(warnings).toEqual([
    'warning: node_modules drifted from package-lock.json (changed: tiny-dep 1.0.0 has edited files); npm ci restores the locked packages',
  ]);
  const { run } = readRecords(home, second.pathspec);
  expect(run.lockfile!.drift.changed).toEqual([
    expect.objectContaining({ path: 'node_modules/tiny-dep', content: expect.any(Object) }),
  ]);
  const inspect = await cellflow(['inspect', second.pathspec], { env: { CELLFLOW_HOME: home } });
  expect(inspect.stdout).toMatch(/drift\s+.*tiny-dep 1\.0\.0 has edited files/);

  const result = await reproduce(second.pathspec, [], { npm_config_prefer_offline: 'true' });
  expect(result.stderr).toContain(
    'the original run used node_modules/tiny-dep 1.0.0 with edited files (drift); the reproduction installs the locked package',
  );
  expect(mismatches(result.stdout)).toEqual([
    'start answer different',
    'end answer different',
    'end double different',
  ]);
  expect(result.code).toBe(1);
  const verdict = readRecords(home, result.reproduced!).run.origin!.verdict!;
  expect(verdict.drift).toHaveLength(1);
  // The drift was known before the re-run, and the verdict says so.
  expect(verdict.known).toContain(
    'the original run used node_modules/tiny-dep 1.0.0 with edited files (drift); the reproduction installs the locked package',
  );
  expect(verdict.first).toMatchObject({
    step: 'start',
    artifact: 'answer',
    original: '43',
    reproduced: '42',
  });
  expect(verdict.explanation).toMatch(
    /^the difference starts in step start; before the re-run these were known to differ: .*tiny-dep 1\.0\.0 with edited files/,
  );
});
