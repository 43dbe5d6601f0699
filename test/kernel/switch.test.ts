// switch:ARTIFACT interactively, against the real kernel over ZeroMQ: a switch cell says which case it
// chose and the other cases show as not taken in `interactive-state`; a case not taken still runs when
// asked, with a note that a flow run would skip it; a bad value fails the cell naming the allowed
// cases; where the cases meet, the step builds on the case that ran; a loop's cell builds on its own
// last result while its switch keeps choosing it.
import * as fs from 'fs';
import * as path from 'path';
import type { InteractiveStateResult } from '../../src/core/protocol';
import { errorOf, JupyterClient, streamText, type Outcome } from '../helpers/jupyter-client';
import { copyExamples, installKernel, tempDir } from './kernel-helpers';

jest.setTimeout(120_000);

let kernelspec: string;
let prefix: string;
let examples: string;
let home: string;
const clients: JupyterClient[] = [];

const CELLS: [string, string[], string][] = [
  ['start', ['step:start', 'switch:mode', 'next:fast', 'next:slow'], "self.mode = 'fast';"],
  ['fast', ['step:fast', 'next:end'], "self.label = 'fast';"],
  ['slow', ['step:slow', 'next:end'], "self.label = 'slow';"],
  ['end', ['step:end'], 'self.label'],
];

function resultOf(outcome: Outcome): unknown {
  return outcome.iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data;
}

async function stateOf(
  client: JupyterClient,
): Promise<Record<string, InteractiveStateResult['steps'][number]>> {
  const comm = await client.openComm('cellflow');
  const state = await client.commRequest(comm, { id: `s-${Date.now()}`, op: 'interactive-state' });
  const steps = (state.final.result as unknown as InteractiveStateResult).steps;
  return Object.fromEntries(steps.map((s) => [s.step, s]));
}

const run = (client: JupyterClient, id: string, source?: string) => {
  const [, tags, code] = CELLS.find(([cell]) => cell === id)!;
  return client.execute(source ?? code, { tags, cellId: id });
};

beforeAll(async () => {
  prefix = tempDir('cf-switch-prefix-');
  kernelspec = await installKernel(prefix);
  examples = copyExamples();
  home = tempDir('cf-switch-home-');
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
    },
    cells: CELLS.map(([id, tags, source]) => ({
      cell_type: 'code',
      id,
      metadata: { tags },
      source,
      outputs: [],
      execution_count: null,
    })),
  };
  fs.writeFileSync(path.join(examples, 'choose.ipynb'), JSON.stringify(notebook, null, 1));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function start(session: string): Promise<JupyterClient> {
  const client = await JupyterClient.start(kernelspec, examples, {
    CELLFLOW_HOME: home,
    JPY_SESSION_NAME: session,
  });
  clients.push(client);
  return client;
}

test('the branch a switch did not take shows as skipped; running it anyway says a flow run would skip it', async () => {
  const client = await start('choose.ipynb');
  const chose = await run(client, 'start');
  expect(chose.reply.content.status).toBe('ok');
  expect(streamText(chose, 'stderr')).toContain("cellflow: switch:mode chose 'fast'; not taken: 'slow'");
  let state = await stateOf(client);
  expect(state.start).toMatchObject({ switchTaken: 'fast', stale: false });
  expect(state.slow).toEqual({ step: 'slow', stale: false, notTaken: { switch: 'start', taken: 'fast' } });
  expect(state.fast).toBeUndefined();

  expect((await run(client, 'fast')).reply.content.status).toBe('ok');
  // The end has two parents, one of which ran: it builds on the case taken.
  expect(resultOf(await run(client, 'end'))).toEqual({ 'text/plain': "'fast'" });

  // The case not taken runs when asked, and says what a flow run would do.
  const slow = await run(client, 'slow');
  expect(slow.reply.content.status).toBe('ok');
  expect(streamText(slow, 'stderr')).toContain(
    "step 'slow' is a case the switch at 'start' did not take in its latest run (self.mode = 'fast'): a flow run would skip it.",
  );
  state = await stateOf(client);
  expect(state.slow).toMatchObject({ notTaken: { switch: 'start', taken: 'fast' } });
  expect(state.slow.ranAt).toBeDefined();
  // The end still builds on the case the switch took.
  expect(resultOf(await run(client, 'end'))).toEqual({ 'text/plain': "'fast'" });

  // The switch now chooses the other case: marks follow.
  await run(client, 'start', "self.mode = 'slow';");
  state = await stateOf(client);
  expect(state.fast).toMatchObject({ notTaken: { switch: 'start', taken: 'slow' } });
  expect(state.slow.notTaken).toBeUndefined();
});

test('a switch value that names no case fails the cell, naming the allowed ones', async () => {
  const client = await start('choose.ipynb');
  const bad = await run(client, 'start', "self.mode = 'medium';");
  expect(bad.reply.content.status).toBe('error');
  expect(String(errorOf(bad)!.content.evalue)).toContain(
    `switch:mode needs self.mode to be the name of one of the next steps ('fast', 'slow'), got "medium".`,
  );
  expect((await stateOf(client)).start).toBeUndefined();
});

test('a loop: re-running the switch cell while it chooses itself goes round the loop', async () => {
  const client = await start('loop.ipynb');
  const cells = JSON.parse(fs.readFileSync(path.join(examples, 'loop.ipynb'), 'utf8')).cells as {
    id: string;
    metadata: { tags?: string[] };
    source: string[];
  }[];
  const exec = (id: string) => {
    const cell = cells.find((c) => c.id === id)!;
    return client.execute(cell.source.join(''), { tags: cell.metadata.tags ?? [], cellId: id });
  };
  await exec('parameters');
  await exec('start');
  const first = await exec('improve');
  expect(streamText(first, 'stderr')).toContain("switch:then chose 'improve'; not taken: 'report'");
  const steps = await client.execute('self.steps', { cellId: 'scratch-under-improve', tags: [] });
  expect(resultOf(steps)).toEqual({ 'text/plain': '1' });
  let state = await stateOf(client);
  expect(state.improve).toMatchObject({ switchTaken: 'improve', stale: false });
  expect(state.report).toMatchObject({ notTaken: { switch: 'improve', taken: 'improve' } });
  // Round the loop until the switch leaves it: each run builds on the previous one.
  let last: Outcome = first;
  for (let i = 0; i < 10 && !streamText(last, 'stderr').includes("chose 'report'"); i++) {
    last = await exec('improve');
  }
  expect(streamText(last, 'stderr')).toContain("switch:then chose 'report'; not taken: 'improve'");
  state = await stateOf(client);
  expect(state.improve).toMatchObject({ switchTaken: 'report', stale: false });
  expect(state.report).toBeUndefined();
  const report = await exec('report');
  expect(streamText(report, 'stdout')).toMatch(/sqrt\(2\) ≈ 1\.41421356237309\d* after 5 steps/);
});
