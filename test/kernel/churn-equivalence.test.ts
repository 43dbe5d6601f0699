// What the notebook computes is what `cellflow run` computes: churn.ipynb run cell by cell in the
// kernel (tags sent as JupyterLab sends them), saved with cellflow.saveInteractive(), has the same
// artifacts, byte for byte (sha256 of the encoded values), as a flow run of the same notebook.
import * as fs from 'fs';
import * as path from 'path';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { invokeEndpoint } from '../../src/runtime/serve/invoke';
import { loadServedRun } from '../../src/runtime/serve/served-run';
import { CELLFLOW_MIMETYPE, type CellflowDisplay } from '../../src/core/protocol';
import { cellflow } from '../helpers/cli';
import { JupyterClient } from '../helpers/jupyter-client';
import { schemaErrors } from '../helpers/run-schema';
import { copyExamples, installKernel, runAllCells, tempDir } from './kernel-helpers';

let prefix: string;
let examples: string;
let home: string;
let client: JupyterClient | undefined;

beforeAll(async () => {
  prefix = tempDir('cf-churn-prefix-');
  examples = copyExamples();
  home = tempDir('cf-churn-home-');
});

afterAll(async () => {
  await client?.close();
  for (const dir of [prefix, examples, home]) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function artifactHashes(datastore: Datastore, pathspec: string): Record<string, Record<string, string>> {
  const [flow, runId] = pathspec.split('/');
  const byStep: Record<string, Record<string, string>> = {};
  for (const task of datastore.listTasks(flow, runId)) {
    byStep[task.step] = Object.fromEntries(
      Object.entries(task.artifacts).map(([name, ref]) => [name, ref.sha256]),
    );
  }
  return byStep;
}

test('churn.ipynb: interactive artifacts equal those of cellflow run (sha256 per artifact, every step)', async () => {
  const kernelspec = await installKernel(prefix);
  client = await JupyterClient.start(kernelspec, examples, {
    CELLFLOW_HOME: home,
    JPY_SESSION_NAME: 'churn.ipynb',
  });
  await runAllCells(client, path.join(examples, 'churn.ipynb'));
  const saved = await client.execute('await cellflow.saveInteractive()');
  const display = saved.iopub.find((m) => m.header.msg_type === 'display_data');
  const shown = (display!.content.data as Record<string, CellflowDisplay>)[CELLFLOW_MIMETYPE];
  if (shown.kind !== 'run') {
    throw new Error('expected a run display');
  }
  const interactive = `${shown.run.flow}/${shown.run.runId}`;

  const runIdFile = path.join(home, 'run-id');
  const flowRun = await cellflow(['run', 'churn.ipynb', '--run-id-file', runIdFile, '-q'], {
    cwd: examples,
    env: { CELLFLOW_HOME: home },
    timeoutMs: 120_000,
  });
  expect(flowRun.code).toBe(0);
  const pathspec = fs.readFileSync(runIdFile, 'utf8').trim();

  const datastore = Datastore.open({ root: home });
  const fromKernel = artifactHashes(datastore, interactive);
  const fromRun = artifactHashes(datastore, pathspec);
  expect(Object.keys(fromKernel).sort()).toEqual([
    'centroid',
    'choose',
    'end',
    'logistic',
    'prepare',
    'start',
  ]);
  expect(fromKernel).toEqual(fromRun);
  const record = datastore.readRun(shown.run.flow, shown.run.runId);
  expect(record.tags).toEqual(['interactive']);
  expect(record.status).toBe('succeeded');
  expect(schemaErrors('run', record)).toEqual([]);
  for (const task of datastore.listTasks(shown.run.flow, shown.run.runId)) {
    expect(schemaErrors('task', task)).toEqual([]);
  }
  // The kernel records the data a step read as the flow run does: the same file, size and hash.
  const inputsOf = (pathspec: string) => {
    const [flow, runId] = pathspec.split('/');
    const start = datastore.listTasks(flow, runId).find((t) => t.step === 'start')!;
    return start.inputs;
  };
  const csv = fs.statSync(path.join(examples, 'data', 'churn.csv')).size;
  expect(inputsOf(interactive)).toEqual([
    expect.objectContaining({ path: 'data/churn.csv', bytes: csv, stored: true }),
  ]);
  expect(inputsOf(interactive)).toEqual(inputsOf(pathspec));

  // The endpoint called in the kernel, against the interactive artifacts, answers what the flow
  // run's served endpoint answers (the run's own module and artifacts, loaded from the datastore).
  const request = { tenure_months: 5, monthly_charges: 95, support_calls: 3, contract_monthly: 1 };
  const called = await client.execute(
    `console.log(JSON.stringify(await cellflow.callEndpoint('predict', ${JSON.stringify(request)})))`,
  );
  expect(called.reply.content.status).toBe('ok');
  const printed = called.iopub
    .filter((m) => m.header.msg_type === 'stream')
    .map((m) => m.content.text as string)
    .join('');
  const [flow, runId] = pathspec.split('/');
  const served = loadServedRun(datastore, flow, runId);
  const answer = await invokeEndpoint(served.endpoints.get('predict')!, served.artifacts, request);
  expect(answer.status).toBe(200);
  expect(JSON.parse(printed)).toEqual(answer.body);
  // A request the server would refuse is refused the same way.
  const refused = await client.execute(`await cellflow.callEndpoint('predict', { tenure_months: 5 })`);
  expect(refused.reply.content).toMatchObject({
    status: 'error',
    evalue: expect.stringContaining("→ 400: request field 'monthly_charges' is missing"),
  });
}, 150_000);
