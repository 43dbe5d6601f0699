// `cellflow reproduce` end to end: the churn example in a temporary git repository is run, then
// reproduced in a clean directory with npm ci; a step that draws from Math.random without a seed is
// reported as exactly that artifact, different, with a non-zero exit.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { schemaErrors } from '../helpers/run-schema';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { BACKENDS, freshLocation } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';
import { churnProject, git, gitState, mismatches, readRecords, tableRows } from './project';

let work: string;
const s3 = s3ServerForFile();
/** The datastore of the tests running now: the folder, or s3://BUCKET/PREFIX for the first test's S3 case. */
let home: string;
beforeAll(async () => {
  work = tempDir('cellflow-reproduce-');
  home = path.join(work, 'store');
});
afterAll(async () => {
  removeTempDir(work);
});

const env = () => (home.startsWith('s3://') ? { CELLFLOW_DATASTORE: home } : { CELLFLOW_HOME: home });

async function run(notebook: string, extra: string[] = []): Promise<string> {
  const idFile = path.join(work, `id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile, ...extra], {
    cwd: path.dirname(notebook),
    env: env(),
  });
  expect(result.code).toBe(0);
  return fs.readFileSync(idFile, 'utf8').trim();
}

async function reproduce(
  pathspec: string,
  dir: string,
  extra: string[] = [],
  extraEnv: Record<string, string> = {},
) {
  const idFile = path.join(work, `repro-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow(
    ['reproduce', pathspec, '--in', dir, '--keep', '--run-id-file', idFile, ...extra],
    {
      cwd: work,
      env: { ...env(), ...extraEnv },
      timeoutMs: 120000,
    },
  );
  const reproduced = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : undefined;
  return { ...result, reproduced };
}

// The first case on both backends: reproduce from a run recorded on S3. The rest on the folder.
describe.each(BACKENDS)('%s datastore', (backend) => {
  beforeAll(() => {
    home = backend === 'local' ? path.join(work, 'store') : freshLocation('s3', s3.server, 'reproduce');
  });
  afterAll(() => {
    home = path.join(work, 'store');
  });

  test('churn in a git repository: run, then reproduce in a clean directory with npm ci; every artifact identical; the repository untouched', async () => {
    const dir = path.join(work, `churn-${backend}`);
    fs.mkdirSync(dir);
    const notebook = churnProject(dir, { dependency: true });
    const before = gitState(dir);
    const original = await run(notebook, ['--seed', '11', '--param', 'epochs=50', '--tag', 'baseline']);
    expect(gitState(dir)).toEqual(before);

    const into = path.join(work, `churn-${backend}-reproduced`);
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
    for (const record of [first, second, ...firstTasks, ...secondTasks]) {
      expect(schemaErrors('any', record)).toEqual([]);
    }
    const artifacts = (tasks: typeof firstTasks) =>
      Object.fromEntries(
        tasks.map((t) => [
          t.step,
          Object.fromEntries(Object.entries(t.artifacts).map(([k, v]) => [k, v.sha256])),
        ]),
      );
    expect(artifacts(secondTasks)).toEqual(artifacts(firstTasks));
  });
});

/**
 * A project whose lockfile locks tiny-dep as a registry package (installed here by writing its
 * files, so no registry is needed), and a flow that imports it.
 */
function registryDependencyProject(dir: string): string {
  const manifest = {
    name: 'reuse-project',
    version: '1.0.0',
    private: true,
    dependencies: { 'tiny-dep': '1.0.0' },
  };
  const integrity = 'sha512-' + Buffer.alloc(64, 7).toString('base64');
  const lock = {
    ...manifest,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': manifest,
      'node_modules/tiny-dep': {
        version: '1.0.0',
        resolved: 'https://registry.npmjs.org/tiny-dep/-/tiny-dep-1.0.0.tgz',
        integrity,
      },
    },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  const pkg = path.join(dir, 'node_modules', 'tiny-dep');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.0.0' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), 'exports.answer = 42;\n');
  return writeNotebook(dir, 'reuse.ipynb', [
    { source: "import { answer } from 'tiny-dep';" },
    { tags: ['step:start'], source: 'self.answer = answer;' },
    { tags: ['step:end'], source: 'self.double = self.answer * 2;' },
  ]);
}

test("the original run's node_modules, unchanged, is linked instead of installed; a file of a loaded package edited since, or --no-reuse, means npm ci", async () => {
  const dir = path.join(work, 'reuse');
  fs.mkdirSync(dir);
  const notebook = registryDependencyProject(dir);
  const original = await run(notebook);
  const [flow, runId] = original.split('/');
  const record = Datastore.open({ root: home }).readRun(flow, runId);
  expect(record.lockfile!.contents!.packages).toBe(1);

  const into = path.join(work, 'reuse-reproduced');
  const result = await reproduce(original, into);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    `using the packages installed in ${dir}: the lockfile, every installed version and the files of the 1 package(s) the flow loads are as the run recorded (not installed again)`,
  );
  expect(result.stdout).not.toMatch(/^npm ci in /m);
  expect(fs.realpathSync(path.join(into, 'node_modules'))).toBe(
    fs.realpathSync(path.join(dir, 'node_modules')),
  );
  expect(result.stdout).toMatch(/✓ reproduced: .* \(\d+ identical, 0 different, 0 missing, 0 added\)/);

  // --no-reuse installs: npm ci (offline, and tiny-dep is in no cache) fails, which shows it was tried.
  const offline = { npm_config_offline: 'true' };
  const refused = await reproduce(original, path.join(work, 'reuse-no-reuse'), ['--no-reuse'], offline);
  expect(refused.stdout).toMatch(/^npm ci in /m);
  expect(refused.code).toBe(1);

  // Same version, other content: the deep drift check no longer says identical.
  fs.writeFileSync(path.join(dir, 'node_modules', 'tiny-dep', 'index.js'), 'exports.answer = 43;\n');
  const edited = await reproduce(original, path.join(work, 'reuse-edited'), [], offline);
  expect(edited.stdout).toContain(
    `the original run's packages cannot be reused (node_modules/tiny-dep in ${dir}: its files changed since the run): installing`,
  );
  expect(edited.stdout).toMatch(/^npm ci in /m);
  expect(edited.code).toBe(1);
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

test('a foreach whose element 1 is not deterministic: the verdict names that step and task with both values, the join as downstream, the end as inherited; run.json, inspect, card and runs show it', async () => {
  const dir = path.join(work, 'fanout');
  fs.mkdirSync(dir);
  const notebook = writeNotebook(dir, 'fanout.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: "self.items = [0, 1, 2];\nself.label = 'fan';" },
    {
      tags: ['step:body'],
      source: 'self.value = self.input === 1 ? Math.random() : self.input * 2;',
    },
    {
      tags: ['step:join'],
      source:
        'self.total = inputs.reduce((sum, i) => sum + i.value, 0);\nmergeArtifacts(inputs, { include: ["label"] });',
    },
    { tags: ['step:end'], source: 'self.done = true;' },
  ]);
  const original = await run(notebook);
  const result = await reproduce(original, path.join(work, 'fanout-reproduced'));
  expect(result.code).toBe(1);
  const rows = tableRows(result.stdout);
  const differing = rows.filter((row) => !row.result.startsWith('identical'));
  // One row per differing task of the foreach, named by task id and position; the others summarised.
  expect(differing.map((r) => [r.step, r.task.replace(/^\d+ /, ''), r.artifact, r.result, r.note])).toEqual([
    ['body', '[1]', 'value', 'different', '← difference starts here'],
    ['join', '', 'total', 'different', 'downstream of an earlier difference'],
    ['end', '', 'total', 'different', 'inherited unchanged from its parent'],
  ]);
  expect(rows).toContainEqual(
    expect.objectContaining({ step: 'body', artifact: 'value', result: 'identical (2 tasks)' }),
  );
  const bodyRow = differing[0];
  expect(Number(bodyRow.original)).toBeGreaterThan(0);
  expect(Number(bodyRow.reproduced)).toBeGreaterThan(0);
  expect(bodyRow.original).not.toBe(bodyRow.reproduced);
  expect(result.stdout).toMatch(/first difference: step body task \d+ \[1\], value: 0\.\d+ → 0\.\d+/);
  expect(result.stdout).toMatch(
    /why: the difference starts in step body; nothing was known to differ before the re-run/,
  );

  const { run: record } = readRecords(home, result.reproduced!);
  expect(schemaErrors('any', record)).toEqual([]);
  const verdict = record.origin!.verdict!;
  expect(verdict).toMatchObject({
    result: 'different',
    different: 3,
    missing: 0,
    added: 0,
    known: [],
    first: { step: 'body', position: '[1]', artifact: 'value', verdict: 'different', cause: 'starts' },
  });
  expect(verdict.first!.original).toBe(bodyRow.original);
  expect(verdict.first!.reproduced).toBe(bodyRow.reproduced);
  expect(verdict.differences!.map((d) => `${d.step} ${d.artifact} ${d.cause}`)).toEqual([
    'body value starts',
    'join total downstream',
    'end total inherited',
  ]);
  expect(verdict.explanation).toMatch(/^the difference starts in step body; nothing was known to differ/);

  const inspect = await cellflow(['inspect', result.reproduced!], { env: env() });
  expect(inspect.code).toBe(0);
  expect(inspect.stdout).toContain(`origin    reproduce of ${original} (different)`);
  expect(inspect.stdout).toContain(
    `first     step body task ${verdict.first!.task} [1], value different: ${bodyRow.original} → ${bodyRow.reproduced}`,
  );
  expect(inspect.stdout).toContain(`why       ${verdict.explanation}`);

  const cardFile = path.join(work, 'fanout-card.html');
  const card = await cellflow(['card', result.reproduced!, '--out', cardFile], { env: env() });
  expect(card.code).toBe(0);
  const html = fs.readFileSync(cardFile, 'utf8');
  expect(html).toContain('<h3>Reproduction</h3>');
  expect(html).toContain('reproduction different');
  expect(html).toContain(`<code>${bodyRow.reproduced}</code>`);
  expect(html).toContain('difference starts here');

  const runs = await cellflow(['runs', 'fanout'], { env: env() });
  const lines = runs.stdout.trim().split('\n');
  expect(lines[0].split(/\s{2,}/).slice(0, 3)).toEqual(['RUN', 'STATUS', 'REPRODUCTION']);
  const [, originalId] = original.split('/');
  expect(lines.find((l) => l.startsWith(result.reproduced!))).toContain(
    `different from ${originalId} (first: body)`,
  );
  expect(lines.find((l) => l.startsWith(original))!.split(/\s{2,}/)[2]).toBe('-');
  const json = JSON.parse((await cellflow(['runs', 'fanout', '--json'], { env: env() })).stdout);
  expect(json[0].reproduction).toBe(`different from ${originalId} (first: body)`);
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
