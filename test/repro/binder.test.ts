// `cellflow binder`: the exported branch reproduces the run in a fresh clone with a fresh HOME (the
// Binder build simulated without conda), and repo2docker accepts both binder/ folders.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { churnProject, git, gitState } from './project';
import { peerBin, peerEnv } from '../helpers/python-peers';

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
  expect(show('binder/environment.yml')).toMatch(
    new RegExp(`^  - nodejs=${process.versions.node.split('.')[0]}$`, 'm'),
  );
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
function expectInstallsWhatPostBuildNeeds(dockerfile: string, binderDir: string): void {
  expect(dockerfile).toContain('--file "binder/environment.yml"');
  expect(dockerfile).toMatch(/^RUN \.\/binder\/postBuild$/m);
  expect(dockerfile).toMatch(/^ENV PATH=\$\{NB_PYTHON_PREFIX\}\/bin:.*\$\{NPM_DIR\}\/bin/m);
  expect(dockerfile).toContain('ENV NPM_CONFIG_GLOBALCONFIG=${NPM_DIR}/npmrc');
  const packages = condaPackages(fs.readFileSync(path.join(binderDir, 'environment.yml'), 'utf8'));
  expect(packages.get('nodejs')).toMatch(/^=\d+$/); // npm and node, pinned to a major
  expect(packages.has('pip')).toBe(true); // python -m pip install
  expect(packages.has('jupyterlab')).toBe(true); // jupyter, and the kernel's --sys-prefix
  const scripts = ['postBuild', 'install-npm.sh']
    .map((f) => fs.readFileSync(path.join(binderDir, f), 'utf8'))
    .join('\n');
  // The first word of each command line; `X="$(cmd ...)"` runs cmd.
  const commandOf = (line: string) => {
    const text = line.trim().replace(/^\(cd [^&]+&& /, '');
    return /^[A-Za-z_]+="\$\((\S+)/.exec(text)?.[1] ?? text.split(/\s+/)[0];
  };
  const commands = new Set(
    scripts
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#'))
      .map(commandOf),
  );
  // npm and python come from environment.yml; cellflow from `npm install --global` into NPM_DIR;
  // the rest is bash itself.
  const provided = new Set(['npm', 'python', 'cellflow', 'cd', 'bash', 'set', 'if', 'else', 'fi']);
  for (const command of commands) expect([command, provided.has(command)]).toEqual([command, true]);
  expect(scripts).toContain('npm install --global');
}

test("repo2docker accepts the exported binder/ and the repository's own, and installs what postBuild expects", () => {
  expect(exported).toBeDefined();
  const clone = path.join(work, 'clone-r2d');
  execFileSync('git', ['clone', '-q', '--branch', exported.branch, dir, clone]);
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(clone), path.join(clone, 'binder'));
  expectInstallsWhatPostBuildNeeds(repo2dockerDockerfile(REPO), path.join(REPO, 'binder'));
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
