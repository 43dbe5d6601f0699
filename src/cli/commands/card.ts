// `cellflow card RUN[/STEP/TASK] [--out FILE] [--rows N]`: a self-contained HTML report of a run (or one
// task): status, steps, every task's attempts and artifacts with previews, the reproducibility record.
// Like Metaflow's cards, but static: the page has no scripts and everything from the run is escaped.
import type { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { Run } from '../../client/run';
import { Task } from '../../client/task';
import { artifactPreview, runDetail, taskView } from '../../client/views';
import { renderCardPage, type ArtifactPreviews } from '../../core/run-html';
import type { CellflowDisplay } from '../../core/protocol';
import { Datastore, makeDirs, parsePathspec, PathspecError, UserInputError } from '../../runtime';
import type { CliIO } from '../io';
import { parseInteger } from './options';

const MAX_TASKS_PREVIEWED = 200;

interface CardOptions {
  out?: string;
  rows: number;
}

export function registerCard(program: Command, io: CliIO): void {
  program
    .command('card')
    .description('write an HTML report of a run or task (steps, tasks, artifact previews, reproducibility)')
    .argument('<pathspec>', 'Flow/runId or Flow/runId/step/taskId')
    .option('--out <file>', 'where to write the page (default: cards/ in the datastore)')
    .option('--rows <n>', 'rows shown of each table artifact', parseInteger, 20)
    .action(async (pathspec: string, options: CardOptions) => {
      const datastore = Datastore.open();
      const page = await renderCard(datastore, pathspec, options.rows);
      // In the datastore by default, beside the run it describes: never a stray file in the project.
      const out = path.resolve(options.out ?? defaultCardPath(datastore, pathspec));
      try {
        // An --out folder that does not exist is a typo to report, as export -o does.
        if (options.out === undefined) {
          makeDirs(path.dirname(out));
        }
        fs.writeFileSync(out, page);
      } catch (error) {
        throw new UserInputError(`cannot write the card to ${out}: ${(error as Error).message}`);
      }
      io.stdout(`${out}\n`);
    });
}

/** `<datastore>/cards/<Flow>/<runId>[-<step>-<taskId>].html` */
function defaultCardPath(datastore: Datastore, pathspec: string): string {
  const spec = parsePathspec(pathspec);
  const name = [spec.runId, spec.step, spec.taskId].filter(Boolean).join('-');
  // An S3 datastore's cards are written on this machine, beside its other local caches.
  return path.join(
    datastore.isLocal ? datastore.root : datastore.cacheDir,
    'cards',
    spec.flow,
    `${name}.html`,
  );
}

export async function renderCard(datastore: Datastore, pathspec: string, rows: number): Promise<string> {
  const spec = parsePathspec(pathspec);
  if (!spec.runId || (spec.step && !spec.taskId)) {
    throw new PathspecError(
      `card needs a run or a task: Flow/runId or Flow/runId/step/taskId, not ${JSON.stringify(pathspec)}`,
    );
  }
  const tasks: Task[] = spec.taskId
    ? [Task.get(pathspec, datastore)]
    : Run.get(pathspec, datastore)
        .steps()
        .flatMap((step) => step.tasks());
  const display: CellflowDisplay = spec.taskId
    ? { kind: 'task', task: taskView(tasks[0].record) }
    : { kind: 'run', ...runDetail(Run.get(pathspec, datastore)) };
  const previews: ArtifactPreviews = {};
  // A 10,000-task foreach would make a page no one can open: values are previewed for the first tasks.
  for (const task of tasks.slice(0, MAX_TASKS_PREVIEWED)) {
    const own: ArtifactPreviews[string] = (previews[task.pathspec] = {});
    for (const name of task.artifacts()) {
      own[name] = await artifactPreview(task, name, rows);
    }
  }
  return renderCardPage(display, previews);
}
