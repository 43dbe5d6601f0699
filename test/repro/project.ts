// Temporary projects for the reproducibility tests: the churn example in a real git repository,
// with a package.json and a package-lock.json, and the runs' datastore outside the repository.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from '../helpers/cli';
import { writeNotebook, type CellSpec } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { RunRecord, TaskRecord } from '../../src/runtime/records';

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
}

/** `git init` in `dir` (branch main) and one commit of everything in it. */
export function initAndCommit(dir: string, message: string): void {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
}

/** A project holding examples/churn.ipynb and its data, a package.json and a lockfile with no deps. */
export function churnProject(
  dir: string,
  options: { git?: boolean; lockfile?: boolean; dependency?: boolean } = {},
): string {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'examples', 'churn.ipynb'), path.join(dir, 'churn.ipynb'));
  fs.copyFileSync(path.join(REPO, 'examples', 'data', 'churn.csv'), path.join(dir, 'data', 'churn.csv'));
  const manifest = { name: 'churn-project', version: '1.0.0', private: true };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (options.lockfile !== false) {
    const lock = { ...manifest, lockfileVersion: 3, requires: true, packages: { '': manifest } };
    fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  }
  fs.writeFileSync(path.join(dir, 'README.md'), '# churn\n');
  if (options.dependency) {
    addVendoredDependency(dir);
  }
  if (options.git !== false) {
    fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'churn project');
  }
  return path.join(dir, 'churn.ipynb');
}

/** Everything git would show a user: status, index bytes, branches, stash, HEAD. */
export function gitState(dir: string): Record<string, string> {
  return {
    status: git(dir, 'status', '--porcelain', '--untracked-files=all'),
    index: fs.readFileSync(path.join(dir, '.git', 'index')).toString('base64'),
    branches: git(dir, 'for-each-ref', 'refs/heads', 'refs/tags'),
    stash: git(dir, 'stash', 'list'),
    head: git(dir, 'rev-parse', 'HEAD'),
    symbolicHead: fs.readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8'),
  };
}

export function readRecords(home: string, pathspec: string): { run: RunRecord; tasks: TaskRecord[] } {
  const [flow, runId] = pathspec.split('/');
  const ds = Datastore.open({ root: home });
  return { run: ds.readRun(flow, runId), tasks: ds.listTasks(flow, runId) };
}

/** Every regular file under `dir`, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push(...allFiles(full));
    } else if (entry.isFile()) {
      out.push(full);
    }
  }
  return out;
}

/**
 * A one-file npm package packed into `<dir>/vendor/` (offline, no registry), added to the project's
 * package.json and package-lock.json with `npm install`, so `npm ci` has something real to install.
 */
export function addVendoredDependency(dir: string): void {
  const pkg = path.join(dir, '.tiny-src');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'tiny-dep', version: '1.0.0', main: 'index.js' }),
  );
  fs.writeFileSync(path.join(pkg, 'index.js'), 'exports.answer = 42;\n');
  fs.mkdirSync(path.join(dir, 'vendor'), { recursive: true });
  execFileSync('npm', ['pack', '--pack-destination', path.join(dir, 'vendor'), '--silent'], { cwd: pkg });
  fs.rmSync(pkg, { recursive: true });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', 'file:vendor/tiny-dep-1.0.0.tgz'], {
    cwd: dir,
  });
}

/** The comparison table's rows, cut at the header's column offsets (the step is blank under its first row). */
export function tableRows(stdout: string): Record<string, string>[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /^step\s+task\s+artifact\s+result/.test(line));
  if (start < 0) {
    return [];
  }
  const header = lines[start];
  const names = ['step', 'task', 'artifact', 'result', 'original', 'reproduced', 'note'];
  const offsets = names.map((name) => (name === 'note' ? -1 : header.indexOf(name)));
  offsets[6] = header.length + 2;
  const rows: Record<string, string>[] = [];
  let step = '';
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') {
      break;
    }
    const cell = (i: number) =>
      line.slice(offsets[i], i + 1 < names.length ? offsets[i + 1] : undefined).trim();
    const row = Object.fromEntries(names.map((name, i) => [name, cell(i)]));
    // The note column starts two characters after the widest "reproduced" cell: take the rest.
    row.note =
      line
        .slice(offsets[5])
        .trim()
        .split(/\s{2,}/)[1] ?? '';
    row.reproduced =
      line
        .slice(offsets[5])
        .trim()
        .split(/\s{2,}/)[0] ?? '';
    if (row.step) {
      step = row.step;
    } else {
      row.step = step;
    }
    rows.push(row);
  }
  return rows;
}

/** The rows whose result is not `identical`, as "step artifact result". */
export const mismatches = (stdout: string) =>
  tableRows(stdout)
    .filter((row) => !row.result.startsWith('identical'))
    .map((row) => `${row.step} ${row.artifact} ${row.result}`);

/** `npm pack` of this repository into `dir` (dist/ must be built), as a user packs cellflow. */
export function packCellflow(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: REPO,
    stdio: 'ignore',
  });
  return fs.readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
}

/**
 * Issue #14's project (the reproducible-anywhere shape): data in a git-ignored data/ folder, cellflow
 * installed from the `npm pack` tarball in the sibling folder `tarballs`, an untracked helper module
 * written after the first commit. `extraCells` are appended to the notebook.
 */
export function anywhereProject(
  project: string,
  tarballs: string,
  extraCells: CellSpec[] = [],
): { notebook: string; tarball: string } {
  fs.mkdirSync(path.join(project, 'data'), { recursive: true });
  fs.writeFileSync(path.join(project, 'data', 'table.csv'), 'x\n1\n2\n3\n');
  fs.writeFileSync(path.join(project, '.gitignore'), 'node_modules/\ndata/\n');
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'anywhere', version: '1.0.0', private: true }, null, 2),
  );
  const tarball = fs.readdirSync(tarballs).find((f) => f.endsWith('.tgz'))!;
  const relative = path.relative(project, path.join(tarballs, tarball)).split(path.sep).join('/');
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', relative],
    { cwd: project, stdio: 'ignore' },
  );
  const notebook = writeNotebook(project, 'anywhere.ipynb', [
    { source: "import * as fs from 'fs';\nimport { total } from './helpers';" },
    {
      tags: ['step:start'],
      source:
        "self.rows = fs.readFileSync('data/table.csv', 'utf8').trim().split('\\n').slice(1).map(Number);\nself.draw = current.random();",
    },
    { tags: ['step:end'], source: 'self.sum = total(self.rows) + self.draw;' },
    ...extraCells,
  ]);
  initAndCommit(project, 'anywhere');
  // The helper is written after the commit: untracked, and not ignored.
  fs.writeFileSync(
    path.join(project, 'helpers.js'),
    'exports.total = (xs) => xs.reduce((a, b) => a + b, 0);\n',
  );
  return { notebook, tarball };
}
