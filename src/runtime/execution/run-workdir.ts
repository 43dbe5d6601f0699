// A run's code on a machine that has never seen its project (`cellflow step` on a bare node, a resume
// by a colleague): the recorded sources laid out from the datastore into a cache folder, and the
// locked dependencies installed once per lockfile, into a cache keyed by the lockfile's sha256.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Datastore } from '../datastore/datastore';
import { UserInputError } from '../errors';
import type { RunRecord } from '../records';
import { makeDirs } from '../make-dirs';

export interface RunWorkdir {
  /** The notebook inside the laid-out sources. */
  input: string;
  /** Where the compiled module lives (virtually): imports resolve from here. */
  moduleFilename: string;
}

/** The folder for caches of this machine and user ($XDG_CACHE_HOME or ~/.cache, then cellflow/). */
export function userCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cellflow');
}

/** The run's sources here: where they ran, when that folder is on this machine, else laid out. */
export async function runWorkdir(datastore: Datastore, run: RunRecord): Promise<RunWorkdir> {
  const recorded = run.input;
  if (recorded && fs.existsSync(recorded) && run.module && fs.existsSync(path.dirname(run.module.filename))) {
    return { input: recorded, moduleFilename: run.module.filename };
  }
  if (!run.source) {
    throw new UserInputError(
      `${run.flow}/${run.runId}: its notebook ${recorded ?? '(unknown)'} is not on this machine and the run records no sources.`,
    );
  }
  const dir = path.join(datastore.cacheDir, 'sources', run.flow, run.runId);
  let input = path.join(dir, ...run.source.input.split('/'));
  if (!fs.existsSync(input)) {
    fs.rmSync(dir, { recursive: true, force: true });
    // Loaded only here: the reproducibility layer pulls in isomorphic-git.
    const { materializeRun } =
      require('../repro/replay/materialize') as typeof import('../repro/replay/materialize');
    const laid = await materializeRun(datastore, run, dir);
    input = laid.input;
    installLockedDependencies(datastore, run, laid.projectDir);
  }
  const moduleName = path.basename(run.module?.filename ?? input.replace(/\.ipynb$/, '.flow.ts'));
  return { input, moduleFilename: path.join(path.dirname(input), moduleName) };
}

/**
 * `npm ci` of the run's lockfile, once per lockfile on this machine (`deps/<sha256>`), linked into
 * the laid-out project as its node_modules. A run without a real lockfile has nothing to install.
 */
export function installLockedDependencies(datastore: Datastore, run: RunRecord, projectDir: string): void {
  const lockfile = run.lockfile;
  const packageJson = path.join(projectDir, 'package.json');
  if (!lockfile || lockfile.derived || !fs.existsSync(packageJson)) {
    return;
  }
  const target = path.join(userCacheDir(), 'deps', lockfile.sha256);
  if (!fs.existsSync(path.join(target, '.installed'))) {
    const staging = `${target}.${process.pid}.tmp`;
    fs.rmSync(staging, { recursive: true, force: true });
    makeDirs(staging);
    fs.copyFileSync(packageJson, path.join(staging, 'package.json'));
    fs.writeFileSync(
      path.join(staging, 'package-lock.json'),
      datastore.objects.getSync(lockfile.sha256, `${run.flow}/${run.runId} lockfile`),
    );
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: staging,
      encoding: 'utf8',
    });
    if (npm.status !== 0) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `npm ci of ${run.flow}/${run.runId}'s lockfile failed: ${(npm.stderr || npm.stdout).trim()}`,
      );
    }
    fs.writeFileSync(path.join(staging, '.installed'), new Date().toISOString() + '\n');
    try {
      fs.renameSync(staging, target); // another process may have installed it first: keep theirs
    } catch {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  const link = path.join(projectDir, 'node_modules');
  if (!fs.existsSync(link) && fs.existsSync(path.join(target, 'node_modules'))) {
    fs.symlinkSync(path.join(target, 'node_modules'), link, 'dir');
  }
}
