// The kernel against a datastore on S3 (a real versitygw server): with CELLFLOW_DATASTORE=s3://...
// saveInteractive writes the interactive run to the bucket, the comm's `runs` and `run-detail` read
// runs from it, and a run the comm starts records into the datastore the request names (its logs
// read back through the comm).
import * as fs from 'fs';
import * as path from 'path';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { LogsResult, RunDetailResult, RunsResult } from '../../src/core/protocol';
import { freshLocation } from '../helpers/backends';
import { JupyterClient } from '../helpers/jupyter-client';
import { s3ServerForFile } from '../helpers/s3-server';
import { copyExamples, installKernel, runAllCells, tempDir } from './kernel-helpers';

jest.setTimeout(120_000);

const s3 = s3ServerForFile();
let prefix: string;
let examples: string;
let home: string;
let location: string;
let client: JupyterClient;

beforeAll(async () => {
  prefix = tempDir('cf-kernel-s3-prefix-');
  const kernelspec = await installKernel(prefix);
  examples = copyExamples();
  // A local folder the kernel must not write to: CELLFLOW_DATASTORE wins over it.
  home = tempDir('cf-kernel-s3-home-');
  location = freshLocation('s3', s3.server, 'kernel');
  client = await JupyterClient.start(kernelspec, examples, {
    ...s3.server.env,
    CELLFLOW_HOME: home,
    CELLFLOW_DATASTORE: location,
    JPY_SESSION_NAME: 'hello.ipynb',
  });
});

afterAll(async () => {
  await client?.close();
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('saveInteractive writes the interactive run to S3; the comm lists it and serves its detail from S3', async () => {
  await runAllCells(client, path.join(examples, 'hello.ipynb'));
  const saved = await client.execute('const saved: any = await cellflow.saveInteractive();\nsaved.pathspec');
  expect(saved.reply.content.status).toBe('ok');
  const result = saved.iopub.find((m) => m.header.msg_type === 'execute_result')!;
  const pathspec = String((result.content.data as Record<string, string>)['text/plain']).replace(/'/g, '');
  const [flow, runId] = pathspec.split('/');

  // In the bucket, read by a datastore of this process; nothing in the local folder.
  const store = Datastore.open({ root: location });
  expect(store.readRun(flow, runId)).toMatchObject({ status: 'succeeded', tags: ['interactive'] });
  const join = store.listTasks(flow, runId, 'join')[0];
  expect(store.loadArtifactSync(join.artifacts.out)).toBe(3);
  expect(fs.readdirSync(home)).toEqual([]);

  const comm = await client.openComm('cellflow');
  const runs = await client.commRequest(comm, { id: 's1', op: 'runs', flow });
  expect((runs.final.result as unknown as RunsResult).runs.map((r) => `${r.flow}/${r.runId}`)).toEqual([
    pathspec,
  ]);
  const detail = await client.commRequest(comm, { id: 's2', op: 'run-detail', pathspec });
  const tasks = (detail.final.result as unknown as RunDetailResult).tasks;
  expect(tasks.map((t) => t.step).sort()).toEqual(['a', 'b', 'end', 'join', 'start']);
  const artifact = await client.commRequest(comm, {
    id: 's3',
    op: 'artifact',
    pathspec: `${pathspec}/join/${join.taskId}`,
    name: 'out',
  });
  expect(artifact.final.result).toEqual({ kind: 'json', value: 3, truncated: false });
});

test('a run the comm starts with an s3:// datastore records there, and the comm reads it back', async () => {
  const other = freshLocation('s3', s3.server, 'kernel-run');
  const comm = await client.openComm('cellflow');
  const run = await client.commRequest(
    comm,
    { id: 'r1', op: 'run', notebook: 'hello.ipynb', maxWorkers: 2, datastore: other },
    120_000,
  );
  expect(run.final).toMatchObject({ id: 'r1', ok: true, result: { status: 'succeeded' } });
  const pathspec = (run.final.result as { pathspec: string }).pathspec;
  const [flow, runId] = pathspec.split('/');
  expect(Datastore.open({ root: other }).readRun(flow, runId).status).toBe('succeeded');
  expect(Datastore.open({ root: location }).listRuns(flow)).not.toContain(runId);
  const detail = await client.commRequest(comm, { id: 'r2', op: 'run-detail', pathspec, datastore: other });
  const result = detail.final.result as unknown as RunDetailResult;
  expect(result.run.status).toBe('succeeded');
  const end = result.tasks.find((t) => t.step === 'end')!;
  const logs = await client.commRequest(comm, {
    id: 'r3',
    op: 'logs',
    pathspec: `${pathspec}/end/${end.taskId}`,
    datastore: other,
  });
  expect((logs.final.result as unknown as LogsResult).stdout).toContain('done: out = 3');
});
