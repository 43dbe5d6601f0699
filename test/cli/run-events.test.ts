// `cellflow run --events-fd FD`: a real CLI process writes one JSON object per line to the descriptor,
// in the order things happen: run-started (the run's pathspec) before any task, each task's start
// before its end, a retried attempt's failure marked retrying, a foreach's tasks, run-finished last
// with the record's status. The run's own output stays on stdout; with --events-fd 1 it moves to
// stderr and stdout is only events.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseRunEvent, type RunEvent } from '../../src/core/run-events';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'cellflow.js');

let dir: string;

function notebook(cells: { id: string; tags: string[]; source: string }[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((c) => ({
      cell_type: 'code',
      id: c.id,
      metadata: { tags: c.tags },
      source: c.source,
      outputs: [],
      execution_count: null,
    })),
  });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-run-events-'));
  fs.writeFileSync(
    path.join(dir, 'flow.ipynb'),
    notebook([
      { id: 'start', tags: ['step:start', 'foreach:items'], source: 'self.items = [1, 2];' },
      // Fails its first attempt once per element, then succeeds on the retry.
      {
        id: 'body',
        tags: ['step:body', 'retry:1'],
        source:
          "const fs = require('fs');\nconst mark = `tried-${self.input}`;\nif (!fs.existsSync(mark)) { fs.writeFileSync(mark, ''); throw new Error('first try'); }\nself.v = self.input * 10;\nconsole.log(`v=${self.v}`);",
      },
      { id: 'join', tags: ['step:join'], source: 'self.total = inputs.reduce((s, i) => s + i.v, 0);' },
      { id: 'end', tags: ['step:end'], source: 'console.log(`total=${self.total}`);' },
    ]),
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with the events on `fd`; resolves with the exit code, stdout, stderr and the events. */
function run(args: string[], fd: number) {
  const child = spawn(process.execPath, [CLI, ...args, '--events-fd', String(fd)], {
    cwd: dir,
    env: { ...process.env, CELLFLOW_HOME: path.join(dir, 'home'), CELLFLOW_RETRY_BACKOFF_MS: '10' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '', events: '' };
  child.stdout!.on('data', (c: Buffer) => (text.stdout += c));
  child.stderr!.on('data', (c: Buffer) => (text.stderr += c));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (text.events += c));
  return new Promise<{ code: number; stdout: string; stderr: string; events: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? 1, ...text })),
  );
}

function parseAll(lines: string): RunEvent[] {
  const all = lines.split('\n').filter((l) => l !== '');
  const events = all.map(parseRunEvent);
  // Every line is one whole event.
  expect(events.every((e) => e !== undefined)).toBe(true);
  return events as RunEvent[];
}

test('run: events in order, from run-started to run-finished, with the retry and the foreach', async () => {
  const result = await run(['run', 'flow.ipynb'], 3);
  expect(result.code).toBe(0);
  const events = parseAll(result.events);
  for (const e of events) {
    expect(Number.isNaN(Date.parse(e.time))).toBe(false);
  }
  const first = events[0];
  const last = events[events.length - 1];
  expect(first.event).toBe('run-started');
  expect(last.event).toBe('run-finished');
  const pathspec = (first as Extract<RunEvent, { event: 'run-started' }>).pathspec;
  expect(pathspec).toMatch(/^flow\/\d+-[0-9a-f]+$/);
  expect(last).toMatchObject({ pathspec, status: 'succeeded' });
  // The human output names the same run, on stdout as without --events-fd.
  expect(result.stdout).toContain(`✓ run succeeded: ${pathspec}`);
  expect(result.stdout).toContain('total=30');

  const of = (step: string) =>
    events.filter(
      (e): e is Exclude<RunEvent, { event: 'run-started' | 'run-finished' }> =>
        'step' in e && e.step === step,
    );
  // Each body task: started (attempt 0), failed and retrying, started (attempt 1), finished.
  const bodyTasks = [...new Set(of('body').map((e) => e.taskId))];
  expect(bodyTasks).toHaveLength(2);
  for (const taskId of bodyTasks) {
    const seen = of('body')
      .filter((e) => e.taskId === taskId)
      .map((e) => [
        e.event,
        'attempt' in e ? e.attempt : undefined,
        'retrying' in e ? e.retrying : undefined,
      ]);
    expect(seen).toEqual([
      ['task-started', 0, undefined],
      ['task-failed', 0, true],
      ['task-started', 1, undefined],
      ['task-finished', undefined, undefined],
    ]);
  }
  const failed = of('body').find((e) => e.event === 'task-failed');
  expect(failed).toMatchObject({ status: 'failed', error: 'first try' });
  // Steps in flow order: every start task event before the body's, the join's after them, end last.
  const order = events.filter((e) => e.event === 'task-finished').map((e) => ('step' in e ? e.step : ''));
  expect(order).toEqual(['start', 'body', 'body', 'join', 'end']);
  for (const step of ['start', 'join', 'end']) {
    expect(of(step).map((e) => e.event)).toEqual(['task-started', 'task-finished']);
  }
});

test('resume: reused tasks finish as reused; a failed run ends with run-finished failed', async () => {
  fs.writeFileSync(
    path.join(dir, 'fails.ipynb'),
    notebook([
      { id: 'start', tags: ['step:start'], source: 'self.n = 1;' },
      {
        id: 'boom',
        tags: ['step:boom'],
        source:
          "const fs = require('fs');\nif (!fs.existsSync('fixed')) { throw new Error('boom'); }\nself.n += 1;",
      },
      { id: 'end', tags: ['step:end'], source: 'console.log(self.n);' },
    ]),
  );
  const failedRun = await run(['run', 'fails.ipynb'], 3);
  expect(failedRun.code).toBe(1);
  const events = parseAll(failedRun.events);
  const origin = (events[0] as Extract<RunEvent, { event: 'run-started' }>).pathspec;
  expect(events.find((e) => e.event === 'task-failed')).toMatchObject({
    step: 'boom',
    status: 'failed',
    retrying: false,
    error: 'boom',
  });
  expect(events[events.length - 1]).toMatchObject({
    event: 'run-finished',
    pathspec: origin,
    status: 'failed',
  });

  fs.writeFileSync(path.join(dir, 'fixed'), '');
  // Events on stdout: stdout is only events, the run's own output goes to stderr.
  const resumed = await run(['resume', origin], 1);
  expect(resumed.code).toBe(0);
  const again = parseAll(resumed.stdout);
  expect(again[0].event).toBe('run-started');
  expect(again.find((e) => e.event === 'task-finished' && 'step' in e && e.step === 'start')).toMatchObject({
    reused: true,
  });
  expect(again[again.length - 1]).toMatchObject({ event: 'run-finished', status: 'succeeded' });
  expect(resumed.stderr).toContain('✓ run succeeded');
  expect(resumed.events).toBe('');
});

test('--events-fd takes a descriptor that is not stdin or stderr (exit 2)', async () => {
  for (const bad of ['0', '2', 'x']) {
    const child = spawn(process.execPath, [CLI, 'run', 'flow.ipynb', '--events-fd', bad], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(`'${bad}' is not a file descriptor to write events to`);
  }
});
