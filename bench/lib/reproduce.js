'use strict';
// 10: `cellflow reproduce` of the churn example (examples/churn.ipynb, whose project is this
// repository and its lockfile) against the peer `cellflow run` of the same notebook: what
// reproducing adds to running. The original's node_modules is unchanged, so reproduce links it
// (reuse-installed.ts). (`--no-reuse` is not measured here: npm ci in the clean copy runs this
// repository's `prepare`, whose tsconfig.build.json is not among the files the run used.)
const fs = require('fs');
const path = require('path');
const { cellflow, REPO } = require('./cellflow');

const CHURN_NB = path.join(REPO, 'examples', 'churn.ipynb');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (valueMs) => `${(valueMs / 1000).toFixed(2)} s`;

/** @param {{ smoke: boolean, work: string, log: (line: string) => void }} ctx */
async function reproduce(ctx) {
  const home = path.join(ctx.work, 'reproduce-home');
  const idFile = path.join(ctx.work, 'reproduce-run-id');
  const runs = [];
  const reproductions = [];
  const rounds = ctx.smoke ? 1 : 3;
  let original;
  for (let i = 0; i < rounds; i++) {
    ctx.log(`reproduce: cellflow run examples/churn.ipynb (${i + 1})`);
    runs.push((await cellflow(['run', CHURN_NB, '-q', '--run-id-file', idFile], home)).wallMs);
    original ??= fs.readFileSync(idFile, 'utf8').trim();
    ctx.log(`reproduce: cellflow reproduce ${original} (${i + 1})`);
    const result = await cellflow(['reproduce', original], home);
    if (!/using the packages installed in/.test(result.stdout)) {
      throw new Error(`reproduce did not reuse the installed packages:\n${result.stdout.slice(0, 2000)}`);
    }
    reproductions.push(result.wallMs);
  }
  const wall = median(reproductions);
  const peer = median(runs);
  return {
    id: 10,
    name: 'Reproduce: the churn example, installed packages as recorded (vs `cellflow run` of it)',
    cellflow: seconds(wall),
    peer: seconds(peer),
    ratio: `${(wall / peer).toFixed(2)}×`,
    target: '≤ 5 s',
    met: wall <= 5000 ? 'yes' : 'no',
    notes: `whole command; the original's node_modules (this repository's) passes the drift checks and is linked; median of ${rounds} alternating: reproduce ${reproductions.map(seconds).join(', ')}, run ${runs.map(seconds).join(', ')}`,
  };
}

module.exports = { reproduce };
