'use strict';
// The Python peer: Metaflow (with pandas and pyarrow) in a virtual environment under bench/.venv,
// installed from PyPI on first use, and a runner for the FlowSpecs in bench/peers/.
const fs = require('fs');
const path = require('path');
const { measure, check } = require('./proc');

const VENV = path.join(__dirname, '..', '.venv');
const PYTHON = path.join(VENV, 'bin', 'python');
const PEERS_DIR = path.join(__dirname, '..', 'peers');
const PACKAGES = ['metaflow', 'pandas', 'pyarrow'];

async function peerVersions() {
  const probe = await measure(PYTHON, [
    '-c',
    'import importlib.metadata as m, platform; ' +
      'print(platform.python_version(), m.version("metaflow"), m.version("pandas"))',
  ]);
  if (probe.code !== 0) {
    return undefined;
  }
  const [pythonVersion, metaflow, pandas] = probe.stdout.trim().split(/\s+/);
  return { pythonVersion, metaflow, pandas };
}

/**
 * The Python that runs Metaflow, or undefined when it is not installed and `install` is false.
 * @param {{ install: boolean, log: (line: string) => void }} options
 */
async function ensurePeers({ install, log }) {
  if (fs.existsSync(PYTHON)) {
    const versions = await peerVersions();
    if (versions) {
      return { python: PYTHON, ...versions };
    }
  }
  if (!install) {
    return undefined;
  }
  log(`installing ${PACKAGES.join(', ')} into ${path.relative(process.cwd(), VENV)} (once)`);
  const python3 = process.env.PYTHON ?? 'python3';
  check(await measure(python3, ['-m', 'venv', VENV]), `${python3} -m venv`);
  check(
    await measure(PYTHON, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...PACKAGES]),
    'pip install',
  );
  const versions = await peerVersions();
  if (!versions) {
    throw new Error(`${PYTHON} cannot import metaflow after installing it`);
  }
  return { python: PYTHON, ...versions };
}

/**
 * Runs `python bench/peers/FILE ARGS...` with a local datastore and metadata under `home`.
 * Metaflow needs a user name and, without a configured datastore, uses `.metaflow` under cwd.
 */
async function metaflow(python, file, args, home) {
  fs.mkdirSync(home, { recursive: true });
  const result = await measure(python, [path.join(PEERS_DIR, file), '--no-pylint', ...args], {
    cwd: home,
    env: {
      METAFLOW_DEFAULT_DATASTORE: 'local',
      METAFLOW_DEFAULT_METADATA: 'local',
      METAFLOW_DATASTORE_SYSROOT_LOCAL: home,
      METAFLOW_HOME: home,
      USERNAME: 'bench',
    },
  });
  return check(result, `metaflow ${file} ${args.join(' ')}`);
}

module.exports = { ensurePeers, metaflow, PEERS_DIR };
