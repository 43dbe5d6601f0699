// `cellflow kernel install|uninstall [--user|--sys-prefix|--prefix DIR]`: the kernelspec
// `cellflow` ("TypeScript (cellflow)") in a Jupyter data directory, found without running Python.
import type { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeDirs, UserInputError } from '../../runtime';
import { logoPng } from './kernel-logo';
import type { CliIO } from '../io';

export const KERNEL_NAME = 'cellflow';

interface Where {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
}

export function registerKernel(program: Command, io: CliIO): void {
  const kernel = program.command('kernel').description('install or remove the cellflow Jupyter kernel');
  const where = (command: Command) =>
    command
      .option('--user', 'the per-user Jupyter data directory (the default)')
      .option(
        '--sys-prefix',
        'the active environment: $VIRTUAL_ENV, $CONDA_PREFIX, else the prefix of `jupyter` on PATH',
      )
      .option('--prefix <dir>', 'DIR/share/jupyter/kernels');
  where(kernel.command('install').description('write the kernelspec "TypeScript (cellflow)"')).action(
    (options: Where) => {
      const dir = installKernelspec(kernelsDir(options));
      io.stdout(`installed kernelspec ${KERNEL_NAME} in ${dir}\n`);
    },
  );
  where(kernel.command('uninstall').description('remove the kernelspec')).action((options: Where) => {
    const dir = path.join(kernelsDir(options), KERNEL_NAME);
    if (!fs.existsSync(path.join(dir, 'kernel.json'))) {
      throw new UserInputError(`no kernelspec ${KERNEL_NAME} in ${path.dirname(dir)}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    io.stdout(`removed kernelspec ${KERNEL_NAME} from ${path.dirname(dir)}\n`);
  });
}

/** Writes `<kernels>/cellflow/kernel.json`; returns the kernelspec directory. */
export function installKernelspec(kernels: string): string {
  const launcher = path.join(packageRoot(), 'dist', 'kernel', 'main.js');
  if (!fs.existsSync(launcher)) {
    throw new UserInputError(`the kernel is not built (${launcher} is missing): run \`npm run build\` first`);
  }
  const dir = path.join(kernels, KERNEL_NAME);
  makeDirs(dir);
  const spec = {
    argv: [process.execPath, launcher, '{connection_file}'],
    display_name: 'TypeScript (cellflow)',
    language: 'typescript',
    // Jupyter sends SIGINT: it stops a blocking cell (vm's breakOnSigint) as well as an awaiting one.
    interrupt_mode: 'signal',
    env: {},
    metadata: { cellflow: { package: packageRoot() } },
  };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
  for (const size of [32, 64]) {
    fs.writeFileSync(path.join(dir, `logo-${size}x${size}.png`), logoPng(size));
  }
  return dir;
}

/** `<data dir>/kernels` for the chosen location, as `jupyter --paths` would list it. */
export function kernelsDir(options: Where, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = [options.user, options.sysPrefix, options.prefix !== undefined].filter(Boolean).length;
  if (chosen > 1) {
    throw new UserInputError('choose one of --user, --sys-prefix and --prefix DIR');
  }
  if (options.prefix !== undefined) {
    if (!options.prefix.trim()) {
      throw new UserInputError('--prefix needs a directory');
    }
    return path.join(path.resolve(options.prefix), 'share', 'jupyter', 'kernels');
  }
  if (options.sysPrefix) {
    return path.join(sysPrefix(env), 'share', 'jupyter', 'kernels');
  }
  return path.join(userDataDir(env), 'kernels');
}

/** jupyter_core's user data directory: $JUPYTER_DATA_DIR, else the platform's default. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) {
    return path.resolve(env.JUPYTER_DATA_DIR);
  }
  const home = os.homedir();
  if (process.platform === 'darwin') {
    return path.join(home, 'Library', 'Jupyter');
  }
  if (process.platform === 'win32') {
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  }
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** Python's sys.prefix without Python: the active virtualenv or conda env, else where `jupyter` lives. */
export function sysPrefix(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIRTUAL_ENV) {
    return path.resolve(env.VIRTUAL_ENV);
  }
  if (env.CONDA_PREFIX) {
    return path.resolve(env.CONDA_PREFIX);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const exe = path.join(dir, process.platform === 'win32' ? 'jupyter.exe' : 'jupyter');
    if (dir && fs.existsSync(exe)) {
      if (path.basename(dir) === 'shims') {
        const prefix = pyenvPrefix(path.dirname(dir), env);
        if (prefix) {
          return prefix;
        }
      }
      // <prefix>/bin/jupyter (Scripts\jupyter.exe on Windows).
      return path.dirname(path.dirname(fs.realpathSync(exe)));
    }
  }
  throw new UserInputError(
    '--sys-prefix: no active environment ($VIRTUAL_ENV, $CONDA_PREFIX) and no `jupyter` on PATH',
  );
}

/** A pyenv shim stands for `<PYENV_ROOT>/versions/<active version>`. */
function pyenvPrefix(root: string, env: NodeJS.ProcessEnv): string | undefined {
  let version = env.PYENV_VERSION?.split(':')[0];
  if (!version) {
    try {
      version = fs.readFileSync(path.join(root, 'version'), 'utf8').split('\n')[0].trim();
    } catch {
      return undefined;
    }
  }
  const prefix = path.join(root, 'versions', version);
  return fs.existsSync(prefix) ? prefix : undefined;
}

function packageRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (
      fs.existsSync(path.join(dir, 'package.json')) &&
      fs.existsSync(path.join(dir, 'bin', 'cellflow.js'))
    ) {
      return dir;
    }
  }
  throw new Error(`cannot find the cellflow package above ${__dirname}`);
}
