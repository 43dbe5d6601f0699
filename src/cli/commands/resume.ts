// `cellflow resume`: a new run that reuses the origin's successful tasks before the resume point.
import type { Command } from 'commander';
import * as path from 'path';
import { DEFAULT_MAX_ITERATIONS, type EngineChoice, resumeRun } from '../../runtime/execution';
import { parseCount, parseIsolation } from './options';
import { engineChoice, EVENTS_FD_HELP, finishRun, parseEngine, parseFd, runReporters } from './run';
import type { CliIO } from '../io';

export function registerResume(program: Command, io: CliIO): void {
  program
    .command('resume')
    .description('re-run a failed (or any) run from a step, reusing every successful task before it')
    .argument('<run>', 'run pathspec Flow/runId')
    .option('--from <step>', 'step to resume from (default: the first failed step)')
    .option('--max-workers <n>', 'tasks run at once (default: CPU count)', parseCount)
    .option('--run-id-file <file>', "write the new run's pathspec to FILE")
    .option('--events-fd <fd>', EVENTS_FD_HELP, parseFd)
    .option(
      '--max-iterations <n>',
      `fail the run when a loop runs a step more than N times (default: ${DEFAULT_MAX_ITERATIONS})`,
      parseCount,
    )
    .option('-q, --quiet', "do not echo the tasks' output (it is still stored)")
    .option(
      '--isolation <mode>',
      "thread (default: each task in a fresh worker thread) or process (each in a fresh OS process); a step's isolation: tag wins",
      parseIsolation,
    )
    .option(
      '--engine <engine>',
      "where the tasks run: local or slurm (default: the origin run's)",
      parseEngine,
    )
    .option('--partition <name>', 'Slurm: the partition the jobs go to')
    .action(
      async (
        run: string,
        opts: {
          from?: string;
          maxWorkers?: number;
          runIdFile?: string;
          eventsFd?: number;
          maxIterations?: number;
          quiet?: boolean;
          engine?: EngineChoice['name'];
          partition?: string;
          isolation?: 'thread' | 'process';
        },
      ) => {
        const { reporter, run: runReporter } = runReporters(path.basename(run), opts);
        const result = await resumeRun({
          pathspec: run,
          fromStep: opts.from,
          maxWorkers: opts.maxWorkers,
          runIdFile: opts.runIdFile,
          maxIterations: opts.maxIterations,
          reporter: runReporter,
          engine: engineChoice(opts.engine, opts.partition),
          isolation: opts.isolation,
        });
        io.exitCode = finishRun(result, reporter, runReporter, io);
      },
    );
}
