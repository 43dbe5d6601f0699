'use strict';
// Parity side by side: four of the parity suite's cases (test/parity/cases.ts) run with cellflow and
// their Metaflow twins (bench/peers/parity/*.py) run with Metaflow itself; the results each check
// reads are compared. Then a 1,000-element foreach whose last element fails is resumed, and the
// resume's wall time and the number of body tasks it re-ran are reported.
//
//   node bench/parity.js [--no-metaflow] [--elements 1000]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const { assertBuilt, REPO } = require('./lib/cellflow');
const { measure, check } = require('./lib/proc');

assertBuilt();
// The parity cases are TypeScript: load them with cellflow's own .ts loader (local-typescript.ts).
require(path.join(REPO, 'dist', 'src', 'runtime', 'loading', 'local-typescript.js')).enableLocalTypeScript();
const { CASES } = require(path.join(REPO, 'test', 'parity', 'cases.ts'));
const { placeOnGraph } = require(path.join(REPO, 'test', 'parity', 'formatter.ts'));
const { Datastore } = require(path.join(REPO, 'dist', 'src', 'runtime', 'datastore', 'datastore.js'));

const VENV_PYTHON = path.join(__dirname, '.venv', 'bin', 'python');
const CLI = path.join(REPO, 'bin', 'cellflow.js');

/** Case, graph, Metaflow twin, and what each side's run yields for comparison. */
const SIDE_BY_SIDE = [
  {
    name: 'basic_foreach',
    graph: 'foreach',
    twin: 'basic_foreach.py',
    cellflow: (ds, run) => byIndex(ds, run, 'foreach_inner_second').map((t) => value(ds, t, 'my_input')),
    metaflow: "[t.data.my_input for t in sorted(run['foreach_inner_second'], key=lambda t: t.index)]",
  },
  {
    name: 'merge_artifacts',
    graph: 'branch',
    twin: 'merge_artifacts.py',
    cellflow: (ds, run) => {
      const end = tasks(ds, run, 'end')[0];
      return [
        value(ds, end, 'non_modified_passdown'),
        value(ds, end, 'modified_to_same_value'),
        'ignore_me' in end.artifacts,
      ];
    },
    metaflow:
      "[run['end'].task.data.non_modified_passdown, run['end'].task.data.modified_to_same_value, " +
      "'ignore_me' in run['end'].task]",
  },
  {
    name: 'nested_foreach',
    graph: 'nested_foreach',
    twin: 'nested_foreach.py',
    cellflow: (ds, run) =>
      tasks(ds, run, 'foreach_inner')
        .map((t) => value(ds, t, 'combo'))
        .sort(),
    metaflow: "sorted(t.data.combo for t in run['foreach_inner'])",
  },
  {
    name: 'catch_retry',
    graph: 'linear',
    twin: 'catch_retry.py',
    cellflow: (ds, run) => {
      const [start, a, end] = ['start', 'a', 'end'].map((s) => tasks(ds, run, s)[0]);
      return [
        value(ds, start, 'test_attempt'),
        'invisible' in start.artifacts,
        value(ds, a, 'retry_with_catch'),
        value(ds, end, 'here'),
        value(ds, end, 'end_ex').message,
      ];
    },
    metaflow:
      "[run['start'].task.data.test_attempt, 'invisible' in run['start'].task, run['a'].task.data.retry_with_catch, " +
      "run['end'].task.data.here, run['end'].task.data.end_ex.exception]",
  },
];

const tasks = (ds, pathspec, step) => {
  const [flow, runId] = pathspec.split('/');
  return ds.listTasks(flow, runId).filter((t) => t.step === step);
};
const byIndex = (ds, pathspec, step) =>
  tasks(ds, pathspec, step).sort((a, b) => a.foreachStack.at(-1).index - b.foreachStack.at(-1).index);
const value = (ds, task, name) => ds.loadArtifactSync(task.artifacts[name]);

async function cellflowRun(args, home, cwd, env = {}) {
  const idFile = path.join(cwd, `run-id-${Date.now()}`);
  const result = await measure(process.execPath, [CLI, ...args, '--run-id-file', idFile], {
    cwd,
    env: { CELLFLOW_HOME: home, CELLFLOW_RETRY_BACKOFF_MS: '10', ...env },
  });
  return { ...result, pathspec: fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '' };
}

async function sideBySide(work, withMetaflow) {
  const rows = [];
  for (const spec of SIDE_BY_SIDE) {
    const c = CASES.find((x) => x.name === spec.name);
    const dir = path.join(work, spec.name);
    fs.mkdirSync(dir, { recursive: true });
    const flow = `parity_${spec.name}`;
    const notebook = path.join(dir, `${flow}.ipynb`);
    fs.writeFileSync(
      notebook,
      placeOnGraph(c.steps, spec.graph, { flow, parameters: c.parameters, prelude: c.prelude }).notebook,
    );
    const home = path.join(work, 'cellflow-store');
    const run = check(
      await cellflowRun(['run', notebook, '--max-workers', '2'], home, dir),
      `cellflow run ${spec.name}`,
    );
    const ours = spec.cellflow(Datastore.open({ root: home }), run.pathspec);
    const row = { case: spec.name, graph: spec.graph, cellflowMs: run.wallMs, cellflow: ours };
    if (withMetaflow) {
      const mfHome = path.join(work, 'metaflow', spec.name);
      fs.mkdirSync(mfHome, { recursive: true });
      const env = {
        METAFLOW_DEFAULT_DATASTORE: 'local',
        METAFLOW_DEFAULT_METADATA: 'local',
        METAFLOW_DATASTORE_SYSROOT_LOCAL: mfHome,
        METAFLOW_HOME: mfHome,
        USERNAME: 'bench',
      };
      const twin = path.join(__dirname, 'peers', 'parity', spec.twin);
      const mf = check(
        await measure(VENV_PYTHON, [twin, '--no-pylint', 'run', '--max-workers', '2'], { cwd: mfHome, env }),
        `metaflow ${spec.twin}`,
      );
      const read = check(
        await measure(
          VENV_PYTHON,
          [
            '-c',
            'import json, sys\nfrom metaflow import Flow, namespace\nnamespace(None)\n' +
              `run = Flow(sys.argv[1]).latest_run\nprint(json.dumps(${spec.metaflow}))`,
            flowClass(twin),
          ],
          { cwd: mfHome, env },
        ),
        `reading ${spec.twin}'s run`,
      );
      row.metaflowMs = mf.wallMs;
      row.metaflow = JSON.parse(read.stdout.trim().split('\n').pop());
      row.same = JSON.stringify(row.metaflow) === JSON.stringify(ours);
    }
    rows.push(row);
  }
  return rows;
}

function flowClass(file) {
  return /class (\w+)\(FlowSpec\)/.exec(fs.readFileSync(file, 'utf8'))[1];
}

async function wideResume(work, elements) {
  const dir = path.join(work, 'wide');
  fs.mkdirSync(dir, { recursive: true });
  const last = elements - 1;
  const cells = [
    ['step:start', 'foreach:items', `self.items = Array.from({ length: ${elements} }, (_, i) => i);`],
    [
      'step:body',
      `if (self.input === ${last} && process.env.FAIL_LAST) throw new Error('the last element fails');\nself.square = self.input * self.input;`,
    ],
    ['step:join', 'self.total = inputs.reduce((sum, i) => sum + i.square, 0);'],
    ['step:end', ''],
  ];
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
    },
    cells: cells.map(([...parts], i) => {
      const source = parts.pop();
      return {
        cell_type: 'code',
        id: `c${i}`,
        metadata: { tags: parts },
        source,
        outputs: [],
        execution_count: null,
      };
    }),
  };
  const notebook = path.join(dir, 'wide_resume.ipynb');
  fs.writeFileSync(notebook, JSON.stringify(nb, null, 1));
  const home = path.join(work, 'wide-store');
  const failed = await cellflowRun(['run', notebook, '--max-workers', '2', '-q'], home, dir, {
    FAIL_LAST: '1',
  });
  if (failed.code !== 1) {
    throw new Error(`the first run should fail:\n${failed.stdout}${failed.stderr}`);
  }
  const resumed = check(
    await cellflowRun(['resume', failed.pathspec, '--max-workers', '2', '-q'], home, dir),
    'cellflow resume',
  );
  const ds = Datastore.open({ root: home });
  const bodies = tasks(ds, resumed.pathspec, 'body');
  return {
    elements,
    firstRunMs: failed.wallMs,
    resumeMs: resumed.wallMs,
    bodyTasks: bodies.length,
    bodyTasksRerun: bodies.filter((t) => !t.reusedFrom).length,
    total: value(ds, tasks(ds, resumed.pathspec, 'join')[0], 'total'),
  };
}

async function main() {
  const { values } = parseArgs({
    options: { 'no-metaflow': { type: 'boolean' }, elements: { type: 'string', default: '1000' } },
  });
  const withMetaflow = !values['no-metaflow'];
  if (withMetaflow && !fs.existsSync(VENV_PYTHON)) {
    throw new Error(
      `Metaflow is not installed: python3 -m venv bench/.venv && bench/.venv/bin/pip install metaflow (or --no-metaflow)`,
    );
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-parity-'));
  try {
    const rows = await sideBySide(work, withMetaflow);
    for (const row of rows) {
      const verdict = row.same === undefined ? '' : row.same ? 'same results' : 'DIFFERENT results';
      console.log(
        `${row.case} (${row.graph}): cellflow ${(row.cellflowMs / 1000).toFixed(1)} s` +
          (withMetaflow ? `, Metaflow ${(row.metaflowMs / 1000).toFixed(1)} s: ${verdict}` : '') +
          `\n  cellflow: ${JSON.stringify(row.cellflow)}` +
          (withMetaflow ? `\n  Metaflow: ${JSON.stringify(row.metaflow)}` : ''),
      );
    }
    const wide = await wideResume(work, Number(values.elements));
    console.log(
      `resume of a ${wide.elements}-element foreach whose last element failed: ${(wide.resumeMs / 1000).toFixed(2)} s ` +
        `(first run ${(wide.firstRunMs / 1000).toFixed(1)} s); body tasks re-run: ${wide.bodyTasksRerun} of ${wide.bodyTasks}`,
    );
    if (rows.some((r) => r.same === false) || wide.bodyTasksRerun !== 1) {
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
