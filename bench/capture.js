#!/usr/bin/env node
'use strict';
// `node bench/capture.js [--tasks 100] [--mb 200] [--repeat 3]`: what data-input capture adds to a
// run (issue #14). Times the churn example and a flow whose foreach tasks each read one large file,
// with CELLFLOW_CAPTURE_DATA=off (nothing hashed or stored) and all (the default), median of
// --repeat warm runs, each in its own datastore. Needs `npm run build`.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'bin', 'cellflow.js');
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100' },
    mb: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '3' },
  },
});
const tasks = Number(values.tasks);
const repeat = Number(values.repeat);

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Wall time of `cellflow run NB` in `home`, in seconds. */
function timeRun(notebook, home, mode) {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [CLI, 'run', notebook, '-q'], {
    cwd: path.dirname(notebook),
    env: { ...process.env, CELLFLOW_HOME: home, CELLFLOW_CAPTURE_DATA: mode },
    stdio: 'ignore',
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function measure(label, notebook, work) {
  const row = {};
  for (const mode of ['off', 'all']) {
    const home = path.join(work, `home-${label}-${mode}`);
    timeRun(notebook, home, mode); // warm: compile cache, git status, package hashes
    const times = [];
    for (let i = 0; i < repeat; i++) {
      times.push(timeRun(notebook, path.join(work, `h-${label}-${mode}-${i}`), mode));
    }
    row[mode] = median(times);
  }
  console.log(
    `${label}: capture off ${row.off.toFixed(2)} s, all ${row.all.toFixed(2)} s, added ${(row.all - row.off).toFixed(2)} s (median of ${repeat}, new datastore each)`,
  );
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-capture-'));
try {
  measure('churn example', path.join(REPO, 'examples', 'churn.ipynb'), work);

  const project = path.join(work, 'big');
  fs.mkdirSync(path.join(project, 'data'), { recursive: true });
  const file = path.join(project, 'data', 'big.bin');
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < Number(values.mb); i++) {
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  const old = new Date(Date.now() - 60_000); // older than the stat cache's settle time
  fs.utimesSync(file, old, old);
  const notebook = path.join(project, 'big.ipynb');
  const cell = (id, tags, source) => ({
    cell_type: 'code',
    execution_count: null,
    id,
    metadata: { tags },
    outputs: [],
    source,
  });
  fs.writeFileSync(
    notebook,
    JSON.stringify({
      cells: [
        cell('prelude', [], "import * as fs from 'fs';"),
        cell(
          'start',
          ['step:start', 'foreach:parts'],
          `self.parts = Array.from({ length: ${tasks} }, (_, i) => i);`,
        ),
        cell(
          'read',
          ['step:read'],
          "self.size = fs.statSync('data/big.bin').size + fs.readFileSync('data/big.bin').length;",
        ),
        cell('join', ['step:join'], 'self.total = inputs.reduce((a: number, i: any) => a + i.size, 0);'),
        cell('end', ['step:end'], 'console.log(self.total);'),
      ],
      metadata: {
        kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  measure(`${values.mb} MB file read by ${tasks} tasks`, notebook, work);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
