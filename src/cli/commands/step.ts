// `cellflow step`: run exactly one task of an existing run (the unit a distributed engine schedules).
import type { Command } from 'commander';
import * as path from 'path';
import { Datastore } from '../../runtime';
import { runTask, runWorkdir, taskSpecForStep } from '../../runtime/execution';
import { parseInteger } from './options';
import { beatArgoRun, foreachJoinInputs, writeArgoOutputs } from '../../runtime/engines';
import type { CliIO } from '../io';

export function registerStep(program: Command, io: CliIO): void {
  program
    .command('step')
    .description('run one task of a run (internal: what the scheduler and distributed engines call)')
    .argument('<run>', 'run pathspec Flow/runId (its run.json holds the compiled module)')
    .argument('<step>', 'step name')
    .argument('<task-id>', 'task id to create')
    .option(
      '--input-paths <paths>',
      'parent tasks, comma-separated pathspecs (Flow/runId/step/taskId or step/taskId)',
      '',
    )
    .option('--split-index <n>', 'position in the parent foreach', parseInteger)
    .option('--attempt <n>', 'attempt number', parseInteger, 0)
    .option('--iteration <n>', 'loops: earlier visits of this step at this foreach position', parseInteger)
    .option(
      '--foreach-join',
      "Argo: a foreach join's inputs are the body's tasks TASK-0..TASK-(N-1), N from the split's task TASK",
    )
    .option('--argo-outputs <dir>', "Argo: write a foreach's element indexes and a switch's case to DIR")
    .action(
      async (
        run: string,
        step: string,
        taskId: string,
        opts: {
          inputPaths: string;
          splitIndex?: number;
          attempt: number;
          iteration?: number;
          foreachJoin?: boolean;
          argoOutputs?: string;
        },
      ) => {
        const inputPaths = opts.foreachJoin
          ? foreachJoinInputs(Datastore.open(), run, step, taskId)
          : opts.inputPaths.split(',').filter(Boolean);
        const spec = taskSpecForStep({
          run,
          step,
          taskId,
          inputPaths,
          splitIndex: opts.splitIndex,
          attempt: opts.attempt,
          iteration: opts.iteration,
        });
        const datastore = Datastore.open();
        // An Argo run's liveness is its pods' beats: as each task starts (before any install) and ends.
        beat(datastore, spec.flow, spec.runId);
        // On a machine that never saw the project, the run's sources and locked dependencies come
        // from the datastore (laid out and installed once, in caches).
        const workdir = await runWorkdir(datastore, datastore.readRun(spec.flow, spec.runId));
        spec.module.filename = workdir.moduleFilename;
        process.chdir(path.dirname(spec.module.filename));
        const outcome = await runTask(spec);
        beat(datastore, spec.flow, spec.runId);
        const last = outcome.record.attempts[outcome.record.attempts.length - 1];
        if (!outcome.ok) {
          process.stderr.write(`step ${step} (task ${taskId}) failed: ${last.error?.message}\n`);
        }
        if (outcome.ok && opts.argoOutputs) {
          writeArgoOutputs(opts.argoOutputs, outcome.record);
        }
        io.exitCode = outcome.ok ? 0 : 1;
      },
    );
}

/** A heartbeat that could not be written is reported, never the task's failure. */
function beat(datastore: Datastore, flow: string, runId: string): void {
  try {
    beatArgoRun(datastore, flow, runId);
  } catch (error) {
    process.stderr.write(
      `warning: run ${flow}/${runId}: heartbeat not written (${(error as Error).message})\n`,
    );
  }
}
