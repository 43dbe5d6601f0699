// Starts a real JupyterLab for end-to-end tests, isolated in a temporary directory: its own config,
// data and runtime dirs, the built labextension and the cellflow kernelspec found through JUPYTER_PATH
// only, a copy of the notebooks to open, and a private cellflow datastore.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { peerBin, peerEnv } from '../helpers/python-peers';
const { packLabextension } = require('../../scripts/pack-labextension.js') as {
  packLabextension(): string | undefined;
};

export const REPO = path.resolve(__dirname, '..', '..');
export const LABEXTENSION = path.join(REPO, 'cellflow_lab', 'labextension');

export interface LabServer {
  url: string;
  token: string;
  /** The server's root directory (a copy of the notebooks). */
  root: string;
  /** CELLFLOW_HOME of the kernel and runs started from this JupyterLab. */
  datastore: string;
  env: NodeJS.ProcessEnv;
  log(): string;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Files and directories copied into the server's root. */
  files: string[];
  /** Install the cellflow kernelspec (needs `cellflow kernel install`). */
  kernel: boolean;
  /** Make the root a git repository with the files committed, so runs record a commit. */
  git?: boolean;
  /** Load the cellflow labextension (default true; false measures JupyterLab on its own). */
  extension?: boolean;
  /** More environment for the server and the kernels it starts (e.g. an S3 endpoint and a user). */
  env?: Record<string, string>;
}

/**
 * Builds the labextension when its output is missing or older than the compiled extension (`dist/src/lab`,
 * `dist/src/core`), the schema or the styles. Needs `npm run build` first.
 */
export function ensureLabextensionBuilt(): void {
  // Suites in parallel jest workers (the packaging test, the e2e test) must not build into one directory at once.
  withBuildLock(buildIfStale);
}

function buildIfStale(): void {
  const built = path.join(LABEXTENSION, 'package.json');
  const sources = ['dist/src/lab', 'dist/src/core', 'schema/lab', 'style', 'package.json', 'webpack.lab.js'];
  if (
    fs.existsSync(built) &&
    newestMtime(sources.map((s) => path.join(REPO, s))) <= fs.statSync(built).mtimeMs
  ) {
    packLabextension(); // the npm package's archive of it, when missing or older
    return;
  }
  const result = spawnSync(peerBin('jupyter'), ['labextension', 'build', '.'], {
    cwd: REPO,
    encoding: 'utf8',
    env: peerEnv(),
  });
  if (result.status !== 0) {
    throw new Error(`jupyter labextension build failed:\n${result.stdout}\n${result.stderr}`);
  }
  packLabextension();
}

const BUILD_LOCK = path.join(REPO, 'test-artifacts', '.labextension-build.lock');
/** A lock older than this was left by a killed build. */
const STALE_LOCK_MS = 5 * 60_000;

function withBuildLock(fn: () => void): void {
  fs.mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(BUILD_LOCK); // atomic: exactly one process creates it
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      const age = Date.now() - (fs.statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) {
        fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
      } else {
        Atomics.wait(sleeper, 0, 0, 250);
      }
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!fs.existsSync(p)) {
      return;
    }
    const stat = fs.statSync(p);
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) {
        visit(path.join(p, entry));
      }
    }
  };
  paths.forEach(visit);
  return newest;
}

export async function startLab(options: LabOptions): Promise<LabServer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-e2e-'));
  const root = path.join(tmp, 'root');
  const share = path.join(tmp, 'share', 'jupyter');
  const datastore = path.join(tmp, 'datastore');
  const configDir = path.join(tmp, 'config');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(path.join(share, 'labextensions'), { recursive: true });
  fs.mkdirSync(path.join(configDir, 'labconfig'), { recursive: true });
  for (const file of options.files) {
    fs.cpSync(file, path.join(root, path.basename(file)), { recursive: true });
  }
  if (options.git) {
    commitAll(root);
  }
  // The extension exactly as `jupyter labextension build` left it, found through JUPYTER_PATH.
  if (options.extension !== false) {
    fs.symlinkSync(LABEXTENSION, path.join(share, 'labextensions', 'cellflow'));
  }
  // No news prompt or update check from a machine without internet: they only add toasts to screenshots.
  fs.writeFileSync(
    path.join(configDir, 'labconfig', 'page_config.json'),
    JSON.stringify({ disabledExtensions: { '@jupyterlab/apputils-extension:announcements': true } }),
  );
  const env: NodeJS.ProcessEnv = {
    ...peerEnv(),
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_DATA_DIR: path.join(tmp, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
    JUPYTER_PATH: share,
    JUPYTER_PLATFORM_DIRS: '1',
    CELLFLOW_HOME: datastore,
    ...options.env,
  };
  if (options.kernel) {
    const install = spawnSync(
      process.execPath,
      [path.join(REPO, 'bin', 'cellflow.js'), 'kernel', 'install', '--prefix', path.join(tmp)],
      { env, encoding: 'utf8' },
    );
    if (install.status !== 0) {
      throw new Error(`cellflow kernel install failed:\n${install.stdout}\n${install.stderr}`);
    }
  }
  const port = await freePort();
  const token = `cellflow-e2e-${process.pid}-${port}`;
  const child = spawn(
    peerBin('jupyter'),
    [
      'lab',
      '--no-browser',
      `--port=${port}`,
      '--ServerApp.ip=127.0.0.1',
      `--IdentityProvider.token=${token}`,
      '--allow-root',
      `--ServerApp.root_dir=${root}`,
      '--ServerApp.port_retries=0',
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForServer(`${url}/api/status?token=${token}`, child, () => output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    url,
    token,
    root,
    datastore,
    env,
    log: () => output,
    stop: async () => {
      await stopProcess(child);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function commitAll(root: string): void {
  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`git ${args.join(' ')} failed:\n${result.stderr}`);
    }
  };
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=cellflow e2e', '-c', 'user.email=e2e@cellflow.invalid', 'commit', '-qm', 'notebooks');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(statusUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`jupyter lab exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(statusUrl);
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`jupyter lab did not start within 60 s:\n${output()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGTERM lets the server shut its kernels down too.
    child.kill('SIGTERM');
  });
}
