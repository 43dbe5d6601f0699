// The read-side commands through the real `cellflow` launcher (build first: npx tsc -p tsconfig.build.json).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { linearGraph, runRecord } from '../helpers/records';
import { schemaErrors } from '../helpers/run-schema';
import { populate, type SampleRuns } from '../helpers/sample-runs';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { BACKENDS, freshLocation, plantUnfinishedRun, removeLocation } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';

const s3 = s3ServerForFile();
afterAll(async () => {});

describe.each(BACKENDS)('%s datastore', (backend) => {
  let root: string;
  let runs: SampleRuns;
  let abandoned: string;
  const read = (args: string[]) =>
    cellflow(args, { env: backend === 'local' ? { CELLFLOW_HOME: root } : { CELLFLOW_DATASTORE: root } });

  beforeAll(async () => {
    root = freshLocation(backend, s3.server, 'cli-read');
    const datastore = Datastore.open({ root });
    runs = await populate(datastore);
    // A run whose scheduler was killed 10 s in: still 'running' in run.json, its pid gone, no heartbeat since.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    abandoned = datastore.newRunId();
    const heartbeatAt = '2024-05-01T10:00:10.000Z';
    datastore.writeRun(
      runRecord('Hello', abandoned, {
        status: 'running',
        finishedAt: undefined,
        scheduler: { pid: Number(deadPid.stdout), host: os.hostname(), heartbeatAt },
      }),
    );
  });
  afterAll(() => removeLocation(root));

  describe('cellflow runs', () => {
    it('lists runs newest first with status (a dead scheduler shows as abandoned), user and tags', async () => {
      const { code, stdout, stderr } = await read(['runs']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const lines = stdout.trim().split('\n');
      expect(lines[0].split(/\s{2,}/)).toEqual(['RUN', 'STATUS', 'USER', 'STARTED', 'DURATION', 'TAGS']);
      expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
        [`Hello/${abandoned}`, 'abandoned', 'alice'],
        [`Hello/${runs.live}`, 'running', 'alice'],
        [`Hello/${runs.newest}`, 'succeeded', 'alice'],
        [`Hello/${runs.failed}`, 'failed', 'bob'],
        [`Hello/${runs.older}`, 'succeeded', 'alice'],
      ]);
      expect(lines[5]).toMatch(/3\.5s\s+nightly$/);
      expect(lines[1]).toMatch(/abandoned\s+alice\s+\S+ \S+\s+10\.0s$/); // lasted until its last heartbeat
    });

    it('filters by flow, tag, user and status, and prints JSON', async () => {
      const { stdout } = await read(['runs', 'Hello', '--tag', 'nightly', '--json']);
      const listed = JSON.parse(stdout);
      expect(listed).toEqual([
        expect.objectContaining({
          pathspec: `Hello/${runs.older}`,
          status: 'succeeded',
          tags: ['nightly'],
          durationMs: 3500,
        }),
      ]);
      const byBob = JSON.parse((await read(['runs', '--user', 'bob', '--json'])).stdout);
      expect(byBob.map((r: { runId: string }) => r.runId)).toEqual([runs.failed]);
      const failed = JSON.parse((await read(['runs', '--status', 'failed', '--json'])).stdout);
      expect(failed.map((r: { runId: string }) => r.runId)).toEqual([runs.failed]);
    });

    it('--limit N shows the N newest, skipping a run folder with no record yet, and filters before limiting', async () => {
      // A copy under way (push/pull write run.json last): the newest run, with no record.
      const removeUnfinished = plantUnfinishedRun(
        Datastore.open({ root }),
        'Hello',
        '9999999999999-000000000000',
      );
      try {
        const newest = JSON.parse((await read(['runs', '--limit', '2', '--json'])).stdout);
        expect(newest.map((r: { runId: string }) => r.runId)).toEqual([abandoned, runs.live]);
        const table = (await read(['runs', 'Hello', '-n', '1'])).stdout.trim().split('\n');
        expect(table.slice(1).map((line) => line.split(/\s{2,}/)[0])).toEqual([`Hello/${abandoned}`]);
        // The limit applies to what the filter kept, not to the newest runs before filtering.
        const succeeded = JSON.parse(
          (await read(['runs', '--status', 'succeeded', '-n', '2', '--json'])).stdout,
        );
        expect(succeeded.map((r: { runId: string }) => r.runId)).toEqual([runs.newest, runs.older]);
      } finally {
        await removeUnfinished();
      }
    });

    it('rejects an unknown flow or status with exit code 2 and no stack trace', async () => {
      const missing = await read(['runs', 'Nope']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/flow Nope has no runs/);
      expect(missing.stderr).not.toMatch(/\n\s+at /);
      const status = await read(['runs', '--status', 'exploded']);
      expect(status.code).toBe(2);
    });
  });

  describe('cellflow inspect', () => {
    it('summarises a run: status, params, tags, steps with task counts', async () => {
      const { code, stdout } = await read(['inspect', `Hello/${runs.failed}`]);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Run Hello/${runs.failed}  failed\n`));
      expect(stdout).toMatch(/user\s+bob/);
      expect(stdout).toMatch(/params\s+alpha=0\.5/);
      expect(stdout).toMatch(/start\s+1\s+1 succeeded\s+1\.0s/);
      expect(stdout).toMatch(/end\s+1\s+1 failed\s+1\.0s/);
    });

    it("lists a step's tasks and a task's artifacts with codec, size and short hash", async () => {
      const [step, task, failed] = await Promise.all([
        read(['inspect', `Hello/${runs.newest}/start`]),
        read(['inspect', `Hello/${runs.newest}/end/2`]),
        read(['inspect', `Hello/${runs.failed}/end/2`]),
      ]);
      expect(step.stdout).toMatch(new RegExp(`Hello/${runs.newest}/start/1\\s+succeeded\\s+1\\s`));
      expect(task.code).toBe(0);
      const refs = Datastore.open({ root }).readTask('Hello', runs.newest, 'end', '2').artifacts;
      for (const [name, ref] of Object.entries(refs)) {
        expect(task.stdout).toMatch(
          new RegExp(`${name}\\s+${ref.codec}\\s+${ref.bytes}\\s+${ref.sha256.slice(0, 12)}`),
        );
      }
      expect(failed.stdout).toMatch(/attempt 1 failed: boom again/);
    });

    it('prints artifact values: Arrow as a table preview, bytes as hex, V8 values inspected, JSON with --json', async () => {
      const [frame, blob, result, json, x] = await Promise.all([
        read(['inspect', `Hello/${runs.newest}`, '--artifact', 'frame']),
        read(['inspect', `Hello/${runs.newest}/end/2`, '--artifact', 'blob']),
        read(['inspect', `Hello/${runs.newest}`, '--artifact', 'result']),
        read(['inspect', `Hello/${runs.newest}`, '--artifact', 'result', '--json']),
        read(['inspect', `Hello/${runs.older}/start/1`, '--artifact', 'x']),
      ]);
      expect(frame.stdout).toMatch(/Arrow table: 3 rows x 1 columns\nn: Int32\n1\n2\n3\n/);
      expect(blob.stdout).toMatch(/4 bytes: de ad be ef/);
      expect(result.stdout).toMatch(/\{ total: 31, when: 1970-01-01T00:00:00\.000Z \}/);
      expect(JSON.parse(json.stdout)).toEqual({ total: 31, when: '1970-01-01T00:00:00.000Z' });
      expect(x.stdout.split('\n')[1]).toBe('10');
    });

    it('explains bad pathspecs and missing artifacts with exit code 2', async () => {
      const cases = [
        ['inspect', 'Hello/../etc'],
        ['inspect', 'Hello'],
        ['inspect', 'Hello/123'],
        ['inspect', `Hello/${runs.newest}/end/2`, '--artifact', 'nope'],
        ['inspect', `Hello/${runs.failed}`, '--artifact', 'x'],
      ];
      const results = await Promise.all(cases.map((args) => read(args)));
      results.forEach((result, i) => {
        expect({ args: cases[i], code: result.code }).toEqual({ args: cases[i], code: 2 });
        expect(result.stderr).not.toMatch(/\n\s+at /);
      });
      expect(results[0].stderr).toMatch(/invalid run id "\.\." in pathspec/);
      expect(results[2].stderr).toMatch(/run Hello\/123 not found/);
      expect(results[3].stderr).toMatch(/has no artifact 'nope' \(it has: blob, frame, result, x\)/);
      expect(results[4].stderr).toMatch(/has no successful 'end' task/);
    });
  });

  describe('cellflow logs', () => {
    it("prints the latest attempt's stdout, or another attempt's stderr", async () => {
      const [stdout, stderr, first, missing, notTask] = await Promise.all([
        read(['logs', `Hello/${runs.newest}/start/1`]),
        read(['logs', `Hello/${runs.failed}/end/2`, '--stderr']),
        read(['logs', `Hello/${runs.failed}/end/2`, '--stderr', '--attempt', '0']),
        read(['logs', `Hello/${runs.failed}/end/2`, '--attempt', '7']),
        read(['logs', `Hello/${runs.failed}`]),
      ]);
      expect(stdout.stdout).toBe('hello from run 3\n');
      expect(stderr.stdout).toBe('second failure\n');
      expect(first.stdout).toBe('first failure\n');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/has no attempt 7 \(it has attempts 0, 1\)/);
      expect(notTask.code).toBe(2);
      expect(notTask.stderr).toMatch(/logs needs a task/);
    });
  });

  describe('cellflow tag', () => {
    it('adds and removes tags in run.json', async () => {
      const pathspec = `Hello/${runs.newest}`;
      expect((await read(['tag', 'add', pathspec, 'prod', 'v2'])).code).toBe(0);
      const ds = Datastore.open({ root });
      expect(ds.readRun('Hello', runs.newest).tags).toEqual(['prod', 'v2']);
      expect(JSON.parse((await read(['runs', '--tag', 'prod', '--json'])).stdout)[0].runId).toBe(runs.newest);
      expect((await read(['tag', 'remove', pathspec, 'prod'])).code).toBe(0);
      expect(ds.readRun('Hello', runs.newest).tags).toEqual(['v2']);
      expect((await read(['tag', 'list', pathspec])).stdout).toBe('v2\n');
      expect(schemaErrors('run', ds.readRun('Hello', runs.newest))).toEqual([]);
      const bad = await read(['tag', 'add', pathspec, ' ']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/invalid tag/);
    });
  });
});

// The folder only. The run index this listing relies on is tested on both backends in
// test/runtime/run-index.test.ts; 5,000 runs in a bucket is bench row 9 (bench/NOTES.md), too slow
// to plant in a test.
describe('cellflow runs at scale (local datastore)', () => {
  it('lists 5,000 runs in under a second', async () => {
    const big = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-cli-big-'));
    const template = runRecord('Flow0', '1700000000000-000000000000', { graph: linearGraph() });
    expect(schemaErrors('run', template)).toEqual([]);
    // Fixture files written directly by a plain node process (jest's sandbox makes 5,000 writes slow).
    const writer = `
      const fs = require('fs'), path = require('path');
      const [big, json] = process.argv.slice(1);
      const template = JSON.parse(json);
      for (let i = 0; i < 5000; i++) {
        const flow = 'Flow' + (i % 5);
        const runId = (1700000000000 + i * 1000) + '-' + i.toString(16).padStart(12, '0');
        const record = { ...template, flow, runId, tags: i % 7 ? [] : ['weekly'] };
        fs.mkdirSync(path.join(big, 'flows', flow, runId), { recursive: i < 5 });
        fs.writeFileSync(path.join(big, 'flows', flow, runId, 'run.json'), JSON.stringify(record, null, 2));
      }`;
    const generated = spawnSync(process.execPath, ['-e', writer, big, JSON.stringify(template)], {
      encoding: 'utf8',
    });
    expect(generated.stderr).toBe('');
    // The whole command (Node's start included) must cost under a second of CPU. CPU time rather than
    // wall time, because on a shared 2-core machine other suites' load stretches wall time.
    const measured = `
      require(${JSON.stringify(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))})
        .main([process.execPath, 'cellflow', 'runs'])
        .then(() => process.stdout.write('CPU ' + JSON.stringify(process.cpuUsage()) + '\\n'));`;
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['-e', measured], {
      env: { ...process.env, CELLFLOW_HOME: big },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const cpu = JSON.parse(lines.pop()!.replace(/^CPU /, '')) as { user: number; system: number };
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(lines).toHaveLength(5001);
    expect(lines[1]).toMatch(/^Flow4\/1700004999000-000000001387 /);
    console.log(`cellflow runs over 5,000 runs: ${Math.round(cpuMs)} ms CPU, ${Math.round(wallMs)} ms wall`);
    expect(cpuMs).toBeLessThan(1000);
    fs.rmSync(big, { recursive: true, force: true });
  });
});
