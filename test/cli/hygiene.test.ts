// What a user expects of any command-line tool and of a datastore inside their project: output that
// can be piped into `head`, a datastore git never picks up, and commands that say where things are.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, cellflow, REPO } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { churnProject, git } from '../repro/project';

let work: string;
let project: string;
let notebook: string;
let pathspec: string;
const datastore = () => path.join(project, '.cellflow');

beforeAll(async () => {
  work = tempDir();
  project = path.join(work, 'project');
  notebook = churnProject(project);
  // The default datastore: `.cellflow/` at the project root, inside the git repository.
  const idFile = path.join(work, 'run-id');
  const result = await cellflow(['run', notebook, '--seed', '7', '--run-id-file', idFile], {
    cwd: project,
    env: { CELLFLOW_HOME: '' },
    timeoutMs: 120000,
  });
  expect(result.code).toBe(0);
  pathspec = fs.readFileSync(idFile, 'utf8').trim();
}, 150000);
afterAll(() => removeTempDir(work));

test('the datastore holds its own .gitignore from its creation, so git never sees it', () => {
  expect(fs.readFileSync(path.join(datastore(), '.gitignore'), 'utf8')).toBe('*\n');
  expect(git(project, 'status', '--porcelain', '--untracked-files=all')).toBe('');
});

test('run ends by printing the absolute path of the run record', async () => {
  const result = await cellflow(['run', notebook, '--quiet'], { cwd: project, env: { CELLFLOW_HOME: '' } });
  expect(result.code).toBe(0);
  const record = /^ {2}record: +(.+)$/m.exec(result.stdout)?.[1];
  expect(record).toBeDefined();
  expect(path.isAbsolute(record!)).toBe(true);
  expect(JSON.parse(fs.readFileSync(record!, 'utf8')).flow).toBe('churn');
});

test('card writes into the datastore unless --out is given, and prints the absolute path', async () => {
  const result = await cellflow(['card', pathspec], { cwd: project, env: { CELLFLOW_HOME: '' } });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const out = result.stdout.trim();
  const [flow, runId] = pathspec.split('/');
  expect(out).toBe(path.join(datastore(), 'cards', flow, `${runId}.html`));
  expect(fs.readFileSync(out, 'utf8')).toContain(pathspec);
  expect(git(project, 'status', '--porcelain', '--untracked-files=all')).toBe('');
});

test('inspect RUN shows the seed, the git commit, the snapshot ref and a drift summary', async () => {
  const result = await cellflow(['inspect', pathspec], { cwd: project, env: { CELLFLOW_HOME: '' } });
  expect(result.code).toBe(0);
  const head = git(project, 'rev-parse', 'HEAD').trim();
  const [flow, runId] = pathspec.split('/');
  expect(result.stdout).toMatch(/^ {2}seed +7$/m);
  expect(result.stdout).toMatch(new RegExp(`^  git +${head} on main$`, 'm'));
  expect(result.stdout).toMatch(
    new RegExp(`^  snapshot +[0-9a-f]{40} \\(refs/cellflow/runs/${flow}/${runId}\\)$`, 'm'),
  );
  expect(result.stdout).toMatch(/^ {2}drift +/m);
});

/** Starts a command, takes its first chunk of output and closes the pipe, as `| head -1` does. */
function closeAfterFirstChunk(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: work,
      env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('commands exit quietly when the reader closes the pipe (no EPIPE stack trace)', async () => {
  // Output large enough to outlive the pipe: a 2.5 MB artifact and a long run listing.
  const env = { CELLFLOW_HOME: path.join(work, 'big-store') };
  const big = writeNotebook(work, 'big.ipynb', [
    { tags: ['step:start'], source: 'self.rows = Array.from({ length: 200000 }, (_, i) => `row ${i}`);' },
    { tags: ['step:end'], source: 'console.log(self.rows.length);' },
  ]);
  const idFile = path.join(work, 'big-id');
  expect((await cellflow(['run', big, '--quiet', '--run-id-file', idFile], { env })).code).toBe(0);
  const run = fs.readFileSync(idFile, 'utf8').trim();
  for (const args of [
    ['inspect', run, '--artifact', 'rows'],
    ['inspect', run, '--artifact', 'rows', '--json'],
  ]) {
    const result = await closeAfterFirstChunk(args, env);
    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(result.code).toBe(0);
  }
}, 90000);
