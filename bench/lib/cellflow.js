'use strict';
// Runs the built `cellflow` command (bin/cellflow.js) against a benchmark datastore.
const fs = require('fs');
const path = require('path');
const { measure, check } = require('./proc');

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'cellflow.js');

function assertBuilt() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('cellflow is not built: run `npm run build` first.');
  }
}

/**
 * `cellflow ARGS...` with CELLFLOW_HOME = home. Returns the measured result; throws on a non-zero exit.
 * @param {string[]} args
 * @param {string} home
 * @param {{ sampleRss?: boolean }} [options]
 */
async function cellflow(args, home, options = {}) {
  const result = await measure(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { CELLFLOW_HOME: home },
    sampleRss: options.sampleRss,
  });
  return check(result, `cellflow ${args.join(' ')}`);
}

module.exports = { cellflow, assertBuilt, REPO };
