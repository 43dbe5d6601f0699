// The interactive-state rules, against the real kernel over ZeroMQ: a re-run parameters cell makes
// every step built on the old values stale and steps read the new value; a foreach body says which
// element it ran and a join of some elements is partial (in the cell's output and in
// `interactive-state`); a new untagged cell under a step runs in that step before the notebook is
// saved, from the notebook JupyterLab sends through the comm; and the messages of a cell outside any
// step blame neither papermill nor nbclient when JupyterLab sent the cell.
import * as fs from 'fs';
import * as path from 'path';
import type { InteractiveStateResult } from '../../src/core/protocol';
import { errorOf, JupyterClient, streamText, type Outcome } from '../helpers/jupyter-client';
import { copyExamples, installKernel, readCells, runAllCells, sourceOf, tempDir } from './kernel-helpers';

jest.setTimeout(120_000);

let kernelspec: string;
let prefix: string;
let examples: string;
let home: string;
const clients: JupyterClient[] = [];

async function start(session: string): Promise<JupyterClient> {
  const client = await JupyterClient.start(kernelspec, examples, {
    CELLFLOW_HOME: home,
    JPY_SESSION_NAME: session,
  });
  clients.push(client);
  return client;
}

function resultOf(outcome: Outcome): unknown {
  return outcome.iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data;
}

async function stateOf(client: JupyterClient): Promise<InteractiveStateResult['steps']> {
  const comm = await client.openComm('cellflow');
  const state = await client.commRequest(comm, { id: `s-${Date.now()}`, op: 'interactive-state' });
  return (state.final.result as unknown as InteractiveStateResult).steps;
}

const byStep = (steps: InteractiveStateResult['steps']) => Object.fromEntries(steps.map((s) => [s.step, s]));

beforeAll(async () => {
  prefix = tempDir('cf-istate-prefix-');
  kernelspec = await installKernel(prefix);
  examples = copyExamples();
  home = tempDir('cf-istate-home-');
  // A notebook with a parameters cell and two steps, written as JupyterLab saves one.
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
    },
    cells: [
      {
        cell_type: 'code',
        id: 'params',
        metadata: { tags: ['parameters'] },
        source: 'const epochs = 200;',
        outputs: [],
        execution_count: null,
      },
      {
        cell_type: 'code',
        id: 'start',
        metadata: { tags: ['step:start'] },
        source: 'self.double = self.epochs * 2;',
        outputs: [],
        execution_count: null,
      },
      {
        cell_type: 'code',
        id: 'end',
        metadata: { tags: ['step:end'] },
        source: '[self.epochs, self.double]',
        outputs: [],
        execution_count: null,
      },
    ],
  };
  fs.writeFileSync(path.join(examples, 'params.ipynb'), JSON.stringify(notebook, null, 1));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a re-run parameters cell with a new value makes every step stale; steps read the new value', async () => {
  const client = await start('params.ipynb');
  await runAllCells(client, path.join(examples, 'params.ipynb'));
  expect(Object.values(byStep(await stateOf(client))).every((s) => !s.stale)).toBe(true);

  // The same value again changes nothing.
  await client.execute('const epochs = 200;', { tags: ['parameters'], cellId: 'params' });
  expect((await stateOf(client)).filter((s) => s.stale)).toEqual([]);

  await client.execute('const epochs = 20;', { tags: ['parameters'], cellId: 'params' });
  let steps = byStep(await stateOf(client));
  expect(steps.start).toMatchObject({ stale: true, reason: 'parameters' });
  expect(steps.end).toMatchObject({ stale: true, reason: 'parameters' });

  // `end` alone reads the new epochs, but start's artifact is still the old one: still stale.
  const end = await client.execute('[self.epochs, self.double]', { tags: ['step:end'], cellId: 'end' });
  expect(resultOf(end)).toEqual({ 'text/plain': '[ 20, 400 ]' });
  expect(byStep(await stateOf(client)).end).toMatchObject({ stale: true, reason: 'parameters' });

  await client.execute('self.double = self.epochs * 2;', { tags: ['step:start'], cellId: 'start' });
  steps = byStep(await stateOf(client));
  expect(steps.start.stale).toBe(false);
  expect(steps.end).toMatchObject({ stale: true, reason: 'upstream' });
  const again = await client.execute('[self.epochs, self.double]', { tags: ['step:end'], cellId: 'end' });
  expect(resultOf(again)).toEqual({ 'text/plain': '[ 20, 40 ]' });
  expect((await stateOf(client)).filter((s) => s.stale)).toEqual([]);
});

test('foreach: the body names the element it ran, the join is partial until every element ran', async () => {
  const client = await start('foreach.ipynb');
  const outcomes = await runAllCells(client, path.join(examples, 'foreach.ipynb'));
  // cells: helpers, start, train, pick, end
  expect(streamText(outcomes[2], 'stderr')).toContain("foreach body 'train' runs on element 1 of 6");
  expect(streamText(outcomes[3], 'stderr')).toContain("join 'pick' joins 1 of 6 elements");
  expect(streamText(outcomes[3], 'stderr')).toContain('its result is partial');
  let steps = byStep(await stateOf(client));
  expect(steps.train.element).toEqual({ split: 'start', index: 0, count: 6 });
  expect(steps.pick.partial).toEqual({ join: 'pick', split: 'start', ran: [0], count: 6 });
  expect(steps.end.partial).toMatchObject({ join: 'pick', ran: [0] });

  // Every element, one by one: the join gathers them all and picks what a flow run picks.
  const train = readCells(path.join(examples, 'foreach.ipynb')).find((c) => c.id === 'train')!;
  for (let i = 1; i < 6; i++) {
    await client.execute(`cellflow.useItem(${i})`, { cellId: 'scratch' });
    const ran = await client.execute(sourceOf(train), { tags: ['step:train'], cellId: 'train' });
    expect(ran.reply.content.status).toBe('ok');
  }
  const pick = readCells(path.join(examples, 'foreach.ipynb')).find((c) => c.id === 'pick')!;
  const joined = await client.execute(sourceOf(pick) + '\ninputs.length', {
    tags: ['step:pick'],
    cellId: 'pick',
  });
  expect(resultOf(joined)).toEqual({ 'text/plain': '6' });
  expect(streamText(joined, 'stderr')).not.toContain('partial');
  const best = await client.execute('self.best_lr', { tags: [], cellId: 'pick-more' });
  expect(resultOf(best)).toEqual({ 'text/plain': '0.6' });
  steps = byStep(await stateOf(client));
  expect(steps.pick.partial).toBeUndefined();
  expect(steps.train.element).toEqual({ split: 'start', index: 5, count: 6 });
});

test('a new untagged cell under a step runs in that step before the notebook is saved', async () => {
  const client = await start('hello.ipynb');
  await runAllCells(client, path.join(examples, 'hello.ipynb'));
  // JupyterLab's notebook now has a new cell under step `a` (not saved): the extension sends it.
  const file = path.join(examples, 'hello.ipynb');
  const notebook = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { id: string }[] };
  const at = notebook.cells.findIndex((c) => c.id === 'a');
  notebook.cells.splice(at + 1, 0, {
    cell_type: 'code',
    id: 'fresh-under-a',
    metadata: {},
    source: 'self.x',
    outputs: [],
    execution_count: null,
  } as never);
  const comm = await client.openComm('cellflow');
  const sent = await client.commRequest(comm, {
    id: 'nb1',
    op: 'notebook',
    notebook: 'hello.ipynb',
    content: JSON.stringify(notebook),
  });
  expect(sent.final).toMatchObject({ ok: true });
  // The last step run was `end`; the cell sits under `a`, whose x is 2 (start's 0 + 2).
  const fresh = await client.execute('self.x', { cellId: 'fresh-under-a' });
  expect(fresh.reply.content.status).toBe('ok');
  expect(resultOf(fresh)).toEqual({ 'text/plain': '2' });
});

test('outside a step, a cell JupyterLab sent gets advice for JupyterLab, not papermill', async () => {
  const client = await start('params.ipynb');
  // A cell with no tags: JupyterLab sends its id and no `tags`.
  const outcome = await client.execute('self.x = 1;', { cellId: 'brand-new' });
  const error = errorOf(outcome)!;
  expect(error.content.ename).toBe('NoStepContextError');
  expect(String(error.content.evalue)).not.toMatch(/papermill|nbclient/);
  expect(String(error.content.evalue)).toContain('tag the cell step:NAME');
});
