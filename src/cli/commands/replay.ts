// `cellflow replay PREDICTION_ID`: recompute a logged prediction with exactly the logged run and
// artifacts. Exit 0 when the answer is identical, 1 with the differences when it is not.
import type { Command } from 'commander';
import { Datastore } from '../../runtime';
import { replayPrediction } from '../../runtime/serve';
import type { CliIO } from '../io';

export function registerReplay(program: Command, io: CliIO): void {
  program
    .command('replay')
    .description('recompute a logged prediction with the exact run and artifacts; exit 1 if it differs')
    .argument('<id>', 'prediction id (cellflow predictions FLOW lists them)')
    .option('--json', 'print the verdict as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const replay = await replayPrediction(Datastore.open(), id);
      const { record } = replay;
      if (options.json) {
        io.stdout(
          JSON.stringify(
            {
              id,
              run: record.run,
              endpoint: record.endpoint,
              identical: replay.identical,
              differences: replay.differences,
              logged: record.response,
              replayed: replay.outcome.body,
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        const artifacts = Object.entries(record.artifacts).map(
          ([name, sha]) => `${name}@${sha.slice(0, 12)}`,
        );
        io.stdout(
          `prediction ${id}: ${record.endpoint} of ${record.run} with ${artifacts.join(', ') || 'no artifacts'}\n`,
        );
        if (record.redacted?.length) {
          io.stdout(
            `note: redacted request fields were replayed as '[redacted]': ${record.redacted.join(', ')}\n`,
          );
        }
        io.stdout(
          replay.identical
            ? `identical: status ${record.status}, response ${JSON.stringify(record.response)}\n`
            : `different:\n${replay.differences.map((d) => `  ${d}`).join('\n')}\n`,
        );
      }
      if (!replay.identical) {
        io.exitCode = 1;
      }
    });
}
