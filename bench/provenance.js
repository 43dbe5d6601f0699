#!/usr/bin/env node
'use strict';
// `node bench/provenance.js [--runs N]`: what recording a run's provenance (source snapshot, lockfile
// and drift, environment) costs. Each capture runs in a fresh Node process, as the provenance thread
// of a run does (isomorphic-git cold), on (1) a small git project (the churn example, no packages)
// and (2) a clone of this repository with its node_modules (hundreds of locked packages, ~270
// tracked files). Target (issue 4): the capture runs beside the run's tasks; on its own it should
// stay under 150 ms on the small project. Prints wall and CPU milliseconds, median of N.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const { assertBuilt, REPO } = require('./lib/cellflow');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);

// One capture in a fresh process: prints {wallMs, cpuMs} as JSON.
const CHILD = `
const started = process.hrtime.bigint();
const cpu = process.cpuUsage();
require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/repro/capture/git-loader'))}).prepareFastGitLoad();
const { Datastore } = require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/datastore/datastore'))});
const { captureRunProvenance } = require(${JSON.stringify(path.join(REPO, 'dist/src/runtime/repro/capture/provenance'))});
const fs = require('fs');
const [notebook, store] = process.argv.slice(1);
const ds = Datastore.open({ root: store });
captureRunProvenance(ds, { flow: 'bench', runId: ds.newRunId(), inputPath: notebook,
  inputText: fs.readFileSync(notebook, 'utf8'), moduleFilename: notebook.replace(/\\.ipynb$/, '.flow.ts'), typescript: '// bench' })
  .then(({ provenance: p }) => {
    const used = process.cpuUsage(cpu);
    console.log(JSON.stringify({ wallMs: Number(process.hrtime.bigint() - started) / 1e6,
      cpuMs: (used.user + used.system) / 1000, packages: p.lockfile.packages, dirty: (p.source.git || {}).dirty?.length }));
  });
`;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, notebook, store) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['-e', CHILD, notebook, store], { encoding: 'utf8' });
    samples.push(JSON.parse(out.trim().split('\n').pop()));
  }
  const wall = median(samples.map((s) => s.wallMs));
  const cpu = median(samples.map((s) => s.cpuMs));
  console.log(
    `${label.padEnd(44)} wall ${wall.toFixed(0).padStart(5)} ms   cpu ${cpu.toFixed(0).padStart(5)} ms   (${samples[0].packages} locked packages)`,
  );
}

assertBuilt();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-provenance-'));
try {
  const git = (dir, ...args) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@b',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@b',
      },
    });
  const small = path.join(work, 'small');
  fs.mkdirSync(path.join(small, 'data'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'examples/churn.ipynb'), path.join(small, 'churn.ipynb'));
  fs.copyFileSync(path.join(REPO, 'examples/data/churn.csv'), path.join(small, 'data/churn.csv'));
  fs.writeFileSync(path.join(small, 'package.json'), '{"name":"small","version":"1.0.0"}\n');
  fs.writeFileSync(
    path.join(small, 'package-lock.json'),
    '{"name":"small","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"small","version":"1.0.0"}}}\n',
  );
  git(small, 'init', '-q');
  git(small, 'add', '-A');
  git(small, 'commit', '-q', '-m', 'small');
  const clone = path.join(work, 'cellflow');
  git(work, 'clone', '-q', REPO, clone);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));

  console.log(
    `provenance capture, fresh process each, median of ${RUNS} (${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})`,
  );
  measure(
    'small git project (churn, no packages)',
    path.join(small, 'churn.ipynb'),
    path.join(work, 'store'),
  );
  measure(
    'this repository (examples/churn.ipynb)',
    path.join(clone, 'examples/churn.ipynb'),
    path.join(work, 'store'),
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
