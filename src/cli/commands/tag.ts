// `cellflow tag add|remove|list RUN [TAG...]`: label runs, then filter `cellflow runs --tag` and
// `flow.runs({ tags })` by them. Tags live in run.json.
import type { Command } from 'commander';
import { Run } from '../../client/run';
import { Datastore } from '../../runtime';
import type { CliIO } from '../io';

export function registerTag(program: Command, io: CliIO): void {
  const tag = program.command('tag').description("add, remove or list a run's tags");
  tag
    .command('add')
    .description('add tags to a run')
    .argument('<run>', 'Flow/runId')
    .argument('<tags...>', 'tags to add')
    .action((pathspec: string, tags: string[]) => {
      const run = Run.get(pathspec, Datastore.open());
      for (const t of tags) {
        run.addTag(t);
      }
      io.stdout(`${run.pathspec}: ${run.tags.join(', ') || '(no tags)'}\n`);
    });
  tag
    .command('remove')
    .description('remove tags from a run')
    .argument('<run>', 'Flow/runId')
    .argument('<tags...>', 'tags to remove')
    .action((pathspec: string, tags: string[]) => {
      const run = Run.get(pathspec, Datastore.open());
      for (const t of tags) {
        run.removeTag(t);
      }
      io.stdout(`${run.pathspec}: ${run.tags.join(', ') || '(no tags)'}\n`);
    });
  tag
    .command('list')
    .description("print a run's tags, one a line")
    .argument('<run>', 'Flow/runId')
    .action((pathspec: string) => {
      const run = Run.get(pathspec, Datastore.open());
      io.stdout(run.tags.map((t) => `${t}\n`).join(''));
    });
}
