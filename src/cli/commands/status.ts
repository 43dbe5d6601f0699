// `cellflow status RUN [--json]`: what differs now from what a run used (exit 1 when anything does).
import type { Command } from 'commander';
import type { CliIO } from '../io';

export function registerStatus(program: Command, io: CliIO): void {
  program
    .command('status')
    .description(
      'compare a run with the project now: changed or deleted data inputs, changed sources, drifted dependencies, environment differences (exit 0 when nothing differs, 1 otherwise)',
    )
    .argument('<run>', 'run pathspec Flow/runId')
    .option('--json', 'print the report as JSON')
    .action(async (run: string, opts: { json?: boolean }) => {
      const { runStatus, formatStatus } = await import('../../runtime/repro/replay');
      const report = runStatus(run);
      io.stdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
      io.exitCode = report.clean ? 0 : 1;
    });
}
