// The Python package of the JupyterLab extension, as a user and CI get it: `pip install .` from a
// fresh checkout into a fresh virtualenv whose PATH has no jupyter (the build hook's `jupyter
// labextension build` must come from [build-system] requires), the wheel built into release/, and
// that wheel installed into an environment without Node, where JupyterLab lists the extension and
// `python -m jupyterlab.browser_check` passes. pip resolves from the wheelhouse the set-up script
// keeps (no network, fresh venvs in seconds).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freshCheckout, onPath, REPO, toolsDir } from '../helpers/fresh-checkout';
import { pinnedVersion, PYTHON, WHEELHOUSE } from '../helpers/python-peers';

jest.setTimeout(15 * 60_000);

const RELEASE = path.join(REPO, 'release');
const VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
let work: string;
let src: string | undefined;
// CI runs as root, which Jupyter refuses without this.
const ALLOW_ROOT = process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : [];

function run(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10 * 60_000, ...options });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

function expectOk(result: { status: number | null; output: string }): void {
  expect({ status: result.status, output: result.status === 0 ? '' : result.output }).toEqual({
    status: 0,
    output: '',
  });
}

/** The environment of a command run with only `bins` on PATH: no user site, pip offline. */
function restricted(bins: string[]): NodeJS.ProcessEnv {
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { recursive: true });
  return {
    PATH: bins.join(path.delimiter),
    HOME: home,
    PYTHONNOUSERSITE: '1',
    PIP_NO_INDEX: '1',
    PIP_FIND_LINKS: WHEELHOUSE,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    JUPYTER_CONFIG_DIR: path.join(home, 'jupyter-config'),
    JUPYTER_DATA_DIR: path.join(home, 'jupyter-data'),
    JUPYTER_RUNTIME_DIR: path.join(home, 'jupyter-runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
  };
}

function freshVenv(name: string): string {
  const venv = path.join(work, name);
  expectOk(run(PYTHON, ['-m', 'venv', venv], { env: restricted([]) }));
  return venv;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-pip-'));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('pip install . from a fresh checkout builds the extension with jupyterlab from the build requirements', () => {
  const checkout = freshCheckout(path.join(work, 'src'), { afterNpmCi: true });
  expect(fs.existsSync(path.join(checkout, 'cellflow_lab', 'labextension'))).toBe(false);
  const venv = freshVenv('venv-build');
  // node, npm and the shell npm runs scripts with for the build hook, and nothing else: no jupyter anywhere on this PATH.
  const env = restricted([path.join(venv, 'bin'), toolsDir(path.join(work, 'tools'), ['node', 'npm', 'sh'])]);
  expect(onPath('jupyter', env.PATH!)).toBe(false);

  const install = run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '.'], {
    cwd: checkout,
    env,
  });
  expectOk(install);
  expect(install.output).toMatch(/Successfully installed cellflow_lab-/);
  const installed = path.join(venv, 'share', 'jupyter', 'labextensions', 'cellflow');
  expect(JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(VERSION);
  expect(fs.existsSync(path.join(installed, 'install.json'))).toBe(true);
  expect(fs.readdirSync(path.join(installed, 'static')).some((f) => f.startsWith('remoteEntry.'))).toBe(true);
  // jupyterlab was there only for the build: the package itself depends on nothing.
  expect(fs.existsSync(path.join(venv, 'bin', 'jupyter'))).toBe(false);

  src = checkout;
});

test('the wheel, built into release/, installs without Node; JupyterLab lists it and browser_check passes', () => {
  expect(src).toBeDefined();
  const venv = freshVenv('venv-lab');
  const bin = path.join(venv, 'bin');
  const python = path.join(bin, 'python');
  const env = restricted([bin]);
  expect(onPath('node', env.PATH!)).toBe(false);
  // JupyterLab, and the build backend so the wheel is packed here too: the extension that `pip
  // install .` built is packaged as it is (skip-if-exists), which needs no Node either.
  const backend = ['hatchling', 'hatch-nodejs-version', 'hatch-jupyter-builder'];
  expectOk(
    run(python, ['-m', 'pip', 'install', `jupyterlab==${pinnedVersion('jupyterlab')}`, ...backend], { env }),
  );
  fs.mkdirSync(RELEASE, { recursive: true });
  for (const old of fs.readdirSync(RELEASE).filter((f) => f.endsWith('.whl'))) {
    fs.rmSync(path.join(RELEASE, old));
  }
  expectOk(
    run(python, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-w', RELEASE, '.'], {
      cwd: src,
      env,
    }),
  );
  const wheels = fs.readdirSync(RELEASE).filter((f) => f.endsWith('.whl'));
  expect(wheels).toEqual([`cellflow_lab-${VERSION}-py3-none-any.whl`]);
  expectOk(run(python, ['-m', 'pip', 'install', path.join(RELEASE, wheels[0])], { env }));

  const list = run(path.join(bin, 'jupyter'), ['labextension', 'list'], { env: { ...env, NO_COLOR: '1' } });
  // Drop the colour escapes (ESC[...m) around 'enabled' and 'OK'.
  const plain = list.output
    .split(String.fromCharCode(27))
    .join('')
    .replace(/\[[0-9;]*m/g, '');
  expect(plain).toContain(`cellflow v${VERSION} enabled OK (python, cellflow_lab)`);
  // The extension template's check for an environment without Node: the server starts with the
  // extension and logs no error.
  expectOk(run(python, ['-m', 'jupyterlab.browser_check', '--no-browser-test', ...ALLOW_ROOT], { env }));

  // The full check loads JupyterLab in a browser and fails on any plugin that does not activate.
  // Its script asks for the `playwright` package and its own browser download; here a two-line
  // `playwright` hands it playwright-core driving Debian's Chromium instead.
  const target = path.join(venv, 'share', 'jupyter', 'lab', 'browser_test');
  writePlaywrightForDebianChromium(target);
  const withNode = restricted([bin, toolsDir(path.join(work, 'tools-lab'), ['node', 'npm', 'npx', 'sh'])]);
  const check = run(python, ['-m', 'jupyterlab.browser_check', ...ALLOW_ROOT], { env: withNode });
  expectOk(check);
  expect(check.output).toContain('Browser test complete');
});

function writePlaywrightForDebianChromium(target: string): void {
  const pkg = path.join(target, 'node_modules', 'playwright');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(target, 'package.json'),
    JSON.stringify({ name: 'browser_test', private: true }),
  );
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: 'playwright', version: '0.0.0-debian-chromium', main: 'index.js', bin: 'cli.js' }),
  );
  const core = require.resolve('playwright-core', { paths: [REPO] });
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
  ];
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    `const { chromium } = require(${JSON.stringify(core)});\n` +
      `exports.chromium = { launch: (o) => chromium.launch({ ...o, executablePath: ${JSON.stringify(chromium)}, args: ${JSON.stringify(args)} }) };\n`,
  );
  // `npx playwright install chromium` would download a browser: Debian's is installed already.
  const cli = path.join(pkg, 'cli.js');
  fs.writeFileSync(cli, `#!/usr/bin/env node\nconsole.log('using ${chromium}');\n`);
  fs.chmodSync(cli, 0o755);
  fs.mkdirSync(path.join(target, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync('../playwright/cli.js', path.join(target, 'node_modules', '.bin', 'playwright'));
}
