// The kernel over real ZeroMQ, started from the kernelspec the CLI installs: step cells with their
// tags as JupyterLab sends them, errors at the cell's line, interrupt, restart, signatures.
import * as fs from 'fs';
import * as path from 'path';
import { JupyterClient, streamText } from '../helpers/jupyter-client';
import { copyExamples, installKernel, runAllCells, tempDir } from './kernel-helpers';

let kernelspec: string;
let prefix: string;
let examples: string;
let home: string;
const clients: JupyterClient[] = [];

async function start(env: NodeJS.ProcessEnv = {}): Promise<JupyterClient> {
  const client = await JupyterClient.start(kernelspec, examples, { CELLFLOW_HOME: home, ...env });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  prefix = tempDir('cf-kernel-prefix-');
  kernelspec = await installKernel(prefix);
  examples = copyExamples();
  home = tempDir('cf-kernel-home-');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const dir of [prefix, examples, home]) fs.rmSync(dir, { recursive: true, force: true });
});

test('hello.ipynb cell by cell with tags: the join sees both branches, self.out === 3', async () => {
  const client = await start({ JPY_SESSION_NAME: 'hello.ipynb' });
  const outcomes = await runAllCells(client, path.join(examples, 'hello.ipynb'));
  expect(streamText(outcomes[outcomes.length - 1])).toContain('done: out = 3');
  const check = await client.execute('self.out', { tags: [], cellId: 'end' });
  expect(check.iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data).toEqual({
    'text/plain': '3',
  });
});
