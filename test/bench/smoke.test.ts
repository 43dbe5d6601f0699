// The benchmarks in smoke mode (small sizes, no peers, no timing assertion), so that they cannot rot:
// every benchmark must still run end to end through the real CLI and report a figure.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { PYTHON } from '../helpers/python-peers';

const notebooks = require(path.join(REPO, 'bench', 'lib', 'notebooks.js')) as {
  foreachNoop(): string;
  artifact(): string;
  large(cells: number): string;
};

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bench', 'run.js'), ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('bench --smoke', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('cellflow-bench-');
  });
  afterAll(() => removeTempDir(dir));

  test('runs every benchmark through the real CLI and writes a results table', async () => {
    const out = path.join(dir, 'RESULTS.md');
    const { code, output } = await runBench(['--smoke', '--no-peers', '--out', out]);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const report = fs.readFileSync(out, 'utf8');
    expect(report).toContain('**Smoke run**');
    const rows = report.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(rows.map((line) => line.split('|')[1].trim())).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '9',
      '9',
      '9',
      '9',
      '10',
      '11',
    ]);
    const figure = (id: number) => rows[id - 1].split('|')[3].trim();
    expect(figure(1)).toMatch(/^\d+(\.\d)? ms$/); // wall per task
    expect(figure(2)).toMatch(/^\d+ MB\/s$/); // artifact hand-over throughput
    expect(figure(3)).toMatch(/^\d+(\.\d)? ms$/); // resume
    expect(figure(4)).toMatch(/^\d+\.\d\d s, [1-9]\d* MB$/); // wall, and the scheduler peak RSS was sampled
    expect(figure(6)).toMatch(/^\d+(\.\d)? ms$/); // export
    expect(figure(7)).toMatch(/^\d+ kB packed$/); // smoke packs the tarball only
    expect(figure(8)).toMatch(/^\d+ req\/s$/); // predictions answered with the log on
    // S3 vs local: hello, churn, runs hello (s), the table hand-over (MB/s), the foreach per task (ms).
    expect(rows.slice(8, 13).map((line) => line.split('|')[3].trim())).toEqual([
      expect.stringMatching(/^\d+\.\d\d s$/),
      expect.stringMatching(/^\d+\.\d\d s$/),
      expect.stringMatching(/^\d+\.\d\d s$/),
      expect.stringMatching(/^\d+ MB\/s$/),
      expect.stringMatching(/^\d+ ms$/),
    ]);
    expect(rows[13].split('|')[3].trim()).toMatch(/^\d+\.\d\d s$/); // reproduce of churn
    // JupyterLab's first load: the DAG drawn with the extension beside JupyterLab alone.
    expect(
      rows[14]
        .split('|')
        .slice(3, 6)
        .map((cell) => cell.trim()),
    ).toEqual([
      expect.stringMatching(/^DAG drawn \d+\.\d\d s$/),
      expect.stringMatching(/^notebook shown \d+\.\d\d s \(JupyterLab alone\)$/),
      expect.stringMatching(/^\+-?\d+\.\d\d s$/),
    ]);
    expect(report).toMatch(/- CPU: .+ × \d+/);
  }, 420000);

  test('--update re-measures only the benchmarks named and keeps the other rows', async () => {
    const out = path.join(dir, 'RESULTS.md');
    const before = fs.readFileSync(out, 'utf8');
    const { code, output } = await runBench([
      '--smoke',
      '--no-peers',
      '--only',
      '6',
      '--update',
      '--out',
      out,
    ]);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const after = fs.readFileSync(out, 'utf8');
    const row = (text: string, id: number) => text.split('\n').find((line) => line.startsWith(`| ${id} |`));
    for (const id of [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]) {
      expect(row(after, id)).toBe(row(before, id));
    }
    expect(row(after, 6)).toMatch(/^\| 6 \| Compile: .* \| \d+(\.\d)? ms \|/);
    // Every row keeps its own stamp: the 15 numbered rows and rows 1b and 5b.
    const tableRows = after.split('\n').filter((line) => /^\| \d+b? \|/.test(line));
    expect(tableRows).toHaveLength(17);
    expect(after.match(/\(measured \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/g)).toHaveLength(tableRows.length);
  });

  test('the committed benchmark notebooks are what the generator writes', () => {
    const flows = path.join(REPO, 'bench', 'flows');
    expect(fs.readFileSync(path.join(flows, 'foreach_noop.ipynb'), 'utf8')).toBe(notebooks.foreachNoop());
    expect(fs.readFileSync(path.join(flows, 'artifact.ipynb'), 'utf8')).toBe(notebooks.artifact());
    const large = JSON.parse(notebooks.large(500)) as { cells: unknown[] };
    expect(large.cells).toHaveLength(500);
  });

  test('the Metaflow peers are valid Python', () => {
    const peers = path.join(REPO, 'bench', 'peers');
    for (const file of fs.readdirSync(peers).filter((f) => f.endsWith('.py'))) {
      const source = fs.readFileSync(path.join(peers, file), 'utf8');
      const result = spawnSync(PYTHON, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], {
        input: source,
        encoding: 'utf8',
      });
      expect({ file, status: result.status, stderr: result.stderr }).toEqual({ file, status: 0, stderr: '' });
    }
  });

  test('bad options are refused with usage and exit 1', async () => {
    const { code, output } = await runBench(['--only', '12']);
    expect(code).toBe(1);
    expect(output).toContain('--only takes numbers 1-11');
  });
});
