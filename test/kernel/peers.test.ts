// Clients nobody here wrote, against the kernel from its installed kernelspec: `jupyter kernelspec
// list`, jupyter_kernel_test, papermill (a plain TypeScript notebook and the step examples).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { copyExamples, installKernel, tempDir } from './kernel-helpers';
import { PYTHON, peerBin, peerEnv } from '../helpers/python-peers';

// Kernels start in seconds on a quiet machine, much slower on a loaded CI runner.
jest.setTimeout(120_000);

const run = promisify(execFile);
let prefix: string;
let examples: string;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  prefix = tempDir('cf-peers-prefix-');
  await installKernel(prefix);
  examples = copyExamples();
  home = tempDir('cf-peers-home-');
  env = {
    ...peerEnv(),
    PYTHONDONTWRITEBYTECODE: '1',
    JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'),
    CELLFLOW_HOME: home,
  };
});

afterAll(() => {
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('jupyter kernelspec list shows the installed kernel', async () => {
  const { stdout } = await run(peerBin('jupyter'), ['kernelspec', 'list', '--json'], { env });
  const specs = JSON.parse(stdout).kernelspecs as Record<
    string,
    { resource_dir: string; spec: Record<string, unknown> }
  >;
  expect(specs.cellflow.resource_dir).toBe(path.join(prefix, 'share', 'jupyter', 'kernels', 'cellflow'));
  expect(specs.cellflow.spec).toMatchObject({
    display_name: 'TypeScript (cellflow)',
    language: 'typescript',
  });
});

test('jupyter_kernel_test: every applicable test passes', async () => {
  const result = await run(PYTHON, ['-m', 'unittest', '-v', 'test_cellflow_kernel'], {
    cwd: __dirname,
    env,
    timeout: 150_000,
  }).catch((error: { stdout: string; stderr: string }) => error);
  const report = result.stderr;
  expect(report).toMatch(/^OK \(skipped=2\)$/m);
  const skipped = [...report.matchAll(/^(test_\w+) .*\.\.\. skipped/gm)].map((m) => m[1]).sort();
  expect(skipped).toEqual(['test_clear_output', 'test_pager']);
  expect(report).toMatch(/test_execute_result .*\.\.\. ok/);
  expect(report).toMatch(/test_error .*\.\.\. ok/);
}, 180_000);

function outputsOf(notebook: string): string {
  const cells = JSON.parse(fs.readFileSync(notebook, 'utf8')).cells as {
    outputs?: { text?: string[] | string }[];
  }[];
  return cells
    .flatMap((c) => c.outputs ?? [])
    .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
    .join('');
}

test('papermill runs a plain TypeScript notebook to completion', async () => {
  const notebook = path.join(examples, 'plain.ipynb');
  const cell = (source: string) => ({
    cell_type: 'code',
    metadata: {},
    source,
    outputs: [],
    execution_count: null,
  });
  fs.writeFileSync(
    notebook,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
      },
      cells: [
        cell('interface Point { x: number; y: number }\nconst p: Point = { x: 3, y: 4 };'),
        cell('const norm = (q: Point): number => Math.hypot(q.x, q.y);\nconsole.log(`norm ${norm(p)}`);'),
        cell(
          'const squares = await Promise.all([1, 2, 3].map(async (n) => n * n));\nconsole.log(squares.join(","));',
        ),
      ].map((c, i) => ({ ...c, id: `plain-${i}` })),
    }),
  );
  const out = path.join(examples, 'plain.out.ipynb');
  await run(peerBin('papermill'), [notebook, out, '-k', 'cellflow', '--cwd', examples], {
    env,
    timeout: 90_000,
  });
  const text = outputsOf(out);
  expect(text).toContain('norm 5');
  expect(text).toContain('1,4,9');
}, 120_000);

test('papermill runs a step notebook: the kernel finds each cell in the notebook by its source', async () => {
  for (const [name, expected] of [['hello', 'done: out = 3']]) {
    const out = path.join(examples, `${name}.out.ipynb`);
    await run(
      peerBin('papermill'),
      [path.join(examples, `${name}.ipynb`), out, '-k', 'cellflow', '--cwd', examples],
      {
        env,
        timeout: 90_000,
      },
    );
    expect(outputsOf(out)).toContain(expected);
  }
}, 180_000);
