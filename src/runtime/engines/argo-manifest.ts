// What Argo Workflows is given for a flow: a WorkflowTemplate (and a CronWorkflow for a schedule)
// whose pods each run one `cellflow step` against the S3 datastore. Pure: the same flow and options
// give the same manifest, so it is tested against Argo's JSON schema without a cluster.
//
// Shape: the DAG template `main` has one task per step outside any foreach; a foreach's body is a
// DAG template of its own, invoked once per element by `withParam` over the indexes the split pod
// writes (so the manifest's size does not depend on the element count). Task ids are positional
// (argo-task-ids.ts), so input paths are spelt from task ids, never read from other pods' outputs.
import type { FlowGraph, FlowManifest, GraphNode, JsonValue, Parameter } from '../../core/model';
import { childForeachStack, closesForeach, foreachClosedBy, foreachMove } from '../../core/step-semantics';
import { UserInputError } from '../errors';
import { killGraceMs } from '../execution/step-timeout';
import { ARGO_OUTPUTS, ROOT_TASK_ID } from './argo-task-ids';

export interface ArgoOptions {
  /** s3://BUCKET/PREFIX: every pod opens it (CELLFLOW_DATASTORE). */
  datastore: string;
  /** The task image: Node and cellflow on the PATH. */
  image: string;
  /** Cron schedule: also emit a CronWorkflow that submits the template. */
  schedule?: string;
  namespace?: string;
  /** The deployment (published by `cellflow deploy`, argo-deployment.ts) whose code every workflow
   * runs: its first pod writes the record of run Flow/<workflow name> from it, and its exit handler
   * closes that record. */
  deployment?: string;
  /** Instead of a deployment, Flow/RUN: an earlier run whose code package and dependencies every
   * workflow reuses. With neither, the pods expect run Flow/<workflow name> to exist already. */
  fromRun?: string;
  /** A Secret whose keys every pod gets as environment variables (envFrom): the S3 credentials
   * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and AWS_REGION / AWS_ENDPOINT_URL_S3 if needed).
   * Absent: none (the pods' service account or node role must reach the bucket). */
  s3Secret?: string;
  /** The pods' Kubernetes service account (e.g. one bound to a cloud role that reaches the bucket). */
  serviceAccount?: string;
}

/** The Secret `cellflow deploy --engine argo` names unless told otherwise (README says how to make it). */
export const DEFAULT_S3_SECRET = 'cellflow-s3';

type Json = { [key: string]: JsonValue };

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
/** Inside each pod: where `cellflow step --argo-outputs` writes the output parameters. */
/** The flow's DAG: with a `-`, so no step's template (named after the step) can take its name. */
export const ENTRYPOINT = 'flow-dag';
const START_RUN = 'start-run';
const FINISH_RUN = 'finish-run';
export const OUTPUTS_DIR = '/tmp/cellflow-outputs';

/** The manifests to apply: the WorkflowTemplate, then the CronWorkflow when scheduled. */
export function argoManifests(manifest: FlowManifest, options: ArgoOptions): Json[] {
  if (!options.datastore.startsWith('s3://')) {
    throw new UserInputError(
      `--datastore ${options.datastore}: Argo's pods need a shared datastore, an s3://BUCKET/PREFIX URL.`,
    );
  }
  const graph = manifest.graph;
  refuseLoops(graph);
  const name = kubernetesName(manifest.flow);
  const metadata: Json = { name, ...(options.namespace ? { namespace: options.namespace } : {}) };
  const builder = new TemplateBuilder(manifest, options);
  const template: Json = {
    apiVersion: ARGO_API_VERSION,
    kind: 'WorkflowTemplate',
    metadata: {
      ...metadata,
      labels: { 'cellflow.dev/flow': name },
      // Which code the template runs, for `kubectl get workflowtemplate -o yaml` readers.
      ...(options.deployment ? { annotations: { 'cellflow.dev/deployment': options.deployment } } : {}),
    },
    spec: {
      entrypoint: ENTRYPOINT,
      ...(builder.writesRunRecord ? { onExit: FINISH_RUN } : {}),
      ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}),
      arguments: { parameters: manifest.parameters.map(workflowParameter) },
      templates: builder.templates(),
    },
  };
  if (!options.schedule) {
    return [template];
  }
  const cron: Json = {
    apiVersion: ARGO_API_VERSION,
    kind: 'CronWorkflow',
    metadata,
    spec: {
      // `schedule` (one string) is deprecated since Argo 3.6.
      schedules: [options.schedule],
      // One run at a time: a late run is not stacked on the next.
      concurrencyPolicy: 'Forbid',
      workflowSpec: { workflowTemplateRef: { name } },
    },
  };
  return [template, cron];
}

/** One document for `kubectl apply -f`: the template alone, or a v1 List of both. */
export function argoDocument(manifests: Json[]): Json {
  return manifests.length === 1 ? manifests[0] : { apiVersion: 'v1', kind: 'List', items: manifests };
}

/** A loop goes back to an earlier step, which no DAG can: refused, naming the step. */
function refuseLoops(graph: FlowGraph): void {
  for (const step of graph.order) {
    const loops = graph.nodes[step].loops ?? [];
    if (loops.length > 0) {
      throw new UserInputError(
        `step ${step}: it loops back to ${loops.map((s) => `'${s}'`).join(', ')}; a loop cannot be expressed as an Argo DAG (run it with the local or Slurm engine).`,
      );
    }
  }
  for (const step of graph.order) {
    const node = graph.nodes[step];
    // Run by one task per parent (the cases of a switch meeting), its outputs have no one task name.
    const severalTasks = !node.isJoin && node.parents.length > 1 && step !== graph.entry;
    if (severalTasks && (node.foreach || node.switch)) {
      throw new UserInputError(
        `step ${step}: a ${node.foreach ? 'foreach' : 'switch'} where the cases of a switch meet again is not supported on Argo yet; put a plain step before it.`,
      );
    }
    if (node.branches) {
      throw new UserInputError(
        `step ${step}: a join of branches with a switch inside is not supported on Argo yet (its inputs depend on the cases taken).`,
      );
    }
  }
}

/** Kubernetes object names: lower-case DNS labels. */
export function kubernetesName(flow: string): string {
  const name = flow
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (name || 'flow').slice(0, 52); // room for the suffix of generated workflow names
}

/** Argo task and template names: letters, digits and `-`. Step names are identifiers. */
export function argoName(step: string): string {
  return step.replace(/_/g, '--');
}

function workflowParameter(p: Parameter): Json {
  return { name: p.name, value: typeof p.default === 'string' ? p.default : JSON.stringify(p.default) };
}

/** Which foreach encloses each step (the innermost split), from the acyclic graph. */
export function enclosingForeach(graph: FlowGraph): Record<string, string | undefined> {
  const stack: Record<string, string[]> = { [graph.entry]: [] };
  const queue = [graph.entry];
  while (queue.length > 0) {
    const step = queue.shift()!;
    const node = graph.nodes[step];
    for (const next of node.next) {
      if (stack[next]) {
        continue;
      }
      stack[next] = childForeachStack(stack[step], foreachMove(graph.nodes, step, next), step);
      queue.push(next);
    }
  }
  return Object.fromEntries(graph.order.map((s) => [s, (stack[s] ?? []).at(-1)]));
}

interface Region {
  /** The foreach split whose body this is; undefined for the flow DAG. */
  split?: string;
  steps: string[];
}

class TemplateBuilder {
  private readonly graph: FlowGraph;
  private readonly enclosing: Record<string, string | undefined>;

  constructor(
    private readonly manifest: FlowManifest,
    private readonly options: ArgoOptions,
  ) {
    this.graph = manifest.graph;
    this.enclosing = enclosingForeach(this.graph);
  }

  templates(): Json[] {
    const regions: Region[] = [{ steps: [] }];
    const bySplit = new Map<string | undefined, Region>([[undefined, regions[0]]]);
    for (const step of this.graph.order) {
      if (this.graph.nodes[step].foreach) {
        const region = { split: step, steps: [] };
        regions.push(region);
        bySplit.set(step, region);
      }
    }
    for (const step of this.graph.order) {
      bySplit.get(this.enclosing[step])!.steps.push(step);
    }
    return [
      ...regions.map((r) => this.dagTemplate(r)),
      ...this.graph.order.map((s) => this.stepTemplate(this.graph.nodes[s])),
      ...(this.writesRunRecord ? this.runRecordTemplates() : []),
    ];
  }

  /** Whether the workflow makes its own run: from a deployment, or from an earlier run. */
  get writesRunRecord(): boolean {
    return Boolean(this.options.deployment ?? this.options.fromRun);
  }

  /** The run's first pod writes its record from the deployment; the exit handler closes it. */
  private runRecordTemplates(): Json[] {
    const template = this.options.deployment
      ? ['--deployment', this.options.deployment]
      : ['--from', this.options.fromRun!];
    const params = this.manifest.parameters.flatMap((p) => [
      '--param',
      `${p.name}={{workflow.parameters.${p.name}}}`,
    ]);
    const container = (args: string[]): Json => ({
      image: this.options.image,
      command: ['cellflow'],
      args,
      env: [{ name: 'CELLFLOW_DATASTORE', value: this.options.datastore }],
      ...this.credentials,
    });
    return [
      {
        name: START_RUN,
        container: container([
          START_RUN,
          this.run,
          ...template,
          ...params,
          // Recorded as the run's engine, so a reader can find the workflow (kubectl get workflow).
          '--workflow',
          '{{workflow.name}}',
          '--namespace',
          '{{workflow.namespace}}',
        ]),
      },
      { name: FINISH_RUN, container: container([FINISH_RUN, this.run, '--status', '{{workflow.status}}']) },
    ];
  }

  /** The pods' S3 credentials: every key of the Secret as a variable. */
  private get credentials(): Json {
    return this.options.s3Secret ? { envFrom: [{ secretRef: { name: this.options.s3Secret } }] } : {};
  }

  private get run(): string {
    return `${this.manifest.flow}/{{workflow.name}}`;
  }

  /** The task id of the tasks of a region, as an Argo expression. */
  private regionTaskId(region: Region): string {
    return region.split === undefined ? ROOT_TASK_ID : '{{inputs.parameters.task}}';
  }

  private dagTemplate(region: Region): Json {
    const taskId = this.regionTaskId(region);
    const tasks: Json[] = [];
    if (region.split === undefined && this.writesRunRecord) {
      tasks.push({ name: START_RUN, template: START_RUN });
    }
    for (const step of region.steps) {
      const node = this.graph.nodes[step];
      tasks.push(...this.stepTasks(node, region, taskId));
      if (node.foreach) {
        tasks.push(this.foreachTask(node, taskId));
      }
    }
    return {
      name: region.split === undefined ? ENTRYPOINT : foreachTemplateName(region.split),
      ...(region.split === undefined
        ? {}
        : {
            inputs: {
              parameters: [{ name: 'task' }, { name: 'split-task' }, { name: 'split-index' }],
            },
          }),
      dag: { tasks },
    };
  }

  /** The task that runs a foreach's body once per element the split wrote. */
  private foreachTask(split: GraphNode, taskId: string): Json {
    const name = argoName(split.name);
    return {
      name: foreachTemplateName(split.name),
      template: foreachTemplateName(split.name),
      depends: `${name}.Succeeded`,
      withParam: `{{tasks.${name}.outputs.parameters.indexes}}`,
      arguments: {
        parameters: [
          { name: 'task', value: `${taskId}-{{item}}` },
          { name: 'split-task', value: taskId },
          { name: 'split-index', value: '{{item}}' },
        ],
      },
    };
  }

  /**
   * The DAG task(s) of one step. A step with several parents that is not a join (the cases of a
   * switch meeting again) runs after whichever parent ran: one task per parent, each naming that
   * parent's task as its input; the others are skipped.
   */
  private stepTasks(node: GraphNode, region: Region, taskId: string): Json[] {
    const base = { template: argoName(node.name) };
    const param = (name: string, value: string) => ({ name, value });
    if (node.name === this.graph.entry) {
      return [
        {
          name: argoName(node.name),
          ...base,
          ...(this.writesRunRecord ? { depends: `${START_RUN}.Succeeded` } : {}),
          arguments: { parameters: [param('task', taskId)] },
        },
      ];
    }
    const closedSplit = foreachClosedBy(this.graph.nodes, node.name);
    if (closedSplit !== undefined) {
      // A foreach join: its inputs are derived from the split's task (--foreach-join).
      return [
        {
          name: argoName(node.name),
          ...base,
          depends: `${foreachTemplateName(closedSplit)}.Succeeded`,
          arguments: { parameters: [param('task', taskId)] },
        },
      ];
    }
    const inputOf = (parent: string) =>
      parent === region.split ? `${parent}/{{inputs.parameters.split-task}}` : `${parent}/${taskId}`;
    const taskParams = (parents: string[]) => [
      param('task', taskId),
      param('input-paths', parents.map(inputOf).join(',')),
      ...(region.split !== undefined && parents.includes(region.split)
        ? [param('split-index', '{{inputs.parameters.split-index}}')]
        : []),
    ];
    const inRegion = node.parents.filter((p) => p !== region.split);
    if (node.isJoin || node.parents.length === 1) {
      return [
        {
          name: argoName(node.name),
          ...base,
          ...this.dependsOn(inRegion, '&&'),
          ...this.whenTaken(node.parents, node.name),
          arguments: { parameters: taskParams(node.parents) },
        },
      ];
    }
    return node.parents.map((parent) => ({
      name: `${argoName(node.name)}-via-${argoName(parent)}`,
      ...base,
      ...this.dependsOn(parent === region.split ? [] : [parent], '&&'),
      ...this.whenTaken([parent], node.name),
      arguments: { parameters: taskParams([parent]) },
    }));
  }

  /** `depends` on steps of the same region: a step that is run by several tasks succeeded in one. */
  private dependsOn(parents: string[], op: '&&'): Json {
    if (parents.length === 0) {
      return {};
    }
    const terms = parents.map((p) => {
      const names = this.taskNames(p);
      const alternatives = names.map((n) => `${n}.Succeeded`);
      return alternatives.length === 1 ? alternatives[0] : `(${alternatives.join(' || ')})`;
    });
    return { depends: terms.join(` ${op} `) };
  }

  /** The DAG task names that run a step (several for a step after a switch's cases meet). */
  taskNames(step: string): string[] {
    const node = this.graph.nodes[step];
    const foreachJoin = closesForeach(this.graph.nodes, step);
    if (step === this.graph.entry || node.isJoin || node.parents.length <= 1 || foreachJoin) {
      return [argoName(step)];
    }
    return node.parents.map((p) => `${argoName(step)}-via-${argoName(p)}`);
  }

  /** After a switch, a case runs only when the switch's pod named it. */
  private whenTaken(parents: string[], step: string): Json {
    const switches = parents.filter((p) => this.graph.nodes[p].switch);
    if (switches.length === 0) {
      return {};
    }
    return {
      when: switches.map((s) => `{{tasks.${argoName(s)}.outputs.parameters.case}} == ${step}`).join(' && '),
    };
  }

  /** The container template of a step: one `cellflow step`, as a Slurm job runs it. */
  private stepTemplate(node: GraphNode): Json {
    const { options } = node;
    const run = this.run;
    const foreachJoin = closesForeach(this.graph.nodes, node.name);
    const firstInBody = node.parents.some((p) => this.graph.nodes[p].foreach);
    const takesInputs = node.name !== this.graph.entry && !foreachJoin;
    const args = ['step', run, node.name, '{{inputs.parameters.task}}'];
    args.push('--attempt', options.retry > 0 ? '{{retries}}' : '0');
    if (takesInputs) {
      args.push('--input-paths', '{{inputs.parameters.input-paths}}');
    }
    if (firstInBody) {
      args.push('--split-index', '{{inputs.parameters.split-index}}');
    }
    if (foreachJoin) {
      args.push('--foreach-join');
    }
    const outputs: Json[] = [];
    if (node.foreach) {
      outputs.push({
        name: 'indexes',
        valueFrom: { path: `${OUTPUTS_DIR}/${ARGO_OUTPUTS.foreachIndexes}` },
      });
    }
    if (node.switch) {
      outputs.push({ name: 'case', valueFrom: { path: `${OUTPUTS_DIR}/${ARGO_OUTPUTS.switchCase}` } });
    }
    if (outputs.length > 0) {
      args.push('--argo-outputs', OUTPUTS_DIR);
    }

    const { cpu, memoryMb, gpu } = options.resources;
    const requests: Json = {
      ...(cpu ? { cpu: String(cpu) } : {}),
      ...(memoryMb ? { memory: `${memoryMb}Mi` } : {}),
    };
    const resources: Json = {
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
      ...(gpu ? { limits: { 'nvidia.com/gpu': String(gpu) } } : {}),
    };
    const env: Json[] = [{ name: 'CELLFLOW_DATASTORE', value: this.options.datastore }];
    if (memoryMb) {
      env.push({ name: 'NODE_OPTIONS', value: `--max-old-space-size=${memoryMb}` });
    }
    const parameters: Json[] = [{ name: 'task' }];
    if (takesInputs) {
      parameters.push({ name: 'input-paths' });
    }
    if (firstInBody) {
      parameters.push({ name: 'split-index' });
    }
    return {
      name: argoName(node.name),
      inputs: { parameters },
      ...(outputs.length > 0 ? { outputs: { parameters: outputs } } : {}),
      // IntOrString fields are written as strings, as Argo's own examples do.
      ...(options.retry > 0 ? { retryStrategy: { limit: String(options.retry) } } : {}),
      ...(options.timeoutSeconds
        ? {
            // The step's own timer fails it in time; Argo's deadline is the backstop (as Slurm's --time).
            activeDeadlineSeconds: String(
              Math.ceil(options.timeoutSeconds + killGraceMs(options.timeoutSeconds) / 1000),
            ),
          }
        : {}),
      container: {
        image: this.options.image,
        command: ['cellflow'],
        args,
        env,
        ...this.credentials,
        ...(Object.keys(resources).length > 0 ? { resources } : {}),
      },
    };
  }
}

function foreachTemplateName(split: string): string {
  return `${argoName(split)}-foreach`;
}
