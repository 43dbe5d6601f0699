// The npm package as a user gets it: `npm pack` into release/, installed into a fresh project outside
// the repository with a fresh HOME and an empty npm cache (everything else comes from the registry),
// then the quick start there: a run of a copied example, `cellflow kernel install`, the kernel itself
// and the Client API. Also that the package is lean: nothing of JupyterLab, no second TypeScript and
// no AWS SDK (optional, for s3:// datastores) is installed with it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JupyterClient, streamText } from '../helpers/jupyter-client';
import { REPO } from '../helpers/fresh-checkout';
import { ensureLabextensionBuilt } from '../e2e/lab-server';

jest.setTimeout(10 * 60_000);

const RELEASE = path.join(REPO, 'release');
const VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
let work: string;
let project: string;
let env: NodeJS.ProcessEnv;
let tarball: string;

function run(command: string, args: string[], cwd = project) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 8 * 60_000 });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-npm-'));
  project = path.join(work, 'project');
  fs.mkdirSync(project);
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(work, 'npm-cache'));
  env = {
    ...process.env,
    HOME: home,
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  delete env.CELLFLOW_HOME; // the project's own .cellflow/, as for a user
  // Built by `npm test`'s build; --ignore-scripts so packing does not build a second time. The
  // prebuilt JupyterLab extension (for Binder) goes in as its archive.
  ensureLabextensionBuilt();
  fs.mkdirSync(RELEASE, { recursive: true });
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', RELEASE, '--silent'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  expect(packed.status).toBe(0);
  tarball = path.join(RELEASE, packed.stdout.trim().split('\n').pop()!);
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

test('npm pack writes release/cellflow-VERSION.tgz holding the built package and no sources or tests', () => {
  expect(path.basename(tarball)).toBe(`cellflow-${VERSION}.tgz`);
  const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
  for (const file of [
    'bin/cellflow.js',
    'dist/src/index.js',
    'dist/src/cli/main.js',
    'dist/kernel/main.js',
  ]) {
    expect(listing).toContain(`package/${file}`);
  }
  // The extension as one archive, not its 11 MB of loose chunks.
  expect(listing).toContain('package/cellflow_lab/labextension.tar.gz');
  expect(listing.filter((f) => f.startsWith('package/cellflow_lab/labextension/'))).toEqual([]);
  expect(listing.filter((f) => /^package\/(test|src|bench)\//.test(f) || f.endsWith('.tsbuildinfo'))).toEqual(
    [],
  );
});

test('the tarball installs into a fresh project with an empty cache and runs the quick start there', async () => {
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'fresh', private: true }));
  const install = run('npm', ['install', '--no-audit', '--no-fund', tarball]);
  expect({ status: install.status, output: install.status === 0 ? '' : install.output }).toEqual({
    status: 0,
    output: '',
  });
  // Lean: the CLI, runtime, kernel and Client API need nothing of JupyterLab, Lumino, elkjs or ajv.
  const installed = fs.readdirSync(path.join(project, 'node_modules'));
  expect(installed.filter((name) => /^(@jupyterlab|@lumino|elkjs|ajv)$/.test(name))).toEqual([]);
  // One TypeScript compiler (tslab's, which cellflow uses too) and no AWS SDK (an optional peer).
  expect(installed.filter((name) => /^(typescript|@aws-sdk)$/.test(name))).toEqual([]);
  const tslabPin = (
    JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'tslab', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    }
  ).dependencies['@tslab/typescript-for-tslab'];
  const compiler = JSON.parse(
    fs.readFileSync(
      path.join(project, 'node_modules', '@tslab', 'typescript-for-tslab', 'package.json'),
      'utf8',
    ),
  ) as { version: string };
  expect(compiler.version).toBe(tslabPin);
  expect(fs.existsSync(path.join(project, 'node_modules', 'tslab', 'node_modules', '@tslab'))).toBe(false);

  // Without the SDK an S3 datastore is bad input that says what to install.
  const s3 = run('npx', ['cellflow', 'runs', '--datastore', 's3://some-bucket/flows']);
  expect({ status: s3.status, stderr: s3.stderr.trim() }).toEqual({
    status: 2,
    stderr: expect.stringContaining('npm install @aws-sdk/client-s3@3.1175.0') as string,
  });
  expect(s3.stderr).not.toMatch(/\n\s+at /);

  fs.cpSync(path.join(REPO, 'examples', 'churn.ipynb'), path.join(project, 'churn.ipynb'));
  fs.cpSync(path.join(REPO, 'examples', 'data'), path.join(project, 'data'), { recursive: true });
  const flow = run('npx', ['cellflow', 'run', 'churn.ipynb']);
  expect({ status: flow.status, stderr: flow.status === 0 ? '' : flow.output }).toEqual({
    status: 0,
    stderr: '',
  });
  const printed = flow.stdout.match(/best: .* with test accuracy (\d\.\d{3})/);
  expect(printed).not.toBeNull();

  // The Client API, as the README shows it, from the installed package.
  const script = [
    "const { Flow } = require('cellflow');",
    "const run = new Flow('churn').latestSuccessfulRun;",
    "run.data('best_accuracy').then((v) => console.log(JSON.stringify({ pathspec: run.pathspec, v })));",
  ].join('\n');
  const client = run(process.execPath, ['-e', script]);
  expect(client.stderr).toBe('');
  const { pathspec, v } = JSON.parse(client.stdout) as { pathspec: string; v: number };
  expect(flow.stdout).toContain(pathspec);
  expect(v.toFixed(3)).toBe(printed![1]);

  // The kernel: installed by the package's CLI, started from its kernelspec, the Client API inside it.
  const prefix = path.join(work, 'jupyter-prefix');
  const kernelInstall = run('npx', ['cellflow', 'kernel', 'install', '--prefix', prefix]);
  expect(kernelInstall.status).toBe(0);
  const specDir = path.join(prefix, 'share', 'jupyter', 'kernels', 'cellflow');
  const spec = JSON.parse(fs.readFileSync(path.join(specDir, 'kernel.json'), 'utf8')) as { argv: string[] };
  expect(spec.argv[1]).toBe(
    path.join(fs.realpathSync(project), 'node_modules', 'cellflow', 'dist', 'kernel', 'main.js'),
  );
  const kernel = await JupyterClient.start(specDir, project, { HOME: env.HOME });
  try {
    const cell = await kernel.execute(
      "import { Flow } from 'cellflow';\nconsole.log(new Flow('churn').latestSuccessfulRun!.pathspec);",
    );
    expect(cell.reply.content.status).toBe('ok');
    expect(streamText(cell)).toContain(pathspec);
  } finally {
    await kernel.close();
  }
});
