// `cellflow reproduce RUN`: re-execute a past run from its record and compare every artifact.
import type { Command } from 'commander';
import type { EngineChoice } from '../../runtime/execution';
import { parseCount } from './options';
import { engineChoice, parseEngine } from './run';
import type { CliIO } from '../io';

export function registerReproduce(program: Command, io: CliIO): void {
  program
    .command('reproduce')
    .description(
      "materialise a run's recorded sources in a clean directory, npm ci its lockfile, re-run it with the recorded parameters and seed, and compare every artifact (exit 0 only when all are identical)",
    )
    .argument('<run>', 'run pathspec Flow/runId')
    .option(
      '--in <dir>',
      'where to reproduce: DIR itself when missing or empty, else a new directory inside it (default: a new temporary directory)',
    )
    .option(
      '--keep',
      'keep the clean directory after a successful reproduction (a failed one is always kept)',
    )
    .option(
      '--strict',
      'fail when Node differs from the record or the dependencies cannot be installed exactly',
    )
    .option(
      '--no-install',
      'skip npm ci (use what the directory resolves; a warning, an error with --strict)',
    )
    .option(
      '--installed <dir>',
      "a project directory npm ci already installed from the run's (rewritten) lockfile: its node_modules is linked instead of installing again when the lockfiles match",
    )
    .option(
      '--no-reuse',
      "always npm ci, even when the original run's node_modules is still there and exactly what it used",
    )
    .option('--max-workers <n>', 'tasks run at once (default: CPU count)', parseCount)
    .option('--run-id-file <file>', "write the reproduction's pathspec to FILE")
    .option(
      '--engine <engine>',
      "where the re-run's tasks run: local or slurm (default: where the original's ran)",
      parseEngine,
    )
    .option('--partition <name>', 'Slurm: the partition the jobs go to')
    .action(
      async (
        run: string,
        opts: {
          in?: string;
          keep?: boolean;
          strict?: boolean;
          install: boolean;
          installed?: string;
          reuse: boolean;
          maxWorkers?: number;
          runIdFile?: string;
          engine?: EngineChoice['name'];
          partition?: string;
        },
      ) => {
        // Loaded on use, like every repro module: they are heavy and no other command needs them.
        const { reproduceRun } = await import('../../runtime/repro/replay');
        const { formatComparison } = await import('../../runtime/repro/replay');
        const result = await reproduceRun({
          pathspec: run,
          dir: opts.in,
          keep: opts.keep,
          strict: opts.strict,
          install: opts.install,
          installed: opts.installed,
          reuse: opts.reuse,
          maxWorkers: opts.maxWorkers,
          runIdFile: opts.runIdFile,
          engine: engineChoice(opts.engine, opts.partition),
          write: (text) => io.stdout(text),
          warn: (text) => process.stderr.write(text),
        });
        const v = result.verdict;
        io.stdout('\n' + formatComparison(result.rows, result.valueText) + '\n');
        const verdict = result.ok ? '✓ reproduced' : '✗ not reproduced';
        const first = v.first
          ? `  first difference: step ${v.first.step}${v.first.task ? ` task ${v.first.task} ${v.first.position ?? ''}`.trimEnd() : ''}, ${v.first.artifact}: ${v.first.original} → ${v.first.reproduced}\n`
          : '';
        io.stdout(
          `${verdict}: ${run} → ${result.pathspec} (${v.identical} identical, ${v.different} different, ${v.missing} missing, ${v.added} added${result.runExitCode === 0 ? '' : '; the reproduction run failed'})\n` +
            first +
            `  why: ${v.explanation}\n` +
            (result.drift.length > 0
              ? `  drift: ${result.drift.length} package(s) differ (see the warnings above)\n`
              : '') +
            (result.kept
              ? `  kept: ${result.materialized.dir}\n`
              : `  removed the clean directory ${result.materialized.dir}\n`),
        );
        io.exitCode = result.ok ? 0 : 1;
      },
    );
}
