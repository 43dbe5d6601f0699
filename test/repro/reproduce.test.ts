// `cellflow reproduce` end to end: the churn example in a temporary git repository is run, then
// reproduced in a clean directory with npm ci; a step that draws from Math.random without a seed is
// reported as exactly that artifact, different, with a non-zero exit.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { churnProject, git, gitState, readRecords } from './project';

let work: string;
let home: string;
beforeAll(() => {
  work = tempDir('cellflow-reproduce-');
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

const env = () => ({ CELLFLOW_HOME: home });

async function run(notebook: string, extra: string[] = []): Promise<string> {
  const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile, ...extra], {
    cwd: path.dirname(notebook),
    env: env(),
  });
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

async function reproduce(pathspec: string, dir: string, extra: string[] = []) {
  const idFile = path.join(work, `repro-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(
    ['reproduce', pathspec, '--in', dir, '--keep', '--run-id-file', idFile, ...extra],
    {
      cwd: work,
      env: env(),
      timeoutMs: 120000,
    },
  );
  const reproduced = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : undefined;
  return { ...result, reproduced };
}

/** The comparison table's rows whose result is not `identical`. */
const mismatches = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => /^\S+\s+\S+\s+(different|missing|added)\b/.test(line))
    .map((line) => line.split(/\s+/).slice(0, 3).join(' '));

test('churn in a git repository: run, then reproduce in a clean directory with npm ci; every artifact identical; the repository untouched', async () => {
  const dir = path.join(work, 'churn');
  fs.mkdirSync(dir);
  const notebook = churnProject(dir, { dependency: true });
  const before = gitState(dir);
  const original = await run(notebook, ['--seed', '11', '--param', 'epochs=50', '--tag', 'baseline']);
  expect(gitState(dir)).toEqual(before);

  const into = path.join(work, 'churn-reproduced');
  const result = await reproduce(original, into);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/from code package [0-9a-f]{12}/);
  expect(result.stdout).toContain('npm ci in');
  expect(result.stdout).toMatch(/✓ reproduced: .* \((\d+) identical, 0 different, 0 missing, 0 added\)/);
  expect(mismatches(result.stdout)).toEqual([]);
  // npm ci installed exactly the locked dependency in the clean directory.
  const installed = JSON.parse(
    fs.readFileSync(path.join(into, 'node_modules', 'tiny-dep', 'package.json'), 'utf8'),
  );
  expect(installed.version).toBe('1.0.0');
  expect(fs.readFileSync(path.join(into, 'data', 'churn.csv'))).toEqual(
    fs.readFileSync(path.join(dir, 'data', 'churn.csv')),
  );
  expect(gitState(dir)).toEqual(before);

  const { run: first, tasks: firstTasks } = readRecords(home, original);
  const { run: second, tasks: secondTasks } = readRecords(home, result.reproduced!);
  expect(second.origin).toMatchObject({
    kind: 'reproduce',
    pathspec: original,
    verdict: { result: 'identical', different: 0, missing: 0, added: 0 },
  });
  expect(second.seed).toBe(11);
  expect(second.params).toEqual(first.params);
  expect(second.params.epochs).toBe(50);
  expect(second.tags).toEqual(['baseline']);
  for (const record of [first, second, ...firstTasks, ...secondTasks])
    expect(schemaErrors('any', record)).toEqual([]);
  const artifacts = (tasks: typeof firstTasks) =>
    Object.fromEntries(
      tasks.map((t) => [
        t.step,
        Object.fromEntries(Object.entries(t.artifacts).map(([k, v]) => [k, v.sha256])),
      ]),
    );
  expect(artifacts(secondTasks)).toEqual(artifacts(firstTasks));
});

test('an unseeded Math.random in one step: exactly that artifact is reported different and reproduce exits 1', async () => {
  const dir = path.join(work, 'noisy');
  fs.mkdirSync(dir);
  const notebook = churnProject(dir);
  const nb = JSON.parse(fs.readFileSync(notebook, 'utf8'));
  const logistic = nb.cells.find((c: { metadata: { tags?: string[] } }) =>
    c.metadata.tags?.includes('step:logistic'),
  );
  logistic.source = [...[].concat(logistic.source), '\nself.noise = Math.random();'];
  fs.writeFileSync(notebook, JSON.stringify(nb, null, 1));
  git(dir, 'commit', '-q', '-am', 'add noise');

  const original = await run(notebook);
  const result = await reproduce(original, path.join(work, 'noisy-reproduced'));
  expect(result.code).toBe(1);
  expect(mismatches(result.stdout)).toEqual(['logistic noise different']);
  expect(result.stdout).toMatch(/✗ not reproduced: .*, 1 different, 0 missing, 0 added\)/);
});

test('outside git the sources come from the datastore; --strict refuses a Node version other than the recorded one', async () => {
  const dir = path.join(work, 'plain');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "plain", "version": "1.0.0" }\n');
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'plain',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'plain', version: '1.0.0' } },
    }),
  );
  const notebook = writeNotebook(path.join(dir), 'draws.ipynb', [
    { tags: ['step:start'], source: 'self.values = Array.from({ length: 5 }, () => current.random());' },
    { tags: ['step:end'], source: 'self.total = self.values.reduce((a: number, b: number) => a + b, 0);' },
  ]);
  const original = await run(notebook, ['--seed', '5']);
  const result = await reproduce(original, path.join(work, 'plain-reproduced'));
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/\(from code package [0-9a-f]{12}\)/);
  expect(mismatches(result.stdout)).toEqual([]);

  // Pretend the run was made on another Node: a warning, and with --strict a refusal (exit 1).
  const [flow, runId] = original.split('/');
  const ds = Datastore.open({ root: home });
  const record = ds.readRun(flow, runId);
  record.environment!.node = 'v0.10.48';
  ds.writeRun(record);
  const strict = await reproduce(original, path.join(work, 'strict'), ['--strict']);
  expect(strict.code).toBe(1);
  expect(strict.stderr).toMatch(/error: Node v\d+\.\d+\.\d+ here, the run used Node v0\.10\.48 \(--strict\)/);
  expect(strict.stderr).not.toMatch(/\n\s+at /);
  const lenient = await reproduce(original, path.join(work, 'lenient'));
  expect(lenient.code).toBe(0);
  expect(lenient.stderr).toMatch(/warning: Node v\d+\.\d+\.\d+ here, the run used Node v0\.10\.48/);
});

test('bad input exits 2 with a message: not a run pathspec, an unknown run, an --in that is a file', async () => {
  const bad = await cellflow(['reproduce', 'no/such/run/at/all'], { env: env() });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: invalid pathspec/);
  const unknown = await cellflow(['reproduce', 'Nope/123'], { env: env() });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/run Nope\/123 not found/);
  const dir = path.join(work, 'occupied');
  fs.mkdirSync(dir);
  const notebook = writeNotebook(dir, 'one.ipynb', [{ tags: ['step:start'], source: 'self.a = 1;' }]);
  const original = await run(notebook);
  const occupied = await reproduce(original, notebook);
  expect(occupied.code).toBe(2);
  expect(occupied.stderr).toBe(`error: --in ${notebook}: not a directory.\n`);
});
