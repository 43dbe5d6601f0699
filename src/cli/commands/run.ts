// `cellflow run`: compile a notebook (or load a .flow.ts) and run it on the local scheduler.
import { InvalidArgumentError, type Command } from 'commander';
import * as path from 'path';
import { loadFlowSourceCached } from '../../runtime/loading';
import { Datastore, UserInputError } from '../../runtime';
import {
  ConsoleReporter,
  DEFAULT_MAX_ITERATIONS,
  describeParameters,
  type EngineChoice,
  RunEventReporter,
  runFlow,
  type RunReporter,
  type RunResult,
} from '../../runtime/execution';
import { collect, parseCount, parseInteger, parseIsolation } from './options';
import type { CliIO } from '../io';

export function registerRun(program: Command, io: CliIO): void {
  program
    .command('run')
    .description('run a notebook (or an exported .flow.ts) as a flow on the local scheduler')
    .argument('<notebook>', 'NB.ipynb or FILE.flow.ts')
    .option('--param <name=value>', 'override a parameter (repeatable)', collect, [])
    .option('--tag <tag>', 'tag the run (repeatable)', collect, [])
    .option('--max-workers <n>', 'tasks run at once (default: CPU count)', parseCount)
    .option(
      '--seed <n>',
      'fix the seed of current.random() for every task, recorded with the run',
      parseInteger,
    )
    .option('--run-id-file <file>', "write the new run's pathspec to FILE")
    .option('--events-fd <fd>', EVENTS_FD_HELP, parseFd)
    .option(
      '--max-iterations <n>',
      `fail the run when a loop runs a step more than N times (default: ${DEFAULT_MAX_ITERATIONS})`,
      parseCount,
    )
    .option('-q, --quiet', "do not echo the tasks' output (it is still stored)")
    .option('--list-params', "list the notebook's parameters (type, default, help text) and exit")
    .option(
      '--isolation <mode>',
      "thread (default: each task in a fresh worker thread) or process (each in a fresh OS process); a step's isolation: tag wins",
      parseIsolation,
    )
    .option('--engine <engine>', 'where the tasks run: local (default) or slurm (sbatch jobs)', parseEngine)
    .option('--partition <name>', 'Slurm: the partition the jobs go to')
    .action(async (notebook: string, opts: RunCommandOptions) => {
      if (opts.listParams) {
        const datastore = Datastore.open({ cwd: path.dirname(path.resolve(notebook)) });
        const source = loadFlowSourceCached(notebook, datastore);
        io.stdout(describeParameters(source.manifest.parameters, path.basename(notebook)));
        return;
      }
      const { reporter, run } = runReporters(path.basename(notebook), opts);
      const result = await runFlow({
        input: notebook,
        params: opts.param,
        tags: opts.tag,
        maxWorkers: opts.maxWorkers,
        seed: opts.seed,
        runIdFile: opts.runIdFile,
        maxIterations: opts.maxIterations,
        reporter: run,
        engine: engineChoice(opts.engine, opts.partition),
        isolation: opts.isolation,
      });
      io.exitCode = finishRun(result, reporter, run, io);
    });
}

export const EVENTS_FD_HELP =
  "write the run's events (run/task started, finished, failed) as JSON lines to file descriptor FD; " +
  "with 1 (stdout), the run's own output goes to stderr";

export function parseFd(value: string): number {
  const fd = Number(value);
  if (!/^\d+$/.test(value) || fd < 1 || fd === 2) {
    throw new InvalidArgumentError(
      `'${value}' is not a file descriptor to write events to (1, or 3 and up).`,
    );
  }
  return fd;
}

/** The console reporter and, with --events-fd, the event writer in front of it (what the run calls). */
export function runReporters(
  notebook: string,
  opts: { quiet?: boolean; eventsFd?: number },
): { reporter: ConsoleReporter; run: RunReporter } {
  // Events on stdout: the human output moves to stderr so that stdout is only JSON lines.
  const out = opts.eventsFd === 1 ? process.stderr : process.stdout;
  const reporter = new ConsoleReporter(notebook, out, opts.quiet);
  return {
    reporter,
    run: opts.eventsFd === undefined ? reporter : new RunEventReporter(reporter, opts.eventsFd),
  };
}

/** After `run`/`resume`: the run-finished event, then the closing lines; the exit code. */
export function finishRun(result: RunResult, reporter: ConsoleReporter, run: RunReporter, io: CliIO): number {
  if (!(run instanceof RunEventReporter)) {
    return reportRunResult(result, reporter, io);
  }
  const status = result.record.status;
  run.emit({
    event: 'run-finished',
    pathspec: result.pathspec,
    status: status === 'succeeded' || status === 'cancelled' ? status : 'failed',
  });
  return reportRunResult(result, reporter, io, run.fd === 1);
}

interface RunCommandOptions {
  param: string[];
  tag: string[];
  maxWorkers?: number;
  seed?: number;
  runIdFile?: string;
  eventsFd?: number;
  maxIterations?: number;
  quiet?: boolean;
  listParams?: boolean;
  engine?: EngineChoice['name'];
  partition?: string;
  isolation?: 'thread' | 'process';
}

export function parseEngine(value: string): EngineChoice['name'] {
  if (value !== 'local' && value !== 'slurm') {
    throw new InvalidArgumentError(`'${value}' is not an engine (local, slurm).`);
  }
  return value;
}

export function engineChoice(
  name: EngineChoice['name'] | undefined,
  partition: string | undefined,
): EngineChoice | undefined {
  if (partition && name !== 'slurm') {
    throw new UserInputError('--partition needs --engine slurm.');
  }
  if (!name) {
    return undefined;
  }
  return { name, ...(partition ? { partition } : {}) };
}

/** The closing lines of `run` and `resume`: outcome, where the record is, how to look at it. */
export function reportRunResult(
  result: RunResult,
  reporter: ConsoleReporter,
  io: CliIO,
  toStderr = false,
): number {
  const { record, pathspec } = result;
  const verdict = result.ok
    ? '✓ run succeeded'
    : record.status === 'cancelled'
      ? '✗ run cancelled (interrupted)'
      : '✗ run failed';
  (toStderr ? io.stderr : io.stdout).call(
    io,
    [
      `${verdict}: ${pathspec} (${reporter.summary()})`,
      `  record:  ${result.recordLocation}`,
      `  inspect: cellflow inspect ${pathspec}`,
      ...(result.ok ? [] : [`  resume:  cellflow resume ${pathspec}`]),
      '',
    ].join('\n'),
  );
  return result.ok ? 0 : 1;
}
