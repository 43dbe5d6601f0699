// The kernel over real ZeroMQ, started from the kernelspec the CLI installs: step cells with their
// tags as JupyterLab sends them, errors at the cell's line, interrupt, restart, signatures, the comm.
import * as fs from 'fs';
import * as path from 'path';
import { CELLFLOW_MIMETYPE } from '../../src/core/protocol';
import { delay, errorOf, JupyterClient, streamText, type Outcome } from '../helpers/jupyter-client';
import type { RunDetailResult, RunsResult, TaskStatusEvent } from '../../src/core/protocol';
import { copyExamples, installKernel, runAllCells, tempDir } from './kernel-helpers';

// Kernels start in seconds on a quiet machine, much slower on a loaded CI runner.
jest.setTimeout(120_000);

let kernelspec: string;
let prefix: string;
let examples: string;
let home: string;
let hello: JupyterClient;
const clients: JupyterClient[] = [];

async function start(env: NodeJS.ProcessEnv = {}): Promise<JupyterClient> {
  const client = await JupyterClient.start(kernelspec, examples, { CELLFLOW_HOME: home, ...env });
  clients.push(client);
  return client;
}

function resultOf(outcome: Outcome): unknown {
  return outcome.iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data;
}

beforeAll(async () => {
  prefix = tempDir('cf-kernel-prefix-');
  kernelspec = await installKernel(prefix);
  examples = copyExamples();
  home = tempDir('cf-kernel-home-');
  hello = await start({ JPY_SESSION_NAME: 'hello.ipynb' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hello.ipynb cell by cell with tags: the join sees both branches, self.out === 3', async () => {
  const info = await hello.request('kernel_info_request', {});
  expect(info.reply.content).toMatchObject({
    status: 'ok',
    protocol_version: '5.3',
    implementation: 'cellflow',
    language_info: { name: 'typescript', file_extension: '.ts', version: expect.stringMatching(/^5\./) },
  });
  const outcomes = await runAllCells(hello, path.join(examples, 'hello.ipynb'));
  expect(streamText(outcomes[outcomes.length - 1])).toContain('done: out = 3');
  const check = await hello.execute('self.out', { tags: [], cellId: 'end' });
  expect(resultOf(check)).toEqual({ 'text/plain': '3' });
  expect(check.reply.content.status).toBe('ok');

  const comm = await hello.openComm('cellflow');
  const state = await hello.commRequest(comm, { id: 'r1', op: 'interactive-state' });
  const steps = (state.final.result as { steps: { step: string; stale: boolean }[] }).steps;
  expect(steps.map((s) => s.step)).toEqual(['start', 'a', 'b', 'join', 'end']);
  expect(steps.every((s) => !s.stale)).toBe(true);
});

test('a step cell works on a copy: re-running a branch does not see its own earlier result', async () => {
  // Branch a adds 2 to start's x (0), however often it runs.
  for (let i = 0; i < 2; i++) {
    const again = await hello.execute('self.x += 2;\nself.x', { tags: ['step:a', 'next:join'], cellId: 'a' });
    expect(resultOf(again)).toEqual({ 'text/plain': '2' });
  }
  const comm = await hello.openComm('cellflow');
  const state = await hello.commRequest(comm, { id: 'r2', op: 'interactive-state' });
  const stale = (state.final.result as { steps: { step: string; stale: boolean }[] }).steps
    .filter((s) => s.stale)
    .map((s) => s.step);
  expect(stale.sort()).toEqual(['end', 'join']);
});

test('an untagged cell the saved notebook does not know continues the last step, a join with its inputs', async () => {
  await hello.execute('self.out = Math.max(...inputs.map((i) => i.x));', {
    tags: ['step:join'],
    cellId: 'join',
  });
  const more = await hello.execute('self.count = inputs.length;\nself.count', {
    tags: [],
    cellId: 'new-below-join',
  });
  expect(resultOf(more)).toEqual({ 'text/plain': '2' });
  const end = await hello.execute('self.count', { tags: ['step:end'], cellId: 'end' });
  expect(resultOf(end)).toEqual({ 'text/plain': '2' });
});

test('errors name the step, the cell and the line of the cell; type errors too', async () => {
  const failed = await hello.execute('self.y = 1;\n\nthrow new Error("boom");', {
    tags: ['step:b'],
    cellId: 'b',
  });
  expect(failed.reply.content.status).toBe('error');
  const error = errorOf(failed)!;
  expect(error.content.ename).toBe('Error');
  expect(error.content.evalue).toBe('boom');
  expect((error.content.traceback as string[])[0]).toBe("step 'b', cell 5 (id b), line 3: Error: boom");
  expect(failed.iopub.filter((m) => m.header.msg_type === 'error')).toHaveLength(1);

  // A new cell below b (not in the saved notebook, so no index yet) continues step b.
  const unstorable = await hello.execute('self.fit = () => 1;', { tags: [], cellId: 'b-more' });
  expect((errorOf(unstorable)!.content.traceback as string[])[0]).toBe(
    "step 'b', this cell: UnstorableArtifactError: artifact 'fit' cannot be stored: self.fit is a function",
  );

  const typed = await hello.execute('const n: string = 1;', { tags: [], cellId: 'new-cell' });
  expect(errorOf(typed)!.content.ename).toBe('TypeScriptError');
  expect((errorOf(typed)!.content.traceback as string[])[0]).toContain('line 1, column 7');
});

test('without a session notebook: self outside a step says what is missing; plain code as tslab; steps found by id and source', async () => {
  const client = await start(); // no session notebook, no metadata: as nbclient
  const outcome = await client.execute('self.x = 1;');
  const error = errorOf(outcome)!;
  expect(error.content.ename).toBe('NoStepContextError');
  expect(String(error.content.evalue)).toContain('sent no cell metadata');
  // Plain TypeScript runs as under tslab, even with names the kernel uses in steps.
  await client.execute('interface P { x: number }\nconst p: P = { x: 41 };\nconst current = 5;');
  expect(resultOf(await client.execute('p.x + 1'))).toEqual({ 'text/plain': '42' });
  expect(resultOf(await client.execute('current + 1'))).toEqual({ 'text/plain': '6' });
  const printed = await client.execute('console.log("hello, world")');
  expect(streamText(printed)).toBe('hello, world\n');
  // Cell ids such as `start` and `end` are in every example notebook: the source picks hello's.
  const cells = await runAllCells(client, path.join(examples, 'hello.ipynb'));
  expect(streamText(cells[cells.length - 1])).toContain('done: out = 3');
  await client.close();
});

test('a message with a bad signature is dropped: no reply, nothing runs', async () => {
  const id = hello.send(
    hello.shellSocket,
    'execute_request',
    { code: 'globalThis.__cellflowForged = true;', silent: false, store_history: true },
    {},
    'f'.repeat(64),
  );
  await expect(hello.waitReply(id, 1500)).rejects.toThrow(/no reply/);
  expect(hello.messagesFor(id)).toEqual([]);
  const probe = await hello.execute('typeof (globalThis as any).__cellflowForged');
  expect(resultOf(probe)).toEqual({ 'text/plain': "'undefined'" });
  expect(hello.stderr).toContain('invalid HMAC signature');
});

test('SIGINT stops a blocking cell and interrupt_request an awaiting one; the kernel goes on', async () => {
  const client = await start();
  // The cell writes a marker file once it is running, then blocks the event loop.
  const marker = path.join(home, 'looping');
  const pending = client.execute(
    `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\nwhile (true) {}`,
    {},
    90_000,
  );
  for (let i = 0; i < 600 && !fs.existsSync(marker); i++) {
    await delay(100);
  }
  expect(fs.existsSync(marker)).toBe(true);
  await delay(200);
  client.child.kill('SIGINT');
  const stopped = await pending;
  expect(stopped.reply.content.status).toBe('error');
  expect(String(errorOf(stopped)!.content.evalue)).toMatch(/interrupted/i);

  const waiting = client.execute('await new Promise(() => {});');
  await delay(1000);
  const interrupt = await client.request('interrupt_request', {}, { channel: 'control' });
  expect(interrupt.reply.content.status).toBe('ok');
  expect((await waiting).reply.content.status).toBe('error');
  expect(resultOf(await client.execute('1 + 1'))).toEqual({ 'text/plain': '2' });
  await client.close();
}, 120_000);

test('restart (shutdown and start again) clears the step state', async () => {
  const first = await start({ JPY_SESSION_NAME: 'hello.ipynb' });
  await first.execute('self.x = 0;', { tags: ['step:start', 'next:a', 'next:b'], cellId: 'start' });
  const shutdown = await first.request('shutdown_request', { restart: true }, { channel: 'control' });
  expect(shutdown.reply.content).toEqual({ status: 'ok', restart: true });
  await first.close();
  const second = await start({ JPY_SESSION_NAME: 'hello.ipynb' });
  const comm = await second.openComm('cellflow');
  const state = await second.commRequest(comm, { id: 's', op: 'interactive-state' });
  expect(state.final.result).toEqual({ steps: [] });
  const orphan = await second.execute('self.x += 2;', { tags: ['step:a', 'next:join'], cellId: 'a' });
  expect(String(errorOf(orphan)!.content.evalue)).toContain("parent step 'start', which has not run");
  await second.close();
});

test("saveInteractive stores a run; import from 'cellflow' reads it; Run displays richly; the comm serves it", async () => {
  await runAllCells(hello, path.join(examples, 'hello.ipynb'));
  const saved = await hello.execute(
    "import { Run } from 'cellflow';\nconst saved: any = await cellflow.saveInteractive();\nsaved",
  );
  expect(saved.reply.content.status).toBe('ok');
  const display = saved.iopub.find((m) => m.header.msg_type === 'display_data')!;
  const data = display.content.data as Record<
    string,
    { kind: string; run: { tags: string[]; flow: string; runId: string } } & string
  >;
  expect(data[CELLFLOW_MIMETYPE].kind).toBe('run');
  expect(data[CELLFLOW_MIMETYPE].run.tags).toEqual(['interactive']);
  expect(data['text/html']).toContain('succeeded');
  const status = await hello.execute('Run.get(saved.pathspec).status');
  expect(resultOf(status)).toEqual({ 'text/plain': "'succeeded'" });
  const pathspec = data[CELLFLOW_MIMETYPE].run.flow + '/' + data[CELLFLOW_MIMETYPE].run.runId;

  const comm = await hello.openComm('cellflow');
  const runs = await hello.commRequest(comm, { id: 'q1', op: 'runs', flow: 'hello' });
  expect((runs.final.result as unknown as RunsResult).runs.map((r) => `${r.flow}/${r.runId}`)).toContain(
    pathspec,
  );
  const none = await hello.commRequest(comm, { id: 'q1b', op: 'runs', flow: 'neverRan' });
  expect(none.final).toEqual({ id: 'q1b', ok: true, result: { runs: [] } });
  const detail = await hello.commRequest(comm, { id: 'q2', op: 'run-detail', pathspec });
  const join = (detail.final.result as unknown as RunDetailResult).tasks.find((t) => t.step === 'join')!;
  const artifact = await hello.commRequest(comm, {
    id: 'q3',
    op: 'artifact',
    pathspec: `${pathspec}/join/${join.taskId}`,
    name: 'out',
  });
  expect(artifact.final.result).toEqual({ kind: 'json', value: 3, truncated: false });
  const bad = await hello.commRequest(comm, { id: 'q4', op: 'run-detail', pathspec: 'hello/../x' });
  expect(bad.final).toMatchObject({ id: 'q4', ok: false });
});

test('the comm runs the notebook as a flow with the real CLI, streaming started/task/log events', async () => {
  const comm = await hello.openComm('cellflow');
  const run = await hello.commRequest(
    comm,
    { id: 'run1', op: 'run', notebook: 'hello.ipynb', maxWorkers: 2 },
    120_000,
  );
  expect(run.final).toMatchObject({ id: 'run1', ok: true, result: { status: 'succeeded' } });
  const events = run.all.filter((d) => 'event' in d);
  expect(events[0]).toMatchObject({ event: 'started' });
  const done = events
    .filter((e) => e.event === 'task' && (e.task as TaskStatusEvent).status === 'succeeded')
    .map((e) => (e.task as TaskStatusEvent).step);
  expect(done.sort()).toEqual(['a', 'b', 'end', 'join', 'start']);
  expect(events.some((e) => e.event === 'log' && String(e.line).includes('done: out = 3'))).toBe(true);
});

test('foreach: the body runs on element 0, or the one chosen with cellflow.useItem(i); the join gets each element run', async () => {
  const client = await start({ JPY_SESSION_NAME: 'foreach.ipynb' });
  const cells = await runAllCells(client, path.join(examples, 'foreach.ipynb'));
  expect(streamText(cells[2])).toContain('lr=0.001 ');
  expect(streamText(cells[4])).toContain('best learning rate: 0.001');
  await client.execute('cellflow.useItem(3)');
  const third = await client.execute('self.lr = self.input;\nself.index', {
    tags: ['step:train'],
    cellId: 'train',
  });
  expect(resultOf(third)).toEqual({ 'text/plain': '3' });
  const joined = await client.execute('inputs.map((i) => i.lr)', { tags: ['step:pick'], cellId: 'pick' });
  expect(resultOf(joined)).toEqual({ 'text/plain': '[ 0.001, 0.1 ]' });
  const tooFar = await client.execute('cellflow.useItem(6)');
  expect(tooFar.reply.content.status).toBe('ok');
  const out = await client.execute('self.lr = self.input;', { tags: ['step:train'], cellId: 'train' });
  expect(String(errorOf(out)!.content.evalue)).toBe(
    "cellflow.useItem(6): self.grid of step 'start' has 6 elements.",
  );
  await client.close();
});

test('values the parameters cell sets are what the entry step starts from', async () => {
  const set = await hello.execute('const speed = 9;\nconst label = "fast";', {
    tags: ['parameters'],
    cellId: 'p-new',
  });
  expect(set.reply.content.status).toBe('ok');
  const start = await hello.execute('self.x = 0;\n[self.speed, self.label]', {
    tags: ['step:start', 'next:a', 'next:b'],
    cellId: 'start',
  });
  expect(resultOf(start)).toEqual({ 'text/plain': "[ 9, 'fast' ]" });
  const branch = await hello.execute('self.x += 2;\nself.speed', {
    tags: ['step:a', 'next:join'],
    cellId: 'a',
  });
  expect(resultOf(branch)).toEqual({ 'text/plain': '9' });
});
