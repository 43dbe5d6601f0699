// `cellflow logs RUN/STEP/TASK [--attempt N] [--stderr]`: a task attempt's output, as it was printed.
import type { Command } from 'commander';
import { Task } from '../../client/task';
import { Datastore, NotFoundError, parsePathspec, PathspecError } from '../../runtime';
import { parseInteger } from './options';
import type { CliIO } from '../io';

interface LogsOptions {
  attempt?: number;
  stderr?: boolean;
}

export function registerLogs(program: Command, io: CliIO): void {
  program
    .command('logs')
    .description("print a task's stdout (or stderr) for its latest attempt, or another one")
    .argument('<pathspec>', 'Flow/runId/step/taskId')
    .option('--attempt <n>', 'attempt number (0 is the first; default: the latest)', parseInteger)
    .option('--stderr', 'print stderr instead of stdout')
    .action(async (pathspec: string, options: LogsOptions) => {
      io.stdout(await taskLog(Datastore.open(), pathspec, options));
    });
}

export async function taskLog(datastore: Datastore, pathspec: string, options: LogsOptions): Promise<string> {
  const spec = parsePathspec(pathspec);
  if (!spec.taskId) {
    throw new PathspecError(`logs needs a task: Flow/runId/step/taskId, not ${JSON.stringify(pathspec)}`);
  }
  const task = Task.get(pathspec, datastore);
  const attempts = task.attempts.map((a) => a.attempt);
  if (options.attempt !== undefined && !attempts.includes(options.attempt)) {
    const known = attempts.length ? `it has attempts ${attempts.join(', ')}` : 'it has not started';
    throw new NotFoundError(`task ${task.pathspec} has no attempt ${options.attempt} (${known})`);
  }
  return task.log(options.stderr ? 'stderr' : 'stdout', options.attempt ?? task.currentAttempt);
}
