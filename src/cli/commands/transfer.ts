// `cellflow push RUN --to URL` and `cellflow pull RUN --from URL`: copy a run, with every object it
// references, from this datastore to another or from another to this one (a folder or s3://...).
import type { Command } from 'commander';
import { Datastore, parseRunPathspec } from '../../runtime';
import { copyRun, type TransferReport } from '../../runtime/datastore';
import type { CliIO } from '../io';

export function registerPush(program: Command, io: CliIO): void {
  program
    .command('push')
    .description('copy a run and every object it references to another datastore (idempotent)')
    .argument('<run>', 'Flow/runId')
    .requiredOption('--to <location>', 'destination datastore: a folder or s3://BUCKET/PREFIX')
    .option('--json', 'print the report as JSON')
    .action(async (pathspec: string, options: { to: string; json?: boolean }) => {
      const { flow, runId } = parseRunPathspec(pathspec);
      const report = await copyRun(Datastore.open(), Datastore.open({ root: options.to }), flow, runId);
      io.stdout(options.json ? JSON.stringify(report, null, 2) + '\n' : describe('pushed', report));
    });
}

export function registerPull(program: Command, io: CliIO): void {
  program
    .command('pull')
    .description(
      'copy a run and every object it references from another datastore into this one (idempotent)',
    )
    .argument('<run>', 'Flow/runId')
    .requiredOption('--from <location>', 'source datastore: a folder or s3://BUCKET/PREFIX')
    .option('--json', 'print the report as JSON')
    .action(async (pathspec: string, options: { from: string; json?: boolean }) => {
      const { flow, runId } = parseRunPathspec(pathspec);
      const report = await copyRun(Datastore.open({ root: options.from }), Datastore.open(), flow, runId);
      io.stdout(options.json ? JSON.stringify(report, null, 2) + '\n' : describe('pulled', report));
    });
}

function describe(verb: string, report: TransferReport): string {
  return (
    `${verb} ${report.pathspec} from ${report.from} to ${report.to}: ${report.tasks} tasks, ` +
    `${report.objects} objects (${report.objectsCopied} copied, ${report.bytesCopied} bytes), ` +
    `${report.recordsWritten} records and logs written\n`
  );
}
