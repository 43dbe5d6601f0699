// The Python peers the tests drive (jupyter, papermill, jupyter_kernel_test, pyarrow, repo2docker,
// nbformat, pip) come from the project-local virtualenv that scripts/setup-test-peers.js makes from
// requirements-test.txt, never from whatever the system python has. Spawn them through here.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..');

/** The venv's directory (CELLFLOW_TEST_VENV moves it; the setup script uses the same default). */
export const TEST_VENV = process.env.CELLFLOW_TEST_VENV || path.join(REPO, '.venv-test');
const BIN = path.join(TEST_VENV, 'bin');

/** The venv's python: `spawn(PYTHON, ['-c', ...])`. */
export const PYTHON = path.join(BIN, 'python');

/** A console script of the venv (`jupyter`, `papermill`, `repo2docker`), by absolute path. */
export function peerBin(name: string): string {
  if (!fs.existsSync(path.join(BIN, name))) {
    throw new Error(
      `${name} is not in ${TEST_VENV}: run \`node scripts/setup-test-peers.js\` (npm test does it first)`,
    );
  }
  return path.join(BIN, name);
}

/**
 * `env` with the venv's bin first on PATH, so what a peer starts in turn (`jupyter lab` runs
 * `jupyter-lab`, papermill starts kernels) is the venv's too.
 */
export function peerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [BIN, env.PATH].filter(Boolean).join(path.delimiter) };
}

/** Wheels of every pinned requirement and of the packaging build requirements (see the setup script). */
export const WHEELHOUSE =
  process.env.CELLFLOW_TEST_WHEELHOUSE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cellflow-test', 'wheels');

/** The exact version requirements-test.txt pins for `name`. */
export function pinnedVersion(name: string): string {
  const pins = fs.readFileSync(path.join(REPO, 'requirements-test.txt'), 'utf8');
  const pin = pins.match(new RegExp(`^${name}==(\\S+)$`, 'mi'));
  if (!pin) {
    throw new Error(`requirements-test.txt pins no ${name}`);
  }
  return pin[1];
}
