// `pip install .` installs the prebuilt labextension (without re-running npm) and JupyterLab lists it
// as enabled. Installs into a temporary prefix, found through JUPYTER_PATH, so nothing global changes.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureLabextensionBuilt, LABEXTENSION, REPO } from '../e2e/lab-server';
import { PYTHON, peerBin, peerEnv } from '../helpers/python-peers';

test('pip install . installs the labextension and `jupyter labextension list` shows it enabled', () => {
  ensureLabextensionBuilt();
  const builtAt = fs.statSync(path.join(LABEXTENSION, 'package.json')).mtimeMs;
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-pip-'));
  try {
    const pip = spawnSync(
      PYTHON,
      ['-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--prefix', prefix, '.'],
      { cwd: REPO, encoding: 'utf8' },
    );
    expect(pip.stderr + pip.stdout).toMatch(/Successfully installed cellflow_lab-/);
    // skip-if-exists: the existing build was packaged as it is, not rebuilt.
    expect(fs.statSync(path.join(LABEXTENSION, 'package.json')).mtimeMs).toBe(builtAt);
    const installed = path.join(prefix, 'share', 'jupyter', 'labextensions', 'cellflow');
    expect(fs.existsSync(path.join(installed, 'install.json'))).toBe(true);
    expect(fs.readdirSync(path.join(installed, 'schemas', 'cellflow'))).toEqual([
      'package.json.orig',
      'plugin.json',
    ]);

    const list = spawnSync(peerBin('jupyter'), ['labextension', 'list'], {
      encoding: 'utf8',
      env: { ...peerEnv(), JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'), NO_COLOR: '1' },
    });
    // Drop the colour escapes (ESC[...m) around 'enabled' and 'OK'.
    const output = (list.stdout + list.stderr)
      .split(String.fromCharCode(27))
      .join('')
      .replace(/\[[0-9;]*m/g, '');
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect(output).toContain(`cellflow v${version} enabled OK (python, cellflow_lab)`);
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
}, 180_000);
