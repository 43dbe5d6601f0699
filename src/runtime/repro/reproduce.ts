// `cellflow reproduce`: re-execute a recorded run from its record alone. Materialise its sources in a
// clean directory, install exactly the locked dependencies (npm ci), run it again with the recorded
// parameters and seed, and compare every artifact's sha256 with the original.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { JsonValue } from '../../core/model';
import { Datastore, parseRunPathspec } from '../datastore/datastore';
import type { RunRecord } from '../records';
import { compareRuns, orderRows, type ArtifactComparison } from './compare';
import { sha256Of } from './lockfile';
import { materializeRun, type Materialized } from './materialize';
import { cellflowRoot, cellflowVersion } from './package-version';

export interface ReproduceOptions {
  pathspec: string;
  /** Clean directory to materialise into (default: a new temporary directory). */
  dir?: string;
  /** Fail instead of warning when Node differs or the dependencies cannot be installed exactly. */
  strict?: boolean;
  /** Run `npm ci` (default true). */
  install?: boolean;
  maxWorkers?: number;
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
  warnings: string[];
  materialized: Materialized;
  runExitCode: number | null;
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
  const warnings: string[] = [];
  const warn = (message: string, strictFails = false) => {
    if (strictFails && options.strict) throw new ReproduceError(`${message} (--strict)`);
    warnings.push(message);
    options.warn(`warning: ${message}\n`);
  };

  const env = original.environment;
  if (!env) warn('the run records no environment; Node and package versions cannot be checked', true);
  else {
    if (env.node !== process.version)
      warn(`Node ${process.version} here, the run used Node ${env.node}`, true);
    if (env.os.platform !== process.platform || env.arch !== process.arch)
      warn(`${process.platform}/${process.arch} here, the run used ${env.os.platform}/${env.arch}`);
  }

  const dir = path.resolve(
    options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `cellflow-reproduce-${spec.flow}-`)),
  );
  const materialized = await materializeRun(datastore, original, dir);
  options.write(
    `sources of ${options.pathspec} (from ${materialized.from === 'git' ? `git ${original.source!.git!.snapshot.commit.slice(0, 12)}` : 'the datastore'}) in ${dir}\n`,
  );

  // The files laid out must be the recorded bytes, whichever store they came from.
  for (const file of original.source!.files) {
    const written = path.join(dir, ...file.path.split('/'));
    const actual = fs.existsSync(written) ? sha256Of(fs.readFileSync(written)) : 'missing';
    if (actual !== file.sha256)
      throw new ReproduceError(
        `${file.path} in ${dir} does not match the record (sha256 ${actual.slice(0, 12)}, recorded ${file.sha256.slice(0, 12)})`,
      );
  }

  const lockfile = original.lockfile;
  const hasPackageJson = fs.existsSync(path.join(materialized.projectDir, 'package.json'));
  if (options.install === false) warn('--no-install: the locked dependencies were not installed', true);
  else if (!lockfile || lockfile.derived)
    warn('the run had no package-lock.json: its dependencies cannot be installed exactly', true);
  else if (hasPackageJson) await npmCi(materialized.projectDir, options);

  const cellflow = chooseCellflow(materialized.projectDir);
  if (env && cellflow.version !== env.versions.cellflow)
    warn(`cellflow ${cellflow.version} re-runs a run made with cellflow ${env.versions.cellflow}`);
  options.write(`running with cellflow ${cellflow.version} (${cellflow.why})\n`);

  const idFile = path.join(dir, '.cellflow-reproduce-run-id');
  const args = [cellflow.bin, 'run', materialized.input, '--run-id-file', idFile];
  if (original.seed !== undefined) args.push('--seed', String(original.seed));
  for (const [name, value] of Object.entries(original.params))
    args.push('--param', `${name}=${paramText(value)}`);
  for (const tag of original.tags) args.push('--tag', tag);
  if (options.maxWorkers) args.push('--max-workers', String(options.maxWorkers));
  const runExitCode = await spawnStreaming(process.execPath, args, {
    cwd: path.dirname(materialized.input),
    env: { ...process.env, CELLFLOW_HOME: datastore.root },
    write: options.write,
    warn: options.warn,
  });
  const newPathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : undefined;
  fs.rmSync(idFile, { force: true });
  if (!newPathspec)
    throw new ReproduceError(`the reproduction did not start (cellflow run exited ${runExitCode})`);
  if (options.runIdFile) fs.writeFileSync(options.runIdFile, newPathspec + '\n');

  const [flow, runId] = newPathspec.split('/');
  const reproduced = datastore.readRun(flow, runId);
  reproduced.origin = { kind: 'reproduce', pathspec: `${original.flow}/${original.runId}` };
  datastore.writeRun(reproduced);
  if (
    original.module &&
    reproduced.module &&
    original.module.typescriptSha256 !== reproduced.module.typescriptSha256
  )
    warn('the notebook compiled to a different flow module than in the original run');

  const rows = orderRows(
    compareRuns(datastore.listTasks(original.flow, original.runId), datastore.listTasks(flow, runId)),
    original.graph.order,
  );
  const ok = runExitCode === 0 && rows.length > 0 && rows.every((r) => r.verdict === 'identical');
  return { ok, original, reproduced, pathspec: newPathspec, rows, warnings, materialized, runExitCode };
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

async function npmCi(projectDir: string, options: ReproduceOptions): Promise<void> {
  options.write(`npm ci in ${projectDir}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await spawnStreaming(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: projectDir,
    env: process.env,
    write: options.write,
    warn: options.warn,
  });
  if (code !== 0) throw new ReproduceError(`npm ci failed in ${projectDir} (exit ${code})`);
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
