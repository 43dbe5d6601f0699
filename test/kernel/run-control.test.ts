// Runs started through the comm, against the real kernel and the real CLI: a running step is reported
// as running, events are numbered in the order they were sent, Stop interrupts the run and the run is
// recorded as cancelled (not failed), a cancelled run resumes, and a run that cannot start fails
// with the CLI's own message.
import * as fs from 'fs';
import * as path from 'path';
import type { TaskStatusEvent } from '../../src/core/protocol';
import { delay, JupyterClient } from '../helpers/jupyter-client';
import { installKernel, tempDir } from './kernel-helpers';

jest.setTimeout(180_000);

let kernelspec: string;
let prefix: string;
let project: string;
let home: string;
let client: JupyterClient;

function notebook(cells: { id: string; tags: string[]; source: string }[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
    },
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

beforeAll(async () => {
  prefix = tempDir('cf-runctl-prefix-');
  kernelspec = await installKernel(prefix);
  project = tempDir('cf-runctl-project-');
  home = tempDir('cf-runctl-home-');
  fs.writeFileSync(
    path.join(project, 'slow.ipynb'),
    notebook([
      { id: 'start', tags: ['step:start'], source: 'self.n = 1;' },
      // Slow only the first time: a resume after the stop finishes at once.
      {
        id: 'wait',
        tags: ['step:wait'],
        source:
          "const fs = require('fs');\nif (!fs.existsSync('waited')) { fs.writeFileSync('waited', ''); await new Promise((r) => setTimeout(r, 60000)); }\nself.n += 1;",
      },
      { id: 'end', tags: ['step:end'], source: 'console.log(`n = ${self.n}`);' },
    ]),
  );
  fs.writeFileSync(
    path.join(project, 'broken.ipynb'),
    notebook([{ id: 'start', tags: ['step:start', 'next:nowhere'], source: 'self.n = 1;' }]),
  );
  client = await JupyterClient.start(kernelspec, project, { CELLFLOW_HOME: home });
});

afterAll(async () => {
  await client?.close();
  for (const dir of [prefix, project, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a running step is reported running; Stop records the run as cancelled; it resumes', async () => {
  const comm = await client.openComm('cellflow');
  const runMsg = client.commSend(comm, { id: 'slow1', op: 'run', notebook: 'slow.ipynb' });
  // Wait until the kernel says `wait` is running, then press Stop.
  const isWaitRunning = (d: Record<string, unknown>) =>
    d.event === 'task' &&
    (d.task as TaskStatusEvent).step === 'wait' &&
    (d.task as TaskStatusEvent).status === 'running';
  let sawRunning = false;
  for (let i = 0; i < 900 && !sawRunning; i++) {
    sawRunning = client.commReplies(runMsg).some(isWaitRunning);
    if (!sawRunning) {
      await delay(100);
    }
  }
  expect(sawRunning).toBe(true);
  const stop = await client.commRequest(comm, { id: 'stop1', op: 'stop', run: 'slow1' });
  expect(stop.final).toMatchObject({ ok: true, result: { stopped: true } });

  let final: Record<string, unknown> | undefined;
  for (let i = 0; i < 600 && !final; i++) {
    final = client.commReplies(runMsg).find((d) => 'ok' in d);
    if (!final) {
      await delay(100);
    }
  }
  const run = { final: final!, all: client.commReplies(runMsg) };
  expect(run.final).toMatchObject({ ok: true, result: { status: 'cancelled' } });
  const events = run.all.filter((d) => 'event' in d);
  const seqs = events.map((e) => e.seq as number);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  const pathspec = (run.final.result as { pathspec: string }).pathspec;
  const [flow, runId] = pathspec.split('/');
  const record = JSON.parse(fs.readFileSync(path.join(home, 'flows', flow, runId, 'run.json'), 'utf8'));
  expect(record.status).toBe('cancelled');
  const waitDir = path.join(home, 'flows', flow, runId, 'wait');
  const task = JSON.parse(
    fs.readFileSync(path.join(waitDir, fs.readdirSync(waitDir)[0], 'task.json'), 'utf8'),
  );
  expect(task.status).toBe('cancelled');
  expect(task.attempts.at(-1).error.message).toContain('the run was interrupted');

  // Resume from the step that was stopped: start is reused, wait and end run.
  const resumed = await client.commRequest(
    comm,
    { id: 'resume1', op: 'resume', pathspec, fromStep: 'wait' },
    120_000,
  );
  expect(resumed.final).toMatchObject({ ok: true, result: { status: 'succeeded' } });
  expect(resumed.all.some((d) => d.event === 'log' && String(d.line).includes('n = 2'))).toBe(true);
});

test('a run that cannot start fails with the CLI message, not an exit code', async () => {
  const comm = await client.openComm('cellflow');
  const run = await client.commRequest(comm, { id: 'bad1', op: 'run', notebook: 'broken.ipynb' }, 60_000);
  expect(run.final.ok).toBe(false);
  expect(String(run.final.error)).toContain('broken.ipynb');
  expect(String(run.final.error)).toContain('nowhere');
  expect(String(run.final.error)).not.toMatch(/exited with code/);
});
