// `cellflow start-run` / `cellflow finish-run`: what an Argo workflow's first pod and exit handler
// run (internal): write run Flow/<workflow name>'s record from a deployed run, then close it.
import type { Command } from 'commander';
import { Datastore } from '../../runtime';
import { finishRun, startRunFrom } from '../../runtime/engines';
import type { CliIO } from '../io';
import { collect } from './options';

export function registerStartRun(program: Command, io: CliIO): void {
  program
    .command('start-run')
    .description("write a run's record from a deployed run's code (internal: an Argo workflow's first pod)")
    .argument('<run>', 'the new run, Flow/runId')
    .requiredOption('--from <run>', 'the deployed run whose code package and dependencies it reuses')
    .option('--param <name=value>', 'a parameter of the new run (repeatable)', collect, [])
    .option('--workflow <name>', 'the Argo workflow that runs it, recorded as its engine')
    .option('--namespace <namespace>', "the workflow's Kubernetes namespace")
    .action(
      async (
        run: string,
        options: { from: string; param: string[]; workflow?: string; namespace?: string },
      ) => {
        const record = await startRunFrom(Datastore.open(), run, options.from, options.param, {
          workflow: options.workflow,
          namespace: options.namespace,
        });
        io.stdout(`${record.flow}/${record.runId} started from ${options.from}\n`);
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
      io.stdout(`${record.flow}/${record.runId} ${record.status}\n`);
    });
}
