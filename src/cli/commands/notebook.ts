// `cellflow notebook RUN [-o FILE]`: the run as an executed notebook (client/executed-notebook.ts),
// the notebook it was made from with every step's outputs from that run, as papermill leaves one.
import type { Command } from 'commander';
import * as path from 'path';
import {
  executedNotebook,
  executedNotebookName,
  notebookText,
  writeExecutedNotebook,
} from '../../client/executed-notebook';
import { Run } from '../../client/run';
import { Datastore, parsePathspec, PathspecError } from '../../runtime';
import type { CliIO } from '../io';

export function registerNotebook(program: Command, io: CliIO): void {
  program
    .command('notebook')
    .description("write a run as an executed notebook: its notebook with every step's outputs from the run")
    .argument('<run>', 'Flow/runId')
    .option('-o, --output <file>', 'where to write it, - for stdout (default: <notebook>-<runId>.ipynb here)')
    .action(async (pathspec: string, options: { output?: string }) => {
      const spec = parsePathspec(pathspec);
      if (!spec.runId || spec.step) {
        throw new PathspecError(`notebook needs a run: Flow/runId, not ${JSON.stringify(pathspec)}`);
      }
      const run = Run.get(pathspec, Datastore.open());
      if (options.output === '-') {
        io.stdout(notebookText(await executedNotebook(run)));
        return;
      }
      const out = path.resolve(options.output ?? executedNotebookName(run));
      await writeExecutedNotebook(run, out);
      io.stdout(`${out}\n`);
    });
}
