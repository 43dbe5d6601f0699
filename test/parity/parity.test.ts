// The parity suite: Metaflow's core tests and tutorials (cases.ts), placed on Metaflow's graphs
// (graphs.ts) as its formatter does, written as notebooks, run with the real `cellflow run` (and
// `cellflow resume` for the RESUME tests), then checked as Metaflow's check_results checks. All runs
// happen up front, a few at a time, so the suite's time is the runs' and not one process after another.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, type CliResult } from '../helpers/cli';
import { PYTHON } from '../helpers/python-peers';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { CASES, type ParityCase } from './cases';
import { Checker } from './checker';
import { placeOnGraph } from './formatter';

jest.setTimeout(600_000);

interface Outcome {
  id: string;
  graph: string;
  notebook: string;
  runs: (CliResult & { pathspec: string })[];
  error?: string;
}

let work: string;
let home: string;
const outcomes = new Map<string, Outcome>();
const combos = CASES.flatMap((c) => c.graphs.map((graph) => ({ c, graph, id: `${c.name} on ${graph}` })));

async function runCase(c: ParityCase, graph: string, id: string): Promise<Outcome> {
  const flow = `${c.name}_${graph}`.replace(/[^A-Za-z0-9_]/g, '_');
  const dir = path.join(work, flow);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(c.files ?? {})) {
    fs.writeFileSync(path.join(dir, name), text);
  }
  const placed = placeOnGraph(c.steps, graph, { parameters: c.parameters, prelude: c.prelude, flow });
  if (!placed.valid) {
    throw new Error(`${id}: a required step has no node in graph ${graph}`);
  }
  const notebook = path.join(dir, `${flow}.ipynb`);
  fs.writeFileSync(notebook, placed.notebook);
  const idFile = path.join(dir, 'run-id');
  const env = {
    CELLFLOW_HOME: home,
    CELLFLOW_RETRY_BACKOFF_MS: '10',
    CELLFLOW_USER: 'tester',
    RUN_ID_FILE: idFile,
    ...c.env,
  };
  const invoke = async (args: string[]) => {
    fs.rmSync(idFile, { force: true });
    const result = await cellflow([...args, '--run-id-file', idFile, '--max-workers', '2'], {
      cwd: dir,
      env,
      timeoutMs: 240_000,
    });
    const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
    return { ...result, pathspec };
  };
  const first = await invoke(['run', notebook, ...(c.runArgs ?? [])]);
  const runs = [first];
  if (c.resume && first.pathspec) {
    runs.push(await invoke(['resume', first.pathspec, ...(c.resume.from ? ['--from', c.resume.from] : [])]));
  }
  return { id, graph, notebook, runs };
}

beforeAll(async () => {
  work = tempDir('cellflow-parity-');
  home = path.join(work, 'store');
  const queue = [...combos];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { c, graph, id } = next;
      try {
        outcomes.set(id, await runCase(c, graph, id));
      } catch (error) {
        outcomes.set(id, { id, graph, notebook: '', runs: [], error: (error as Error).message });
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
});

afterAll(() => removeTempDir(work));

test('every generated notebook passes nbformat.validate', () => {
  const notebooks = [...outcomes.values()].map((o) => o.notebook).filter(Boolean);
  expect(notebooks).toHaveLength(combos.length);
  const script = [
    'import sys, nbformat',
    'for f in sys.argv[1:]:',
    '    nbformat.validate(nbformat.read(f, as_version=4))',
    'print(len(sys.argv) - 1)',
  ].join('\n');
  expect(execFileSync(PYTHON, ['-c', script, ...notebooks], { encoding: 'utf8' }).trim()).toBe(
    String(notebooks.length),
  );
});

describe.each(combos)('$id', ({ c, id }) => {
  test(`${c.shouldFail || c.resume ? 'fails, then ' : ''}${c.resume ? 'resumes and ' : ''}passes Metaflow's checks`, () => {
    const outcome = outcomes.get(id)!;
    expect(outcome.error).toBeUndefined();
    const [first, resumed] = outcome.runs;
    const output = outcome.runs.map((r) => r.stdout + r.stderr).join('\n');
    if (c.shouldFail || c.resume) {
      expect({ code: first.code, output }).toMatchObject({ code: 1 });
    } else {
      expect({ code: first.code, output }).toMatchObject({ code: 0 });
    }
    if (c.resume) {
      expect({ code: resumed?.code, output }).toMatchObject({ code: 0 });
    }
    const final = c.resume ? resumed : first;
    expect(final.pathspec).not.toBe('');
    const datastore = Datastore.open({ root: home });
    const checker = new Checker(datastore, final.pathspec, outcome.graph);
    const origin = c.resume ? new Checker(datastore, first.pathspec, outcome.graph) : undefined;
    c.check?.(checker, origin);
  });
});
