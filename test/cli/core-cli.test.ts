// `cellflow lint | show | export` through the real launcher (build first: npx tsc -p tsconfig.build.json).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'cellflow.js');
const EXAMPLES = ['hello', 'foreach', 'churn'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cellflow(args: string[], cwd = REPO): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const noStack = (text: string): void => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-cli-'));
  for (const name of EXAMPLES) {
    fs.copyFileSync(path.join(REPO, 'examples', `${name}.ipynb`), path.join(work, `${name}.ipynb`));
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('lint passes every example', async () => {
  const result = await cellflow(['lint', ...EXAMPLES.map((n) => `examples/${n}.ipynb`)]);
  expect(result).toEqual({
    code: 0,
    stderr: '',
    stdout: [
      "examples/hello.ipynb: ok — flow 'hello', 5 steps, 0 parameters",
      "examples/foreach.ipynb: ok — flow 'foreach', 4 steps, 0 parameters",
      "examples/churn.ipynb: ok — flow 'churn', 6 steps, 4 parameters",
      '',
    ].join('\n'),
  });
});

test('lint fails a bad notebook with exit 2 and the cell-naming message, and goes on to the next file', async () => {
  const result = await cellflow(['lint', 'test/fixtures/lint/cycle.ipynb', 'examples/hello.ipynb']);
  expect(result.code).toBe(2);
  expect(result.stderr).toBe(
    "test/fixtures/lint/cycle.ipynb: cell 2 (id b), step 'b': error [cycle]: steps form a cycle: a → b → a; a flow is acyclic unless the loop goes through a switch. To loop, make a step of the cycle a switch: tag it switch:ARTIFACT with one next: per case, one of which leaves the loop.\n" +
      'test/fixtures/lint/cycle.ipynb: 1 error\n',
  );
  expect(result.stdout).toContain('examples/hello.ipynb: ok');
});

test('lint --json gives machine-readable diagnostics', async () => {
  const result = await cellflow(['lint', '--json', 'test/fixtures/lint/no-end.ipynb']);
  expect(result.code).toBe(2);
  const report = JSON.parse(result.stdout);
  expect(report).toMatchObject({ notebook: 'test/fixtures/lint/no-end.ipynb', ok: false });
  expect(report.diagnostics).toEqual([
    expect.objectContaining({ rule: 'no-end', cell: { index: 2, id: 'b' }, step: 'b' }),
  ]);
});

test('show --format mermaid prints the 5-node hello graph', async () => {
  const result = await cellflow(['show', 'examples/hello.ipynb', '--format', 'mermaid']);
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart TD');
  expect(lines.filter((l) => /^\s+s_\w+[[({/]+"\w+"/.test(l))).toHaveLength(5);
  expect(lines.filter((l) => l.includes('-->'))).toHaveLength(5);
});

test('show draws text by default, and dot and json on request', async () => {
  const text = await cellflow(['show', 'examples/churn.ipynb']);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain('churn · 6 steps');
  expect(text.stdout).toContain('▼ logistic, centroid');
  const dot = await cellflow(['show', 'examples/foreach.ipynb', '-f', 'dot']);
  expect(dot.stdout).toContain('"start" -> "train" [label="foreach grid", style=bold];');
  const json = await cellflow(['show', 'examples/foreach.ipynb', '--format', 'json']);
  expect(JSON.parse(json.stdout).graph.nodes.pick.closes).toBe('start');
});

test("show prints the notebook's schedule (metadata.cellflow.schedule), and warns of a malformed one", async () => {
  const notebook = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'hello.ipynb'), 'utf8'));
  notebook.metadata.cellflow = { ...notebook.metadata.cellflow, schedule: '0 3 * * 1-5' };
  const file = path.join(work, 'scheduled.ipynb');
  fs.writeFileSync(file, JSON.stringify(notebook));
  const text = await cellflow(['show', file]);
  expect(text.code).toBe(0);
  expect(text.stdout.split('\n').slice(0, 2)).toEqual([
    expect.stringMatching(/ · 5 steps$/),
    'schedule: 0 3 * * 1-5 (metadata.cellflow.schedule)',
  ]);
  const json = JSON.parse((await cellflow(['show', file, '-f', 'json'])).stdout);
  expect(json.schedule).toBe('0 3 * * 1-5');
  expect(json.graph.order).toHaveLength(5);
  const plain = await cellflow(['show', 'examples/hello.ipynb']);
  expect(plain.stdout).not.toMatch(/schedule/);
  notebook.metadata.cellflow.schedule = 'nightly';
  fs.writeFileSync(file, JSON.stringify(notebook));
  const bad = await cellflow(['show', file]);
  expect(bad.code).toBe(0);
  expect(bad.stderr).toMatch(
    /scheduled\.ipynb: warning: metadata\.cellflow\.schedule: 'nightly' is not a cron expression/,
  );
  expect(bad.stdout).not.toMatch(/schedule:/);
});

test('show refuses an unknown format and a notebook with errors, with exit 2', async () => {
  const format = await cellflow(['show', 'examples/hello.ipynb', '--format', 'svg']);
  expect(format.code).toBe(2);
  expect(format.stderr).toContain("option '-f, --format <format>' argument 'svg' is invalid");
  const bad = await cellflow(['show', 'test/fixtures/lint/join-arity.ipynb']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("error [join-arity]: step 'ab' joins 2 paths");
  expect(bad.stdout).toBe('');
});

test('export writes NB.flow.ts beside the notebook, byte-identical across runs and equal to the golden file', async () => {
  for (const name of EXAMPLES) {
    const first = await cellflow(['export', `${name}.ipynb`], work);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^${name}\\.ipynb → ${name}\\.flow\\.ts \\(flow '${name}', \\d+ steps\\)\\n$`),
    );
    const once = fs.readFileSync(path.join(work, `${name}.flow.ts`));
    fs.rmSync(path.join(work, `${name}.flow.ts`));
    expect((await cellflow(['export', path.join(work, `${name}.ipynb`)])).code).toBe(0);
    const twice = fs.readFileSync(path.join(work, `${name}.flow.ts`));
    expect(twice.equals(once)).toBe(true);
    expect(once.toString('utf8')).toBe(
      fs.readFileSync(path.join(REPO, 'test', 'golden', `${name}.flow.ts`), 'utf8'),
    );
  }
});

test('export -o records the notebook path relative to the module; -o - prints the module', async () => {
  fs.mkdirSync(path.join(work, 'out'), { recursive: true });
  const result = await cellflow(['export', 'hello.ipynb', '-o', 'out/hello.flow.ts'], work);
  expect(result.code).toBe(0);
  expect(fs.readFileSync(path.join(work, 'out', 'hello.flow.ts'), 'utf8')).toContain(
    '"path": "../hello.ipynb"',
  );
  const stdout = await cellflow(['export', 'examples/hello.ipynb', '-o', '-']);
  expect(stdout.code).toBe(0);
  expect(stdout.stdout).toBe(fs.readFileSync(path.join(REPO, 'test', 'golden', 'hello.flow.ts'), 'utf8'));
});

test('bad input exits 2 with a message and no stack trace', async () => {
  fs.writeFileSync(path.join(work, 'latin1.ipynb'), Buffer.from([0x7b, 0xe9, 0x7d]));
  const cases: [string[], string][] = [
    [['lint', 'missing.ipynb'], 'missing.ipynb: cannot read the notebook (no such file).'],
    [['show', '.'], '.: cannot read the notebook (it is a directory).'],
    [['lint', 'latin1.ipynb'], 'latin1.ipynb: not valid UTF-8 text'],
    [
      ['export', 'hello.ipynb', '-o', 'no/such/dir/x.ts'],
      'no/such/dir/x.ts: cannot write the flow module (ENOENT).',
    ],
    [['export', 'hello.ipynb', '-o', 'hello.ipynb'], 'refusing to overwrite the notebook itself'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['lint', '--nope', 'hello.ipynb'], "unknown option '--nope'"],
    [['show'], "missing required argument 'notebook'"],
    [[], 'Usage: cellflow'],
  ];
  const results = await Promise.all(cases.map(([args]) => cellflow(args, work)));
  cases.forEach(([args, message], i) => {
    expect({ args, code: results[i].code }).toEqual({ args, code: 2 });
    expect(results[i].stderr).toContain(message);
    noStack(results[i].stderr);
  });
});

test('--help describes each command and exits 0', async () => {
  const commands = ['lint', 'show', 'export'];
  const results = await Promise.all(commands.map((command) => cellflow([command, '--help'])));
  commands.forEach((command, i) => {
    expect(results[i].code).toBe(0);
    expect(results[i].stdout).toContain(`Usage: cellflow ${command} [options]`);
  });
});
