// `cellflow deploy NB --engine argo --datastore s3://...`: write the notebook's flow as Argo Workflows
// manifests (a WorkflowTemplate, and a CronWorkflow with a schedule) for `kubectl apply -f`.
import type { Command } from 'commander';
import * as fs from 'fs';
import { compileNotebook } from '../../core';
import { argoDocument, argoManifests } from '../../runtime/engines/argo-manifest';
import { UserInputError } from '../../runtime/errors';
import { kubectlApply } from '../../runtime/engines/kubectl';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

const ENGINES = ['argo'];

export function registerDeploy(program: Command, io: CliIO): void {
  program
    .command('deploy')
    .description("write the flow as a scheduler's own description (Argo: WorkflowTemplate, CronWorkflow)")
    .argument('<notebook>', 'tagged notebook (.ipynb)')
    .requiredOption('--engine <engine>', `where the flow is deployed: ${ENGINES.join(', ')}`)
    .option(
      '--schedule <cron>',
      "also a CronWorkflow on this schedule (default: the notebook's metadata.cellflow.schedule)",
    )
    .option('--image <image>', 'the task image: Node and cellflow on the PATH', 'cellflow-task:latest')
    .option('--namespace <namespace>', 'Kubernetes namespace of the manifests')
    .option(
      '--from-run <run>',
      'Flow/RUN (on the same datastore) whose code and dependencies each workflow reuses: its first pod writes the run record',
    )
    .option('--submit', "also apply them with kubectl (its current context's cluster)")
    .option(
      '-o, --output <file>',
      "where to write the manifests, JSON (default: '-', stdout; with --submit, only kubectl's report)",
      '-',
    )
    .action(
      (
        file: string,
        options: {
          engine: string;
          schedule?: string;
          image: string;
          namespace?: string;
          output: string;
          submit?: boolean;
          fromRun?: string;
        },
      ) => {
        if (!ENGINES.includes(options.engine)) {
          throw new UserInputError(
            `--engine ${options.engine}: deploy writes manifests for ${ENGINES.join(', ')} (Slurm runs with cellflow run --engine slurm).`,
          );
        }
        // The global --datastore option (or $CELLFLOW_DATASTORE) names the datastore the pods share.
        const datastore = process.env.CELLFLOW_DATASTORE;
        if (!datastore) {
          throw new UserInputError(
            `${file}: deploy needs --datastore s3://BUCKET/PREFIX, the datastore every pod opens.`,
          );
        }
        const text = readNotebookFile(file);
        const compiled = compileNotebook(text, file);
        const schedule = options.schedule ?? notebookSchedule(text, file);
        if (options.fromRun && options.fromRun.split('/')[0] !== compiled.manifest.flow) {
          throw new UserInputError(
            `--from-run ${options.fromRun}: not a run of flow ${compiled.manifest.flow} (expected ${compiled.manifest.flow}/RUN_ID).`,
          );
        }
        const manifests = argoManifests(compiled.manifest, {
          datastore,
          image: options.image,
          ...(schedule ? { schedule } : {}),
          ...(options.namespace ? { namespace: options.namespace } : {}),
          ...(options.fromRun ? { fromRun: options.fromRun } : {}),
        });
        const json = JSON.stringify(argoDocument(manifests), null, 2) + '\n';
        if (options.submit) {
          // Applied first: a cluster that refuses them leaves no file that looks deployed.
          io.stdout(kubectlApply(json, options.namespace));
          if (options.output === '-') {
            return;
          }
        }
        if (options.output === '-') {
          return void io.stdout(json);
        }
        try {
          fs.writeFileSync(options.output, json);
        } catch (error) {
          throw new UserInputError(
            `${options.output}: cannot write the manifests (${(error as NodeJS.ErrnoException).code ?? error}).`,
          );
        }
        const kinds = manifests.map((m) => m.kind).join(' and ');
        io.stdout(`${file} → ${options.output} (${kinds} '${compiled.manifest.flow}')\n`);
      },
    );
}

/** `metadata.cellflow.schedule` of the notebook, when it has one. */
function notebookSchedule(text: string, file: string): string | undefined {
  const metadata = (JSON.parse(text) as { metadata?: { cellflow?: { schedule?: unknown } } }).metadata;
  const schedule = metadata?.cellflow?.schedule;
  if (schedule === undefined) {
    return undefined;
  }
  if (typeof schedule !== 'string' || schedule.trim() === '') {
    throw new UserInputError(`${file}: metadata.cellflow.schedule must be a cron expression (a string).`);
  }
  return schedule;
}
