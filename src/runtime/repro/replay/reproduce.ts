// `cellflow reproduce`: re-execute a recorded run from its record alone. Materialise its sources in a
// clean directory, install exactly the locked dependencies (npm ci), run it again with the recorded
// parameters and seed, and compare every artifact's sha256 with the original.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { JsonValue } from '../../../core/model';
import { Datastore, formatPathspec, parseRunPathspec } from '../../datastore/datastore';
import { UserInputError } from '../../errors';
import type { EngineChoice } from '../../execution/run';
import { checkSlurmClient } from '../../engines/slurm';
import type { ArtifactRef, ReproductionVerdict, RunRecord } from '../../records';
import { compareRuns, type ArtifactComparison } from './compare';
import { buildVerdict, valueRenderer } from './verdict';
import { sha256Of } from '../capture/lockfile';
import { rewriteLocalPackages, type PackageRewrite } from '../capture/local-packages';
import { materializeRun, prepareCleanDir, restoreInputs, type Materialized } from './materialize';
import { environmentDifferences, recordedLocaleEnv } from './environment-diff';
import { cellflowRoot, cellflowVersion } from '../capture/package-version';
import { matchingInstall } from './reuse-installed';

export interface ReproduceOptions {
  pathspec: string;
  /**
   * Where to reproduce: used as the clean directory when it is missing or empty, else a new
   * directory is made inside it (default: a new temporary directory).
   */
  dir?: string;
  /** Keep the clean directory after a successful reproduction (it is always kept on failure). */
  keep?: boolean;
  /** Fail instead of warning when Node differs or the dependencies cannot be installed exactly. */
  strict?: boolean;
  /** Run `npm ci` (default true). */
  install?: boolean;
  /**
   * A project directory whose node_modules was installed by npm ci from the same lockfile (a Binder
   * build): linked instead of installing again when its package-lock.json matches byte for byte.
   */
  installed?: string;
  /**
   * Link the original run's node_modules when it is still there and exactly what the run used
   * (reuse-installed.ts) instead of running npm ci (default true).
   */
  reuse?: boolean;
  maxWorkers?: number;
  /** Where the re-run's tasks run (default: where the original's ran, as its record says). */
  engine?: EngineChoice;
  datastoreRoot?: string;
  runIdFile?: string;
  /** Progress and the child run's output. */
  write: (text: string) => void;
  warn: (text: string) => void;
}

export interface ReproduceResult {
  ok: boolean;
  original: RunRecord;
  reproduced?: RunRecord;
  pathspec?: string;
  rows: ArtifactComparison[];
  /** Renders an artifact for the table: its value when small, else its sha256 prefix. */
  valueText: (ref: ArtifactRef | undefined) => string;
  verdict: ReproductionVerdict;
  warnings: string[];
  materialized: Materialized;
  runExitCode: number | null;
  /** Lockfile entries pointed at the stored tarballs of packages no registry serves. */
  rewrites: PackageRewrite[];
  /** Installed packages whose content differs between the original run and the reproduction. */
  drift: string[];
  /** False when the clean directory was removed (a successful reproduction). */
  kept: boolean;
}

/** A reproduction that cannot go on (strict mismatch, npm ci failed): exit 1, message only. */
export class ReproduceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReproduceError';
  }
}

export async function reproduceRun(options: ReproduceOptions): Promise<ReproduceResult> {
  const spec = parseRunPathspec(options.pathspec);
  const datastore = Datastore.open({ root: options.datastoreRoot });
  const original = datastore.readRun(spec.flow, spec.runId);
  const engine = options.engine ?? original.engine;
  if (engine?.name === 'slurm') {
    // Before anything is laid out or installed: the re-run could not start.
    checkSlurmClient(
      options.engine ? '--engine slurm' : `${options.pathspec} ran on Slurm and is reproduced there`,
      'reproduce it where the Slurm client is, or here with --engine local',
    );
  }
  const warnings: string[] = [];
  const warn = (message: string, strictFails = false) => {
    if (strictFails && options.strict) {
      throw new ReproduceError(`${message} (--strict)`);
    }
    warnings.push(message);
    options.warn(`warning: ${message}\n`);
  };

  const env = original.environment;
  if (!env) {
    warn('the run records no environment; Node and package versions cannot be checked', true);
  } else {
    for (const difference of environmentDifferences(env)) {
      warn(difference.message, difference.kind === 'node');
    }
  }

  const dir = cleanDirectory(options.dir, spec.flow);
  const materialized = await materializeRun(datastore, original, dir);
  const from =
    materialized.from === 'git'
      ? `git ${original.source!.git!.snapshot.commit.slice(0, 12)}`
      : materialized.from === 'code package'
        ? `code package ${original.code!.sha256.slice(0, 12)}`
        : 'the datastore';
  options.write(`sources of ${options.pathspec} (from ${from}) in ${dir}\n`);
  const originalTasks = datastore.listTasks(original.flow, original.runId);
  const inputs = restoreInputs(
    datastore,
    originalTasks.flatMap((task) => task.inputs ?? []),
    dir,
  );
  if (inputs.restored > 0) {
    options.write(`restored ${inputs.restored} data input(s) from the datastore\n`);
  }
  for (const message of inputs.warnings) {
    warn(message);
  }

  // The files laid out must be the recorded bytes, whichever store they came from.
  for (const file of original.source!.files) {
    const written = path.join(dir, ...file.path.split('/'));
    const actual = fs.existsSync(written) ? sha256Of(fs.readFileSync(written)) : 'missing';
    if (actual !== file.sha256) {
      throw new ReproduceError(
        `${file.path} in ${dir} does not match the record (sha256 ${actual.slice(0, 12)}, recorded ${file.sha256.slice(0, 12)})`,
      );
    }
  }

  const lockfile = original.lockfile;
  const hasPackageJson = fs.existsSync(path.join(materialized.projectDir, 'package.json'));
  let rewrites: PackageRewrite[] = [];
  if (options.install === false) {
    warn('--no-install: the locked dependencies were not installed', true);
  } else if (!lockfile) {
    warn('the run records no dependencies: none were installed', true);
  } else if (lockfile.derived) {
    await installDerived(datastore, lockfile.sha256, materialized.projectDir, options);
  } else if (hasPackageJson) {
    rewrites = rewriteLocalPackages(datastore.objects, materialized.projectDir, lockfile.localPackages ?? []);
    for (const rewrite of rewrites) {
      options.write(`${rewrite.path}: ${rewrite.from} → ${rewrite.to} (the stored tarball)\n`);
    }
    if (options.installed) {
      if (!linkInstalled(materialized.projectDir, options.installed, options)) {
        await npmCi(materialized.projectDir, options);
      }
    } else if (!(
      options.reuse !== false && (await reuseOriginal(datastore, original, materialized, options))
    )) {
      await npmCi(materialized.projectDir, options);
    }
  }

  const cellflow = chooseCellflow(materialized.projectDir);
  if (env && cellflow.version !== env.versions.cellflow) {
    warn(`cellflow ${cellflow.version} re-runs a run made with cellflow ${env.versions.cellflow}`);
  }
  const where =
    engine?.name === 'slurm' ? ` on Slurm${engine.partition ? ` (partition ${engine.partition})` : ''}` : '';
  options.write(`running with cellflow ${cellflow.version} (${cellflow.why})${where}\n`);

  const recordedDrift = originalDrift(original);
  for (const line of recordedDrift) {
    warn(line);
  }
  // What was known to differ before the re-run: the verdict's explanation starts from these.
  const known = [...warnings];
  const idFile = path.join(dir, '.cellflow-reproduce-run-id');
  const args = [cellflow.bin, 'run', materialized.input, '--run-id-file', idFile];
  if (original.seed !== undefined) {
    args.push('--seed', String(original.seed));
  }
  for (const [name, value] of Object.entries(original.params)) {
    args.push('--param', `${name}=${paramText(value)}`);
  }
  for (const tag of original.tags) {
    args.push('--tag', tag);
  }
  if (options.maxWorkers) {
    args.push('--max-workers', String(options.maxWorkers));
  }
  if (engine?.name === 'slurm') {
    args.push('--engine', 'slurm', ...(engine.partition ? ['--partition', engine.partition] : []));
  }
  const runExitCode = await spawnStreaming(process.execPath, args, {
    cwd: path.dirname(materialized.input),
    // The recorded time zone and locale: a step that formats a date formats it as it did then.
    env: { ...recordedLocaleEnv(process.env, env), CELLFLOW_HOME: datastore.root },
    write: options.write,
    warn: options.warn,
  });
  const newPathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : undefined;
  fs.rmSync(idFile, { force: true });
  if (!newPathspec) {
    throw new ReproduceError(`the reproduction did not start (cellflow run exited ${runExitCode})`);
  }
  if (options.runIdFile) {
    fs.writeFileSync(options.runIdFile, newPathspec + '\n');
  }

  const { flow, runId } = parseRunPathspec(newPathspec);
  const reproduced = datastore.readRun(flow, runId);
  if (
    original.module &&
    reproduced.module &&
    original.module.typescriptSha256 !== reproduced.module.typescriptSha256
  ) {
    warn('the notebook compiled to a different flow module than in the original run');
  }
  const found = packageDrift(datastore, original, reproduced);
  for (const line of found) {
    warn(line);
  }
  const drift = [...recordedDrift, ...found];

  const rows = compareRuns(originalTasks, datastore.listTasks(flow, runId), original.graph.order);
  const valueText = valueRenderer((ref) => datastore.loadArtifactSync(ref));
  const verdict = buildVerdict({
    rows,
    runExitCode,
    known,
    after: warnings.slice(known.length),
    drift,
    rewrites,
    valueText,
  });
  const ok = verdict.result === 'identical';
  reproduced.origin = {
    kind: 'reproduce',
    pathspec: formatPathspec({ flow: original.flow, runId: original.runId }),
    verdict,
  };
  datastore.writeRun(reproduced);
  // A successful reproduction leaves nothing behind; a failed one keeps its directory to look into.
  const kept = !ok || options.keep === true;
  if (!kept) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    ok,
    original,
    reproduced,
    pathspec: newPathspec,
    rows,
    valueText,
    verdict,
    warnings,
    materialized,
    runExitCode,
    rewrites,
    drift,
    kept,
  };
}

/** `--in DIR` when it is missing or empty, else a new directory inside it; default a temp one. */
function cleanDirectory(requested: string | undefined, flow: string): string {
  if (!requested) {
    return fs.mkdtempSync(path.join(os.tmpdir(), `cellflow-reproduce-${flow}-`));
  }
  const dir = path.resolve(requested);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new UserInputError(`--in ${requested}: not a directory.`);
  }
  if (!fs.existsSync(dir) || fs.readdirSync(dir).length === 0) {
    prepareCleanDir(dir);
    return dir;
  }
  return fs.mkdtempSync(path.join(dir, `reproduce-${flow}-`));
}

/** The drift the original run itself recorded: packages it used with edited files (known before the re-run). */
function originalDrift(original: RunRecord): string[] {
  return (original.lockfile?.drift.changed ?? [])
    .filter((entry) => entry.content)
    .map((entry) =>
      `the original run used ${entry.path} ${entry.locked?.version ?? ''} with edited files (drift); the reproduction installs the locked package`.replace(
        '  ',
        ' ',
      ),
    );
}

/**
 * Installed packages whose files the original run and the reproduction saw differently under the
 * same version (deep drift).
 */
function packageDrift(datastore: Datastore, original: RunRecord, reproduced: RunRecord): string[] {
  const lines: string[] = [];
  const read = (record: RunRecord): Record<string, string> | undefined => {
    const sha = record.lockfile?.contents?.sha256;
    if (!sha || !datastore.objects.has(sha)) {
      return undefined;
    }
    return JSON.parse(datastore.objects.getSync(sha).toString('utf8')) as Record<string, string>;
  };
  const before = read(original);
  const after = read(reproduced);
  if (!before || !after) {
    return lines;
  }
  const flagged = new Set(
    (original.lockfile?.drift.changed ?? []).filter((e) => e.content).map((e) => e.path),
  );
  // A package with an install script builds or fetches files for its machine: not comparable.
  const lock =
    original.lockfile && datastore.objects.has(original.lockfile.sha256)
      ? (JSON.parse(datastore.objects.getSync(original.lockfile.sha256).toString('utf8')) as {
          packages?: Record<string, { hasInstallScript?: boolean }>;
        })
      : undefined;
  for (const [key, sha] of Object.entries(before)) {
    if (
      after[key] !== undefined &&
      after[key] !== sha &&
      !flagged.has(key) &&
      !lock?.packages?.[key]?.hasInstallScript
    ) {
      lines.push(`${key}: its installed files differ from the original run's under the same version (drift)`);
    }
  }
  return lines;
}

/**
 * A run without package-lock.json recorded a lockfile derived from its node_modules: the npm hidden
 * lockfile (resolved and integrity for every package: written as package-lock.json, then npm ci), or
 * only versions (then each top-level package is installed at exactly its recorded version).
 */
async function installDerived(
  datastore: Datastore,
  sha256: string,
  projectDir: string,
  options: ReproduceOptions,
): Promise<void> {
  const derived = JSON.parse(datastore.objects.getSync(sha256, 'derived lockfile').toString('utf8')) as {
    name?: string;
    version?: string;
    packages: Record<string, { version?: string; resolved?: string; integrity?: string; link?: boolean }>;
  };
  const keys = Object.keys(derived.packages).filter((key) => key.includes('node_modules/'));
  if (keys.length === 0) {
    return;
  }
  const manifestFile = path.join(projectDir, 'package.json');
  const root = derived.packages[''] as { dependencies?: Record<string, string> } | undefined;
  if (!fs.existsSync(manifestFile)) {
    fs.writeFileSync(
      manifestFile,
      JSON.stringify(
        {
          name: derived.name ?? 'reproduction',
          version: derived.version ?? '0.0.0',
          private: true,
          dependencies: root?.dependencies ?? {},
        },
        null,
        2,
      ) + '\n',
    );
  }
  const exact = keys.every(
    (key) =>
      derived.packages[key].link || (derived.packages[key].resolved && derived.packages[key].integrity),
  );
  if (exact) {
    fs.writeFileSync(path.join(projectDir, 'package-lock.json'), JSON.stringify(derived, null, 2) + '\n');
    options.write('the run had no package-lock.json: installing the one derived from its node_modules\n');
    return npmCi(projectDir, options);
  }
  const topLevel = keys.filter((key) => key.split('node_modules/').length === 2);
  const specs = topLevel.map(
    (key) => `${key.slice('node_modules/'.length)}@${derived.packages[key].version}`,
  );
  options.write(`the run had no package-lock.json: installing the recorded versions ${specs.join(' ')}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await spawnStreaming(
    npm,
    ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
    { cwd: projectDir, env: process.env, write: options.write, warn: options.warn },
  );
  if (code !== 0) {
    throw new ReproduceError(`npm install of the recorded versions failed in ${projectDir} (exit ${code})`);
  }
}

/** How `--param` spells a recorded value so that `cellflow run` reads the same value back. */
function paramText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The cellflow that re-runs the flow: the project's own locked copy when it has one (exactly the
 * recorded version), else this one. A project that is cellflow itself (the examples) uses this one.
 */
function chooseCellflow(projectDir: string): { bin: string; version: string; why: string } {
  const locked = path.join(projectDir, 'node_modules', 'cellflow');
  const lockedBin = path.join(locked, 'bin', 'cellflow.js');
  if (fs.existsSync(lockedBin)) {
    const version = (
      JSON.parse(fs.readFileSync(path.join(locked, 'package.json'), 'utf8')) as { version: string }
    ).version;
    return { bin: lockedBin, version, why: "the project's locked copy" };
  }
  return {
    bin: path.join(cellflowRoot(), 'bin', 'cellflow.js'),
    version: cellflowVersion(),
    why: 'the project does not lock cellflow; this installation',
  };
}

/**
 * Links `installed`'s node_modules into the clean project when both lockfiles are the same bytes
 * (npm ci of one lockfile installs the same tree); false, with the reason, when they are not.
 */
function linkInstalled(projectDir: string, installed: string, options: ReproduceOptions): boolean {
  const from = path.resolve(installed);
  const theirs = path.join(from, 'package-lock.json');
  const ours = path.join(projectDir, 'package-lock.json');
  const modules = path.join(from, 'node_modules');
  const same =
    fs.existsSync(theirs) &&
    fs.existsSync(ours) &&
    fs.existsSync(modules) &&
    fs.readFileSync(theirs).equals(fs.readFileSync(ours));
  if (!same) {
    options.write(
      `--installed ${installed}: its package-lock.json or node_modules is not the reproduction's; installing\n`,
    );
    return false;
  }
  fs.symlinkSync(modules, path.join(projectDir, 'node_modules'), 'dir');
  options.write(
    `using the packages npm ci installed in ${from} from the same lockfile (not installed again)\n`,
  );
  return true;
}

/** Links the original run's node_modules into the clean project when it matches the record. */
async function reuseOriginal(
  datastore: Datastore,
  original: RunRecord,
  materialized: Materialized,
  options: ReproduceOptions,
): Promise<boolean> {
  const match = await matchingInstall(original, datastore.objects);
  if (match.dir === undefined) {
    options.write(`the original run's packages cannot be reused (${match.why}): installing\n`);
    return false;
  }
  fs.symlinkSync(
    path.join(match.dir, 'node_modules'),
    path.join(materialized.projectDir, 'node_modules'),
    'dir',
  );
  options.write(
    `using the packages installed in ${match.dir}: the lockfile, every installed version and the files of the ${match.packages} package(s) the flow loads are as the run recorded (not installed again)\n`,
  );
  return true;
}

async function npmCi(projectDir: string, options: ReproduceOptions): Promise<void> {
  options.write(`npm ci in ${projectDir}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // --prefer-offline: the locked tarballs are checked by integrity, so a cached one is as good as
  // the registry's, and asking the registry about each package was most of the install's time.
  const code = await spawnStreaming(
    npm,
    ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: projectDir,
      env: process.env,
      write: options.write,
      warn: options.warn,
    },
  );
  if (code !== 0) {
    throw new ReproduceError(`npm ci failed in ${projectDir} (exit ${code})`);
  }
}

function spawnStreaming(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; write: (t: string) => void; warn: (t: string) => void },
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => options.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => options.warn(d.toString()));
    child.on('error', (error) => reject(new ReproduceError(`cannot start ${command}: ${error.message}`)));
    child.on('close', (code) => resolve(code));
  });
}
