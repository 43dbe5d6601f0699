#!/usr/bin/env node
// Slurm engine figures (issue #17), on the real one-node test cluster (test/helpers/slurm-cluster.ts):
//  1. wall time per task of a 50-task foreach, `cellflow run --engine slurm` against the local runtime;
//  2. submit time of a 1,000-task foreach: building the job array and `sbatch` accepting it.
// Usage: npm run build && node bench/slurm.js [--submit-only]
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const ts = require('typescript');

// The cluster helper is TypeScript; load it through the compiler, as jest does.
require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(out.outputText, filename);
};
const REPO = path.resolve(__dirname, '..');
const { startSlurmCluster } = require(path.join(REPO, 'test/helpers/slurm-cluster.ts'));
const { slurmJob } = require(path.join(REPO, 'dist/src/runtime/engines/slurm-script.js'));

function notebook(dir, count) {
  const cell = (tags, source) => ({
    cell_type: 'code',
    id: tags[0].replace(':', '-'),
    metadata: { tags },
    source,
    outputs: [],
    execution_count: null,
  });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'cellflow', display_name: 'cellflow', language: 'typescript' } },
    cells: [
      cell(['step:start', 'foreach:items'], `self.items = Array.from({ length: ${count} }, (_, i) => i);`),
      cell(['step:body'], 'self.x = self.input;'),
      cell(['step:gather'], 'self.n = inputs.length;'),
      cell(['step:end'], ''),
    ],
  };
  const file = path.join(dir, `fan${count}.ipynb`);
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

function timed(args, env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [path.join(REPO, 'bin/cellflow.js'), ...args], {
    env,
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`cellflow ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return seconds;
}

(async () => {
  const cluster = await startSlurmCluster();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-slurm-'));
  try {
    const env = { ...process.env, ...cluster.env, CELLFLOW_HOME: path.join(work, 'ds'), CI: '1' };
    if (!process.argv.includes('--submit-only')) {
      const nb = notebook(work, 50);
      timed(['run', nb, '-q'], env); // warm the compile cache
      const local = timed(['run', nb, '-q'], env);
      console.log(
        `50-task foreach, local: ${local.toFixed(2)} s (${((local / 50) * 1000).toFixed(0)} ms/task)`,
      );
      const slurm = timed(['run', nb, '-q', '--engine', 'slurm'], env);
      console.log(
        `50-task foreach, slurm: ${slurm.toFixed(2)} s (${((slurm / 50) * 1000).toFixed(0)} ms/task)`,
      );
    }

    const tasks = Array.from({ length: 1000 }, (_, i) => ({
      taskId: String(i + 2),
      inputPaths: ['start/1'],
      splitIndex: i,
    }));
    const start = process.hrtime.bigint();
    const job = slurmJob({
      run: 'Bench/1700000000000-000000000000',
      step: 'body',
      attempt: 0,
      tasks,
      options: { retry: 0, resources: {}, env: {} },
      cellflow: ['/bin/true'],
      datastore: path.join(work, 'ds'),
      logDir: work,
      // Held, so the measurement is the submission alone; cancelled below.
    });
    const submitted = spawnSync('sbatch', [...job.args, '--hold'], {
      input: job.script,
      env,
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (submitted.status !== 0) {
      throw new Error(submitted.stderr);
    }
    spawnSync('scancel', [submitted.stdout.trim()], { env });
    console.log(
      `1,000-task foreach submitted as one job array in ${ms.toFixed(0)} ms (script ${job.script.length} bytes)`,
    );
  } finally {
    await cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
