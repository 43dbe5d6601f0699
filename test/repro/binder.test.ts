// `cellflow binder`: the exported branch reproduces the run in a fresh clone with a fresh HOME (the
// Binder build simulated without conda), and repo2docker accepts both binder/ folders.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { anywhereProject, churnProject, git, gitState, packCellflow } from './project';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { ensureLabextensionBuilt } from '../e2e/lab-server';
import { TESTED_JUPYTERLAB, TESTED_PYTHON } from '../../src/runtime/repro/binder/binder-pins';
import { peerBin, peerEnv, pinnedVersion, PYTHON } from '../helpers/python-peers';

let work: string;
let home: string;
let dir: string;
let pathspec: string;
let exported: { commit: string; branch: string; stdout: string };

beforeAll(async () => {
  work = tempDir('cellflow-binder-');
  home = path.join(work, 'store');
  dir = path.join(work, 'project');
  fs.mkdirSync(dir);
  const notebook = churnProject(dir);
  git(dir, 'remote', 'add', 'origin', 'https://github.com/acme/churn-demo.git');
  const idFile = path.join(work, 'id');
  const run = await cellflow(['run', notebook, '-q', '--seed', '3', '--run-id-file', idFile], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
  });
  expect(run.code).toBe(0);
  pathspec = fs.readFileSync(idFile, 'utf8').trim();
});
afterAll(() => removeTempDir(work));

test('binder writes a commit on a new branch, prints the pinned mybinder.org URL and how to push, and changes nothing else', async () => {
  const before = gitState(dir);
  const result = await cellflow(['binder', pathspec, '--cellflow-spec', REPO], {
    cwd: dir,
    env: { CELLFLOW_HOME: home },
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const branch = `cellflow/binder/${pathspec}`;
  const commit = git(dir, 'rev-parse', `refs/heads/${branch}`).trim();
  exported = { commit, branch, stdout: result.stdout };
  expect(result.stdout).toContain(
    `https://mybinder.org/v2/gh/acme/churn-demo/${commit}?urlpath=lab%2Ftree%2Freproduce.ipynb`,
  );
  expect(result.stdout).toContain(`git push origin ${branch}`);

  const after = gitState(dir);
  expect(after.status).toBe(before.status);
  expect(after.index).toBe(before.index);
  expect(after.stash).toBe(before.stash);
  expect(after.head).toBe(before.head);
  expect(after.symbolicHead).toBe(before.symbolicHead);
  expect(after.branches.replace(/^.*refs\/heads\/cellflow\/binder\/.*\n/m, '')).toBe(before.branches);

  // Its parent is the run's snapshot commit, so a clone of the branch holds the exact sources.
  const [flow, runId] = pathspec.split('/');
  expect(git(dir, 'rev-parse', `${commit}^`).trim()).toBe(
    git(dir, 'rev-parse', `refs/cellflow/runs/${flow}/${runId}`).trim(),
  );
  const show = (file: string) => git(dir, 'show', `${commit}:${file}`);
  const postBuild = show('binder/postBuild');
  expect(postBuild.startsWith('#!/bin/bash\n')).toBe(true);
  expect(postBuild).toMatch(/^set -e$/m);
  expect(git(dir, 'ls-tree', commit, 'binder/postBuild')).toMatch(/^100755 /);
  // Pinned exactly: the run's Node, the JupyterLab and Python the extension is tested with.
  const yml = show('binder/environment.yml');
  expect(yml).toMatch(new RegExp(`^  - nodejs=${process.versions.node.replace(/\./g, '\\.')}$`, 'm'));
  expect(yml).toContain(`  - jupyterlab=${pinnedVersion('jupyterlab')}\n`);
  expect(yml).toMatch(/^ {2}- python=\d+\.\d+\.\d+$/m);
  expect(show('reproduce.sh')).toContain(`cellflow reproduce '${pathspec}'`);
  expect(JSON.parse(show('reproduce.ipynb')).cells[1].source).toEqual(['!bash reproduce.sh']);
  expect(JSON.parse(show(`.cellflow-binder/flows/${flow}/${runId}/run.json`)).runId).toBe(runId);

  const again = await cellflow(['binder', pathspec], { cwd: dir, env: { CELLFLOW_HOME: home } });
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already exists .*--branch NAME/);
});

test('Binder simulation: a fresh clone of the branch and a fresh HOME; postBuild npm steps, then reproduce.sh reproduces the run', async () => {
  expect(exported).toBeDefined();
  const clone = path.join(work, 'clone');
  execFileSync('git', ['clone', '-q', '--branch', exported.branch, dir, clone]);
  const freshHome = path.join(work, 'home');
  const prefix = path.join(freshHome, 'npm-global');
  fs.mkdirSync(freshHome);
  const env = {
    PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`,
    HOME: freshHome,
    NPM_CONFIG_PREFIX: prefix,
    // Everything the branch installs is local (its lockfile and --cellflow-spec): no registry needed.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  const install = spawnSync('bash', ['binder/install-npm.sh'], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 240000,
  });
  expect(install.status).toBe(0);
  expect(fs.existsSync(path.join(prefix, 'bin', 'cellflow'))).toBe(true);
  const reproduce = spawnSync('./reproduce.sh', [path.join(work, 'reproduced')], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 120000,
  });
  expect(reproduce.stdout).toMatch(/✓ reproduced: .* \(\d+ identical, 0 different, 0 missing, 0 added\)/);
  expect(reproduce.status).toBe(0);
}, 400000);

/** repo2docker's Dockerfile for DIR, without building (no Docker daemon needed). */
function repo2dockerDockerfile(target: string): string {
  const result = spawnSync(
    peerBin('repo2docker'),
    ['--no-build', '--debug', '--user-id', '1000', '--user-name', 'jovyan', target],
    {
      encoding: 'utf8',
      timeout: 60000,
      env: peerEnv(),
    },
  );
  expect(result.status).toBe(0);
  return result.stdout;
}

/** The conda packages an environment.yml lists, by name. */
function condaPackages(yml: string): Map<string, string> {
  return new Map(
    [...yml.matchAll(/^ {2}- ([a-z0-9_-]+)(.*)$/gm)].map((m) => [m[1], m[2]] as [string, string]),
  );
}

/** What postBuild relies on must come from what repo2docker installs and puts on PATH. */
function expectInstallsWhatPostBuildNeeds(dockerfile: string, binderDir: string, exact = true): void {
  expect(dockerfile).toContain('--file "binder/environment.yml"');
  expect(dockerfile).toMatch(/^RUN \.\/binder\/postBuild$/m);
  expect(dockerfile).toMatch(/^ENV PATH=\$\{NB_PYTHON_PREFIX\}\/bin:.*\$\{NPM_DIR\}\/bin/m);
  expect(dockerfile).toContain('ENV NPM_CONFIG_GLOBALCONFIG=${NPM_DIR}/npmrc');
  const packages = condaPackages(fs.readFileSync(path.join(binderDir, 'environment.yml'), 'utf8'));
  // npm and node: the exported branch pins the run's exact version, the repository its CI's major.
  expect(packages.get('nodejs')).toMatch(exact ? /^=\d+\.\d+\.\d+$/ : /^=\d+$/);
  expect(packages.has('pip')).toBe(true); // python -m pip install
  expect(packages.has('jupyterlab')).toBe(true); // jupyter, and the kernel's --sys-prefix
  const scripts = ['postBuild', 'install-npm.sh']
    .map((f) => fs.readFileSync(path.join(binderDir, f), 'utf8'))
    .join('\n');
  // The first word of each command line; `X="$(cmd ...)"` runs cmd.
  const commandOf = (line: string) => {
    const text = line.trim().replace(/^\(cd [^&]+&& /, '');
    const word = /^[A-Za-z_]+="\$\((\S+)/.exec(text)?.[1] ?? text.split(/\s+/)[0];
    // A path to a command ("$PWD"/'.'/node_modules/.bin/cellflow) runs that command; VAR=... sets one.
    if (/^[A-Za-z_]+=/.test(word)) {
      return 'set';
    }
    return word.split('/').pop()!;
  };
  const commands = new Set(
    scripts
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#'))
      .map(commandOf),
  );
  // npm and python come from environment.yml; cellflow from `npm install --global` into NPM_DIR;
  // the rest is bash itself and what every repo2docker image has (Ubuntu's essential coreutils and
  // tar, which unpacks the prebuilt extension the npm package ships as an archive).
  const provided = new Set([
    'npm',
    'python',
    'cellflow',
    'cd',
    'bash',
    'set',
    'if',
    'else',
    'fi',
    'mkdir',
    'cp',
    'tar',
  ]);
  for (const command of commands) {
    expect([command, provided.has(command)]).toEqual([command, true]);
  }
  expect(scripts).toContain('npm ci');
}

test("repo2docker accepts the exported binder/ and the repository's own, and installs what postBuild expects", () => {
  expect(exported).toBeDefined();
  const clone = path.join(work, 'clone-r2d');
  execFileSync('git', ['clone', '-q', '--branch', exported.branch, dir, clone]);
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(clone), path.join(clone, 'binder'));
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(REPO), path.join(REPO, 'binder'), false);
  for (const file of ['postBuild', 'install-npm.sh']) {
    const mode = fs.statSync(path.join(REPO, 'binder', file)).mode;
    expect(mode & 0o111).not.toBe(0);
  }
});

test("a run of this repository's own example exports a binder/ that builds cellflow itself, which repo2docker accepts", async () => {
  const clone = path.join(work, 'cellflow-clone');
  execFileSync('git', ['clone', '-q', REPO, clone]);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
  const store = path.join(work, 'store-cellflow');
  const idFile = path.join(work, 'id-cellflow');
  const run = await cellflow(
    ['run', path.join(clone, 'examples', 'hello.ipynb'), '-q', '--run-id-file', idFile],
    {
      cwd: clone,
      env: { CELLFLOW_HOME: store },
    },
  );
  expect(run.code).toBe(0);
  const own = fs.readFileSync(idFile, 'utf8').trim();
  const result = await cellflow(['binder', own, '--branch', 'binder-hello'], {
    cwd: clone,
    env: { CELLFLOW_HOME: store },
  });
  expect(result.code).toBe(0);
  const exportedDir = path.join(work, 'cellflow-export');
  execFileSync('git', ['clone', '-q', '--branch', 'binder-hello', clone, exportedDir]);
  const install = fs.readFileSync(path.join(exportedDir, 'binder', 'install-npm.sh'), 'utf8');
  expect(install).toContain('The project is cellflow itself');
  expect(install).not.toContain('cellflow@');
  expect(fs.readFileSync(path.join(exportedDir, 'binder', 'postBuild'), 'utf8')).toContain(
    'npm run build:labextension',
  );
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(exportedDir), path.join(exportedDir, 'binder'));
});

/**
 * A virtualenv as the Binder image's conda environment would be for postBuild: its own prefix (the
 * kernel and extension go there), the test venv's pinned JupyterLab importable through a .pth file,
 * and `jupyter` in its bin. Seconds, where installing JupyterLab again would take minutes.
 */
function jupyterVenv(dir: string): string {
  execFileSync('python3', ['-m', 'venv', '--without-pip', dir]);
  const site = execFileSync(PYTHON, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
    encoding: 'utf8',
  }).trim();
  const ownSite = execFileSync(
    path.join(dir, 'bin', 'python'),
    ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
    { encoding: 'utf8' },
  ).trim();
  fs.writeFileSync(path.join(ownSite, 'test-venv.pth'), site + '\n');
  // The test venv's jupyter commands (jupyter runs jupyter-SUBCOMMAND), run by this venv's python.
  const testBin = path.dirname(PYTHON);
  for (const name of fs.readdirSync(testBin).filter((n) => n.startsWith('jupyter'))) {
    const text = fs.readFileSync(path.join(testBin, name), 'utf8');
    if (!text.startsWith('#!')) {
      continue;
    }
    const script = path.join(dir, 'bin', name);
    fs.writeFileSync(script, `#!${path.join(dir, 'bin', 'python')}\n${text.slice(text.indexOf('\n') + 1)}`);
    fs.chmodSync(script, 0o755);
  }
  return dir;
}

test('Binder simulation of the reproducible-anywhere project: the branch alone (stored data, tarballs, records) rebuilds and reproduces the run; preflight refuses what it could not', async () => {
  const base = path.join(work, 'anywhere');
  const tarballs = path.join(base, 'tarballs');
  const project = path.join(base, 'project');
  // The prebuilt JupyterLab extension ships in the npm package; packed as a user would get it.
  ensureLabextensionBuilt();
  packCellflow(tarballs);
  const { notebook, tarball } = anywhereProject(project, tarballs);
  const storeHome = path.join(base, 'store');
  const installed = path.join(project, 'node_modules', 'cellflow', 'bin', 'cellflow.js');
  const runWith = (env: NodeJS.ProcessEnv = {}) => {
    const idFile = path.join(base, `id-${Math.random()}`);
    const ran = spawnSync(process.execPath, [installed, 'run', notebook, '-q', '--run-id-file', idFile], {
      cwd: project,
      env: { ...process.env, CELLFLOW_HOME: storeHome, ...env },
      encoding: 'utf8',
    });
    expect(ran.stderr).toBe('');
    return fs.readFileSync(idFile, 'utf8').trim();
  };
  const binder = (run: string, extra: string[] = []) =>
    cellflow(['binder', run, ...extra], { cwd: project, env: { CELLFLOW_HOME: storeHome } });

  // Preflight: the data's bytes not stored (only hashed) and no other copy: refused, named, with a fix.
  const hashedOnly = runWith({ CELLFLOW_CAPTURE_DATA: 'hash' });
  const refused = await binder(hashedOnly);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`error: ${hashedOnly} cannot be rebuilt from a Binder branch:\n`);
  expect(refused.stderr).toMatch(
    /- data input data\/table\.csv \(read by step start\) cannot be restored: .*Fix: run again with CELLFLOW_CAPTURE_DATA=all/,
  );
  expect(refused.stderr).not.toMatch(/\n\s+at /);
  // The same run as if its cellflow tarball had not been stored, then as if it had no lockfile.
  const [hashedFlow, hashedId] = hashedOnly.split('/');
  const ds = Datastore.open({ root: storeHome });
  const hashedRecord = ds.readRun(hashedFlow, hashedId);
  delete hashedRecord.lockfile!.localPackages;
  ds.writeRun(hashedRecord);
  const unstoredDependency = await binder(hashedOnly, ['--branch', 'refused-1']);
  expect(unstoredDependency.code).toBe(2);
  expect(unstoredDependency.stderr).toMatch(
    /- dependency node_modules\/cellflow \(file:\.\.\/tarballs\/cellflow-0\.1\.0\.tgz\) is on no registry and was not stored\. Fix: /,
  );
  expect(unstoredDependency.stderr).toMatch(/- data input data\/table\.csv/);
  delete hashedRecord.lockfile;
  ds.writeRun(hashedRecord);
  const noLockfile = await binder(hashedOnly, ['--branch', 'refused-2']);
  expect(noLockfile.code).toBe(2);
  expect(noLockfile.stderr).toContain(
    '- the run records no dependencies. Fix: commit a package-lock.json (npm install) and run again.',
  );
  expect(git(project, 'branch', '--list', 'refused-*')).toBe(''); // nothing was written

  const run = runWith();
  const exportedRun = await binder(run);
  expect(exportedRun.stderr).toBe('');
  expect(exportedRun.code).toBe(0);
  expect(exportedRun.stdout).toContain('data:    data/table.csv (the stored inputs, on the branch)');
  expect(exportedRun.stdout).toContain(`nodejs=${process.versions.node} python=`);
  expect(exportedRun.stdout).toContain('not checked against conda-forge');
  const branch = `cellflow/binder/${run}`;

  // Nothing of the original machine is left: the tarball folder is gone, HOME and npm's cache are new.
  fs.renameSync(tarballs, path.join(base, 'tarballs-gone'));
  const clone = path.join(base, 'clone');
  execFileSync('git', ['clone', '-q', '--single-branch', '--branch', branch, project, clone]);
  const [flow, runId] = run.split('/');
  const published = fs.readFileSync(
    path.join(clone, '.cellflow-binder', 'flows', flow, runId, 'run.json'),
    'utf8',
  );
  const publishedTasks = execFileSync('git', ['ls-files', '.cellflow-binder/flows'], {
    cwd: clone,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('task.json'))
    .map((f) => fs.readFileSync(path.join(clone, f), 'utf8'));
  expect(publishedTasks.length).toBe(2);
  for (const text of [published, ...publishedTasks]) {
    expect(text).not.toContain(base); // no absolute path of the project, the tarballs or the store
    expect(text).not.toContain(os.homedir());
    if (os.hostname().length >= 3) {
      expect(text).not.toContain(os.hostname());
    }
    expect(schemaErrors('any', JSON.parse(text))).toEqual([]);
  }
  const record = JSON.parse(published);
  expect(record.user).toBe('anonymous');
  expect(record.scheduler).toBeUndefined();
  expect(record.source.root).toBe('.');
  expect(record.input).toBe('anywhere.ipynb');
  expect(record.environment.node).toBe(process.version); // what a reproduction compares stays
  // The git-ignored data, the stored cellflow tarball and the rewritten lockfile are on the branch.
  expect(fs.readFileSync(path.join(clone, 'data', 'table.csv'), 'utf8')).toBe('x\n1\n2\n3\n');
  const lock = JSON.parse(fs.readFileSync(path.join(clone, 'package-lock.json'), 'utf8'));
  expect(lock.packages['node_modules/cellflow'].resolved).toMatch(
    /^file:\.cellflow-deps\/cellflow-0\.1\.0-[0-9a-f]+\.tgz$/,
  );
  expect(fs.existsSync(path.join(clone, lock.packages['node_modules/cellflow'].resolved.slice(5)))).toBe(
    true,
  );
  expect(fs.readFileSync(path.join(clone, 'binder', 'environment.yml'), 'utf8')).toContain(
    `  - nodejs=${process.versions.node}\n`,
  );
  expect(
    JSON.parse(fs.readFileSync(path.join(clone, '.cellflow-binder', 'binder.json'), 'utf8')).pins.notes[0],
  ).toMatch(/not checked against conda-forge/);

  // repo2docker accepts the branch, and its Dockerfile runs this postBuild after environment.yml.
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(clone), path.join(clone, 'binder'));

  // postBuild as repo2docker runs it, its conda part (environment.yml) replaced by this machine's Node
  // and a virtualenv holding the pinned JupyterLab; no global npm prefix on PATH.
  const freshHome = path.join(base, 'home');
  const npmCache = path.join(base, 'npm-cache');
  fs.mkdirSync(freshHome);
  fs.mkdirSync(npmCache);
  const venv = jupyterVenv(path.join(base, 'venv'));
  const env = {
    PATH: `${path.join(venv, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: freshHome,
    VIRTUAL_ENV: venv,
    npm_config_cache: npmCache,
    npm_config_update_notifier: 'false',
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    ...(process.env.npm_config_registry ? { npm_config_registry: process.env.npm_config_registry } : {}),
  };
  const postBuild = spawnSync('./binder/postBuild', [], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 240000,
  });
  expect(postBuild.stderr).not.toMatch(/ERR!/);
  expect(postBuild.status).toBe(0);
  expect(fs.existsSync(path.join(venv, 'share', 'jupyter', 'kernels', 'cellflow', 'kernel.json'))).toBe(true);
  const kernels = spawnSync(path.join(venv, 'bin', 'jupyter'), ['kernelspec', 'list'], {
    env,
    encoding: 'utf8',
  });
  expect(kernels.stdout).toMatch(/^\s+cellflow\s+\S+share\/jupyter\/kernels\/cellflow$/m);

  // The prebuilt extension, copied from the project's cellflow into the environment: JupyterLab lists it.
  const extensions = spawnSync(path.join(venv, 'bin', 'jupyter'), ['labextension', 'list'], {
    env: { ...env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const listed = (extensions.stdout + extensions.stderr)
    .split(String.fromCharCode(27))
    .join('')
    .replace(/\[[0-9;]*m/g, '');
  expect(listed).toContain(path.join(venv, 'share', 'jupyter', 'labextensions'));
  expect(listed).toMatch(/cellflow v0\.1\.0 enabled\s+OK/);

  const reproduced = spawnSync('./reproduce.sh', [path.join(base, 'reproduced')], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 120000,
  });
  expect(reproduced.stderr).toBe('');
  expect(reproduced.stdout).toMatch(/✓ reproduced: .* \(\d+ identical, 0 different, 0 missing, 0 added\)/);
  expect(reproduced.stdout).toContain("running with cellflow 0.1.0 (the project's locked copy)");
  expect(reproduced.stdout).toContain('not installed again');
  expect(reproduced.stdout).not.toMatch(/^npm ci in /m);
  expect(reproduced.stdout).toContain('restored 1 data input(s)');
  expect(reproduced.status).toBe(0);
  expect(tarball).toMatch(/^cellflow-0\.1\.0\.tgz$/);
}, 400000);

test('the pinned JupyterLab and Python are the ones the extension and kernel are tested with', () => {
  expect(TESTED_JUPYTERLAB).toBe(pinnedVersion('jupyterlab'));
  const python = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8',
  }).trim();
  expect(TESTED_PYTHON).toBe(python);
});
