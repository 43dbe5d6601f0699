// `cellflow start-run` / `cellflow finish-run`: what an Argo workflow's first pod and exit handler
// run (internal): write run Flow/<workflow name>'s record from a deployment (or an earlier run), then
// close it.
import type { Command } from 'commander';
import { Datastore, UserInputError } from '../../runtime';
import { finishRun, startRun } from '../../runtime/engines';
import type { CliIO } from '../io';
import { collect } from './options';

export function registerStartRun(program: Command, io: CliIO): void {
  program
    .command('start-run')
    .description("write a run's record from a deployment's code (internal: an Argo workflow's first pod)")
    .argument('<run>', 'the new run, Flow/runId')
    .option('--deployment <id>', 'the deployment (cellflow deploy) whose code it runs')
    .option('--from <run>', 'instead: an earlier run whose code package and dependencies it reuses')
    .option('--param <name=value>', 'a parameter of the new run (repeatable)', collect, [])
    .option('--workflow <name>', 'the Argo workflow that runs it, recorded as its engine')
    .option('--namespace <namespace>', "the workflow's Kubernetes namespace")
    .action(
      async (
        run: string,
        options: {
          deployment?: string;
          from?: string;
          param: string[];
          workflow?: string;
          namespace?: string;
        },
      ) => {
        if (Boolean(options.deployment) === Boolean(options.from)) {
          throw new UserInputError('start-run needs one of --deployment ID and --from RUN.');
        }
        const template = options.deployment ? { deployment: options.deployment } : { run: options.from! };
        const record = await startRun(Datastore.open(), run, template, options.param, {
          workflow: options.workflow,
          namespace: options.namespace,
        });
        const what = options.deployment ? `deployment ${options.deployment}` : options.from;
        io.stdout(`${record.flow}/${record.runId} started from ${what}\n`);
      },
    );
}

export function registerFinishRun(program: Command, io: CliIO): void {
  program
    .command('finish-run')
    .description("close a run's record with its workflow's status (internal: an Argo exit handler)")
    .argument('<run>', 'Flow/runId')
    .requiredOption('--status <status>', "the workflow's status: Succeeded, Failed or Error")
    .action((run: string, options: { status: string }) => {
      const record = finishRun(Datastore.open(), run, options.status);
      if (!record) {
        // The first pod failed before it wrote the record (its own log says why): nothing to close.
        return void io.stdout(
          `${run}: no run record to close (the workflow ${options.status} before start-run wrote it)\n`,
        );
      }
      io.stdout(`${record.flow}/${record.runId} ${record.status}\n`);
    });
}
