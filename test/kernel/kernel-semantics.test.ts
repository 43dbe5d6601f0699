// The kernel shares the runtime's step semantics (issue #13): `current`'s new fields, read-only
// parameters, mergeArtifacts that is atomic and refuses a non-join, `inputs.STEP`, a foreach over a
// Set, and a step whose comment says "inputs" staying a plain step. Real kernel over ZeroMQ.
import * as fs from 'fs';
import * as path from 'path';
import { errorOf, JupyterClient, streamText, type Outcome } from '../helpers/jupyter-client';
import { installKernel, runAllCells, tempDir } from './kernel-helpers';

jest.setTimeout(120_000);

let prefix: string;
let dir: string;
let home: string;
let client: JupyterClient | undefined;

const cell = (id: string, tags: string[], source: string) => ({
  cell_type: 'code',
  id,
  metadata: { tags },
  source,
  outputs: [],
  execution_count: null,
});

beforeAll(async () => {
  prefix = tempDir('cf-ksem-prefix-');
  dir = tempDir('cf-ksem-nb-');
  home = tempDir('cf-ksem-home-');
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
    },
    cells: [
      cell('params', ['parameters'], 'const rate = 0.5; // how fast'),
      cell(
        'start',
        ['step:start', 'foreach:colours'],
        "self.colours = new Set(['red', 'blue']);\nself.same = 1;",
      ),
      cell(
        'body',
        ['step:body'],
        '// this comment mentions inputs\nself.colour = self.input;\nself.differ = self.index;',
      ),
      cell(
        'join',
        ['step:join'],
        [
          'const errors: string[] = [];',
          'try { mergeArtifacts(inputs); } catch (e) { errors.push((e as Error).message); }',
          "errors.push(String('same' in self));",
          'self.errors = errors;',
          'self.byName = inputs.body.colour;',
          'self.frames = current.foreachStack.length;',
        ].join('\n'),
      ),
      cell(
        'end',
        ['step:end'],
        [
          'let assign = "";',
          'try { self.rate = 1; } catch (e) { assign = (e as Error).message; }',
          'let outside = "";',
          'try { mergeArtifacts([]); } catch (e) { outside = (e as Error).message; }',
          'self.report = { assign, outside, names: current.parameterNames, ns: current.namespace.startsWith("user:"),',
          '  origin: current.originRunId, tags: current.tags };',
        ].join('\n'),
      ),
    ],
  };
  fs.writeFileSync(path.join(dir, 'sem.ipynb'), JSON.stringify(notebook, null, 1));
  const kernelspec = await installKernel(prefix);
  client = await JupyterClient.start(kernelspec, dir, { CELLFLOW_HOME: home, JPY_SESSION_NAME: 'sem.ipynb' });
});

afterAll(async () => {
  await client?.close();
  for (const d of [prefix, dir, home]) {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

const printed = (outcome: Outcome): any => JSON.parse(streamText(outcome).trim().split('\n').pop()!); // eslint-disable-line @typescript-eslint/no-explicit-any

test('the step variables are typed from the first cell on, before any cell has declared them', async () => {
  // The kernel's very first cells: `current` and `cellflow` have their types, so a typo is a compile error.
  const problem = (outcome: Outcome) =>
    streamText(outcome, 'stderr') + JSON.stringify(errorOf(outcome)?.content ?? {});
  const typo = await client!.execute('const field = current.noSuchField;', { cellId: 'scratch-1' });
  expect(typo.reply.content.status).toBe('error');
  expect(problem(typo)).toMatch(/noSuchField/);
  const wrong = await client!.execute("cellflow.useItem('first');", { cellId: 'scratch-2' });
  expect(wrong.reply.content.status).toBe('error');
  expect(problem(wrong)).toMatch(/not assignable to parameter of type 'number'/);
  // Types only: outside a step, reading `current` itself is an error that names the step to run.
  const typed = await client!.execute('const attempt: typeof current.attempt = 1;', { cellId: 'scratch-3' });
  expect(typed.reply.content.status).toBe('ok');
});

test('current, read-only parameters, mergeArtifacts and inputs.STEP in the kernel', async () => {
  const outcomes = await runAllCells(client!, path.join(dir, 'sem.ipynb'));
  for (const outcome of outcomes) {
    expect(errorOf(outcome)).toBeUndefined();
  }
  const source = (id: string) =>
    (
      JSON.parse(fs.readFileSync(path.join(dir, 'sem.ipynb'), 'utf8')).cells as {
        id: string;
        source: string;
      }[]
    ).find((c) => c.id === id)!.source;

  // The second element too, so the join has two inputs that disagree on `differ`.
  await client!.execute('cellflow.useItem(1)', { cellId: 'scratch' });
  const body = await client!.execute(
    source('body') + '\nconsole.log(JSON.stringify([self.colour, current.foreachStack]));',
    {
      tags: ['step:body'],
      cellId: 'body',
    },
  );
  expect(printed(body)).toEqual(['blue', [{ step: 'start', index: 1, count: 2, input: 'blue' }]]);
  const join = await client!.execute(
    source('join') + '\nconsole.log(JSON.stringify([self.errors, self.byName, inputs.length, self.frames]));',
    { tags: ['step:join'], cellId: 'join' },
  );
  expect(errorOf(join)).toBeUndefined();
  const [errors, byName, count, frames] = printed(join);
  expect(errors[0]).toMatch(/inputs disagree on 'colour', 'differ'; nothing was merged/);
  expect(errors[1]).toBe('false'); // atomic: `same` (on which they agree) was not merged either
  expect(byName).toBe('red');
  expect(count).toBe(2);
  expect(frames).toBe(0);

  const end = await client!.execute(source('end') + '\nconsole.log(JSON.stringify(self.report));', {
    tags: ['step:end'],
    cellId: 'end',
  });
  const report = printed(end);
  expect(report.assign).toMatch(/self\.rate is a parameter of the flow and is read-only/);
  expect(report.outside).toMatch(/mergeArtifacts can only be called in a join, and step 'end' is not one/);
  expect(report).toMatchObject({ names: ['rate'], ns: true, origin: null, tags: [] });
});
