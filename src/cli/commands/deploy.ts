// `cellflow deploy NB --engine argo --datastore s3://...`: publish the notebook's code to the datastore
// as a deployment and write the flow as Argo Workflows manifests that run it (a WorkflowTemplate, and
// a CronWorkflow with a schedule) for `kubectl apply -f`.
// `cellflow deploy NB --engine slurm --schedule CRON`: install the flow's entry in the user's
// scrontab (each firing a `cellflow run NB --engine slurm` batch job); `--remove` takes it away.
import type { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compileNotebook, cronProblem, scheduleOf, type JsonValue } from '../../core';
import {
  Datastore,
  isS3Location,
  parseRunPathspec,
  resolveDatastoreLocation,
  UserInputError,
} from '../../runtime';
import {
  argoDocument,
  argoManifests,
  cellflowCommand,
  cronBlock,
  cronJob,
  DEFAULT_S3_SECRET,
  flowBlock,
  kubectlApply,
  kubectlContext,
  newDeploymentId,
  publishDeployment,
  readCrontab,
  withFlowBlock,
  writeCrontab,
} from '../../runtime/engines';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

const ENGINES = ['argo', 'slurm'];

/**
 * Variables a Slurm cron job is given from deploy's environment (the job otherwise has the user's
 * login environment): how cellflow starts on the nodes, where the jobs' output goes, where Node
 * finds packages, and which S3 endpoint, region and profile; never credentials.
 */
const SLURM_CRON_ENV = [
  'CELLFLOW_SLURM_COMMAND',
  'CELLFLOW_SLURM_LOG_DIR',
  'NODE_PATH',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_REGION',
  'AWS_PROFILE',
];

export function registerDeploy(program: Command, io: CliIO): void {
  program
    .command('deploy')
    .description(
      'hand the flow to a scheduler in its own terms (Argo: WorkflowTemplate, CronWorkflow; Slurm: a scrontab entry)',
    )
    .argument('<notebook>', 'tagged notebook (.ipynb)')
    .requiredOption('--engine <engine>', `where the flow is deployed: ${ENGINES.join(', ')}`)
    .option(
      '--schedule <cron>',
      "Argo: also a CronWorkflow on this schedule; Slurm: the scrontab entry's schedule (default: the notebook's metadata.cellflow.schedule)",
    )
    .option('--partition <name>', 'Slurm: the partition of the cron job and of the jobs of its runs')
    .option('--remove', "Slurm: take the flow's scrontab entry away")
    .option('--image <image>', 'the task image: Node and cellflow on the PATH', 'cellflow-task:latest')
    .option('--namespace <namespace>', 'Kubernetes namespace of the manifests')
    .option(
      '--s3-secret <name>',
      'Argo: the Secret whose keys every pod gets as environment variables (the S3 credentials)',
      DEFAULT_S3_SECRET,
    )
    .option('--no-s3-secret', "Argo: no Secret (the pods' service account or node role reaches the bucket)")
    .option('--service-account <name>', "Argo: the pods' Kubernetes service account")
    .option(
      '--from-run <run>',
      "Argo: reuse the code and dependencies of Flow/RUN (on the same datastore) instead of publishing the notebook's",
    )
    .option('--submit', "also apply them with kubectl (its current context's cluster)")
    .option(
      '-o, --output <file>',
      "where to write the manifests, JSON (default: '-', stdout; with --submit, only kubectl's report)",
      '-',
    )
    .action(
      async (
        file: string,
        options: {
          engine: string;
          schedule?: string;
          image: string;
          namespace?: string;
          output: string;
          submit?: boolean;
          fromRun?: string;
          partition?: string;
          remove?: boolean;
          s3Secret: string | false;
          serviceAccount?: string;
        },
      ) => {
        if (!ENGINES.includes(options.engine)) {
          throw new UserInputError(`--engine ${options.engine}: deploy knows ${ENGINES.join(', ')}.`);
        }
        if (options.engine === 'slurm') {
          return deploySlurm(file, options, io);
        }
        if (options.remove || options.partition) {
          throw new UserInputError(
            `${options.remove ? '--remove' : '--partition'} is for --engine slurm (remove Argo's manifests with kubectl delete).`,
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
        const schedule = chosenSchedule(options.schedule, text, file);
        if (options.fromRun && parseRunPathspec(options.fromRun).flow !== compiled.manifest.flow) {
          throw new UserInputError(
            `--from-run ${options.fromRun}: not a run of flow ${compiled.manifest.flow} (expected ${compiled.manifest.flow}/RUN_ID).`,
          );
        }
        for (const [option, name] of [
          ['--s3-secret', options.s3Secret],
          ['--service-account', options.serviceAccount],
        ] as const) {
          // Kubernetes object names: DNS subdomains.
          if (name && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
            throw new UserInputError(
              `${option} '${name}': not a Kubernetes name (lower-case letters, digits, '-' and '.').`,
            );
          }
        }
        // Made here so that the manifests naming it are built (and a flow Argo cannot run refused)
        // before anything is written to the datastore.
        const deployment = options.fromRun ? undefined : newDeploymentId();
        const manifests = argoManifests(compiled.manifest, {
          datastore,
          image: options.image,
          ...(schedule ? { schedule } : {}),
          ...(options.namespace ? { namespace: options.namespace } : {}),
          ...(deployment ? { deployment } : { fromRun: options.fromRun }),
          ...(options.s3Secret ? { s3Secret: options.s3Secret } : {}),
          ...(options.serviceAccount ? { serviceAccount: options.serviceAccount } : {}),
        });
        if (options.submit) {
          kubectlContext();
        }
        if (deployment) {
          const published = await publishDeployment(Datastore.open(), file, deployment);
          for (const warning of published.warnings) {
            io.stderr(`${file}: warning: ${warning}\n`);
          }
          io.stderr(
            `${file}: published flow ${compiled.manifest.flow} as deployment ${deployment} on ${datastore}\n`,
          );
        }
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

/** --schedule, else the notebook's `metadata.cellflow.schedule`; a malformed one is bad input. */
function chosenSchedule(option: string | undefined, text: string, file: string): string | undefined {
  if (option !== undefined) {
    const problem = cronProblem(option);
    if (problem) {
      throw new UserInputError(`--schedule: ${problem}.`);
    }
    return option.trim();
  }
  const metadata = (JSON.parse(text) as { metadata?: Record<string, JsonValue> }).metadata;
  const { schedule, problem } = scheduleOf(metadata);
  if (problem) {
    throw new UserInputError(`${file}: ${problem}.`);
  }
  return schedule;
}

/** The flow's scrontab entry: installed (replacing an earlier one) or, with --remove, taken away. */
function deploySlurm(
  file: string,
  options: { schedule?: string; partition?: string; remove?: boolean; submit?: boolean; fromRun?: string },
  io: CliIO,
): void {
  if (options.submit || options.fromRun) {
    throw new UserInputError(`${options.submit ? '--submit' : '--from-run'} is for --engine argo.`);
  }
  const text = readNotebookFile(file);
  const flow = compileNotebook(text, file).manifest.flow;
  if (options.remove) {
    if (options.schedule) {
      throw new UserInputError('--remove takes no --schedule.');
    }
    const crontab = readCrontab();
    if (flowBlock(crontab, flow) === undefined) {
      return void io.stdout(`no scrontab entry for flow '${flow}': nothing removed\n`);
    }
    writeCrontab(withFlowBlock(crontab, flow, undefined));
    return void io.stdout(`removed flow '${flow}' from the scrontab\n`);
  }
  const schedule = chosenSchedule(options.schedule, text, file);
  if (!schedule) {
    throw new UserInputError(
      `${file}: deploy --engine slurm needs --schedule CRON or the notebook's metadata.cellflow.schedule (to run it once: cellflow run --engine slurm).`,
    );
  }
  // The job runs where deploy ran, on the datastore deploy resolves now (the job's environment
  // will not have $CELLFLOW_HOME or $CELLFLOW_DATASTORE).
  const cwd = process.cwd();
  const datastore = resolveDatastoreLocation();
  const logDir = process.env.CELLFLOW_SLURM_LOG_DIR
    ? path.join(process.env.CELLFLOW_SLURM_LOG_DIR, flow)
    : isS3Location(datastore)
      ? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cellflow', 'slurm', flow)
      : path.join(datastore, 'cache', 'slurm', flow);
  fs.mkdirSync(logDir, { recursive: true });
  const env = Object.fromEntries(
    SLURM_CRON_ENV.filter((name) => process.env[name]).map((name) => [name, process.env[name]!]),
  );
  const block = cronBlock({
    flow,
    schedule,
    command: [
      ...cellflowCommand(),
      '--datastore',
      datastore,
      'run',
      path.resolve(file),
      '--engine',
      'slurm',
      ...(options.partition ? ['--partition', options.partition] : []),
    ],
    env,
    chdir: cwd,
    output: path.join(logDir, 'cron-%j.out'),
    ...(options.partition ? { partition: options.partition } : {}),
  });
  const crontab = readCrontab();
  const replaced = flowBlock(crontab, flow) !== undefined;
  writeCrontab(withFlowBlock(crontab, flow, block));
  const job = cronJob(flow);
  io.stdout(
    [
      `${replaced ? 'replaced' : 'installed'} flow '${flow}' in the scrontab: '${schedule}'${job ? ` (job ${job.jobId}, next start ${job.nextStart})` : ''}`,
      `  runs:   cellflow run ${path.resolve(file)} --engine slurm on ${datastore}`,
      `  output: ${path.join(logDir, 'cron-JOBID.out')}`,
      `  list:   scrontab -l; remove: cellflow deploy ${file} --engine slurm --remove`,
      '',
    ].join('\n'),
  );
}
