// The Argo manifest, walked here as Argo's controller would walk it: each DAG task when its `depends`
// holds and its `when` is true, a `withParam` fan-out per element of the split's output, and each
// pod's container command run as a real `cellflow step` process against a real (local) datastore,
// with the output parameters read from the files the pod wrote. The walk must reproduce a local
// run's artifacts: a switch inside a foreach, whose join finds each element's case by task id.
import * as fs from 'fs';
import * as path from 'path';
import { compileNotebook } from '../../../src/core';
import { argoManifests, OUTPUTS_DIR } from '../../../src/runtime/engines/argo-manifest';
import { Run } from '../../../src/client';
import { Datastore, effectiveRunStatus, HEARTBEAT_STALE_MS } from '../../../src/runtime/datastore/datastore';
import { ENGINE_HEARTBEAT_STALE_MS } from '../../../src/runtime/datastore/liveness';
import type { RunRecord } from '../../../src/runtime/records';
import { cellflow } from '../../helpers/cli';
import { notebookJson, removeTempDir, tempDir, type CellSpec } from '../../helpers/notebook';
import { schemaErrors } from '../../helpers/run-schema';
import { startS3Server, useS3Env, type S3Server } from '../../helpers/s3-server';

type Obj = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const step = (name: string, source = '', ...tags: string[]): CellSpec => ({
  tags: [`step:${name}`, ...tags],
  source,
});

const CELLS: CellSpec[] = [
  { tags: ['parameters'], source: 'const scale = 100;' },
  step('start', 'self.items = [1, 2];', 'foreach:items'),
  step('body', "self.way = self.input > 1 ? 'big' : 'tiny';", 'switch:way', 'next:big', 'next:tiny'),
  step('big', 'self.v = self.input * self.scale;', 'next:gather'),
  step('tiny', 'self.v = self.input;', 'next:gather'),
  step('gather', 'self.vs = inputs.map((i) => i.v);'),
  step('end'),
];

const NESTED: CellSpec[] = [
  step('start', 'self.rows = [1, 2];', 'foreach:rows'),
  step('row', 'self.r = self.input; self.cols = [10, 20, 30];', 'foreach:cols'),
  step('cell', 'self.v = self.r * self.input;'),
  step('join_cols', 'self.vs = inputs.map((i) => i.v);'),
  step('join_rows', 'self.all = inputs.map((i) => i.vs);'),
  step('end'),
];

let dir: string;
beforeAll(() => (dir = tempDir('cellflow-argo-walk-')));
afterAll(() => removeTempDir(dir));

class Walker {
  pods: string[] = [];
  /** Called after each pod succeeds, with its step/task (or its command: start-run, finish-run). */
  afterPod?: (pod: string) => Promise<void>;
  constructor(
    private readonly templates: Map<string, Obj>,
    private readonly workflowName: string,
    /** Over the container's own env (the manifest's CELLFLOW_DATASTORE). */
    private readonly env: NodeJS.ProcessEnv,
    /** Each pod a bare machine: its own empty HOME and working folder. */
    private readonly bare = false,
    /** The workflow's arguments ({{workflow.parameters.*}}). */
    private readonly parameters: Record<string, string> = {},
    /** The namespace's Secrets, which a container's envFrom names (a missing one fails the pod). */
    private readonly secrets: Record<string, Record<string, string>> = {},
  ) {}

  /** A container's variables as the kubelet gives them: envFrom's Secrets, then env over them. */
  private containerEnv(container: Obj): Record<string, string> {
    const fromSecrets = (container.envFrom ?? []).map((source: Obj) => {
      const secret = this.secrets[source.secretRef.name];
      if (!secret) {
        throw new Error(`pod: secret "${source.secretRef.name}" not found (CreateContainerConfigError)`);
      }
      return secret;
    });
    return Object.assign({}, ...fromSecrets, ...container.env.map((e: Obj) => ({ [e.name]: e.value })));
  }

  /** The entrypoint, then the exit handler with the workflow's status. */
  async workflow(spec: Obj): Promise<void> {
    await this.template(spec.entrypoint, {});
    if (spec.onExit) {
      await this.template(spec.onExit, {});
    }
  }

  async template(name: string, inputs: Record<string, string>): Promise<Record<string, string>> {
    const template = this.templates.get(name)!;
    const fill = (text: string, extra: Record<string, string> = {}) =>
      text
        .replace(/\{\{inputs\.parameters\.([\w-]+)\}\}/g, (_, p) => inputs[p])
        .replace(/\{\{workflow\.name\}\}/g, this.workflowName)
        .replace(/\{\{workflow\.namespace\}\}/g, 'argo')
        .replace(/\{\{workflow\.parameters\.([\w-]+)\}\}/g, (_, p) => this.parameters[p])
        .replace(/\{\{workflow\.status\}\}/g, 'Succeeded')
        .replace(/\{\{(item|retries)\}\}/g, (_, k) => extra[k] ?? '0');
    if (template.container) {
      const outputs = fs.mkdtempSync(path.join(dir, 'pod-'));
      const args = template.container.args.map((a: string) => fill(a).replace(OUTPUTS_DIR, outputs));
      if (args[0] === 'step') {
        this.pods.push(args.slice(2, 4).join('/'));
      }
      const containerEnv = this.containerEnv(template.container);
      const home = this.bare ? fs.mkdtempSync(path.join(dir, 'home-')) : dir;
      const result = await cellflow(args, {
        env: {
          ...containerEnv,
          ...this.env,
          ...(this.bare ? { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') } : {}),
        },
        cwd: home,
        timeoutMs: 120_000,
      });
      if (result.code !== 0) {
        throw new Error(`pod ${args.join(' ')} failed\n${result.stderr}`);
      }
      const values: Record<string, string> = {};
      for (const o of template.outputs?.parameters ?? []) {
        values[o.name] = fs.readFileSync(o.valueFrom.path.replace(OUTPUTS_DIR, outputs), 'utf8');
      }
      await this.afterPod?.(args[0] === 'step' ? args.slice(2, 4).join('/') : args[0]);
      return values;
    }
    // A DAG: tasks run once their `depends` can be decided; false → omitted.
    const status = new Map<string, 'Succeeded' | 'Omitted'>();
    const outputs = new Map<string, Record<string, string>>();
    const tasks: Obj[] = template.dag.tasks;
    while (status.size < tasks.length) {
      const ready = tasks.filter(
        (t) =>
          !status.has(t.name) &&
          [...String(t.depends ?? '').matchAll(/([\w-]+)\.Succeeded/g)].every((m) => status.has(m[1])),
      );
      expect(ready.length).toBeGreaterThan(0);
      for (const task of ready) {
        const holds = (expression: string) =>
          Function(
            `return ${expression.replace(/([\w-]+)\.Succeeded/g, (_, n) => String(status.get(n) === 'Succeeded'))}`,
          )() as boolean;
        const taskFill = (text: string) =>
          text.replace(
            /\{\{tasks\.([\w-]+)\.outputs\.parameters\.([\w-]+)\}\}/g,
            (_, t, p) => outputs.get(t)![p],
          );
        const when = task.when ? taskFill(task.when).split(' == ') : undefined;
        if ((task.depends && !holds(task.depends)) || (when && when[0] !== when[1])) {
          status.set(task.name, 'Omitted');
          continue;
        }
        const args = (item?: string) =>
          Object.fromEntries(
            (task.arguments?.parameters ?? []).map((p: Obj) => [
              p.name,
              fill(taskFill(p.value), item === undefined ? {} : { item }),
            ]),
          );
        if (task.withParam) {
          for (const item of JSON.parse(taskFill(task.withParam)) as number[]) {
            await this.template(task.template, args(String(item)));
          }
        } else {
          outputs.set(task.name, await this.template(task.template, args()));
        }
        status.set(task.name, 'Succeeded');
      }
    }
    return {};
  }
}

/** Runs the notebook locally (which writes the run record the pods use), then walks its manifest. */
async function runAndWalk(
  name: string,
  cells: CellSpec[],
  s3?: S3Server,
  deployed?: {
    workflowName: string;
    parameters: Record<string, string>;
    /** Between pods, as the workflow runs: what readers see (`env` reaches the datastore). */
    afterPod?: (pod: string, env: NodeJS.ProcessEnv) => Promise<void>;
  },
) {
  const notebook = path.join(dir, `${name}.ipynb`);
  fs.writeFileSync(notebook, notebookJson(cells, name));
  const store = s3 ? s3.url('argo') : path.join(dir, 'store');
  const env = { ...(s3?.env ?? {}), CELLFLOW_DATASTORE: store, HOME: dir };
  const idFile = path.join(dir, 'run-id');
  const run = await cellflow(['run', notebook, '--run-id-file', idFile, '-q'], {
    env,
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(run.code).toBe(0);
  const [flow, runId] = fs.readFileSync(idFile, 'utf8').trim().split('/');

  const compiled = compileNotebook(fs.readFileSync(notebook, 'utf8'), notebook);
  const [workflowTemplate] = argoManifests(compiled.manifest, {
    // Local: the walker's CELLFLOW_DATASTORE overrides the manifest's (which must be s3://).
    datastore: s3 ? store : 's3://unused/here',
    image: 'x',
    ...(deployed ? { fromRun: `${flow}/${runId}` } : {}),
    ...(s3 ? { s3Secret: 'cellflow-s3' } : {}),
  }) as Obj[];
  const templates = new Map<string, Obj>(workflowTemplate.spec.templates.map((t: Obj) => [t.name, t]));
  // The pods reuse the run record `cellflow run` wrote (creating one in-cluster is not done yet).
  // On S3 the pods get nothing from here: the datastore is the manifest's, the credentials come from
  // the Secret its envFrom names (made as README says, from the server's keys), HOME is theirs.
  const workflowName = deployed?.workflowName ?? runId;
  const walker = s3
    ? new Walker(templates, workflowName, {}, true, deployed?.parameters, { 'cellflow-s3': s3.env })
    : new Walker(templates, workflowName, env, false, deployed?.parameters);
  const afterPod = deployed?.afterPod;
  if (afterPod) {
    walker.afterPod = (pod) => afterPod(pod, env);
  }
  await walker.workflow(workflowTemplate.spec);
  return {
    flow,
    runId: workflowName,
    localRunId: runId,
    pods: walker.pods,
    datastore: Datastore.open({ root: store }),
  };
}

test('walking the manifest with cellflow step pods reproduces a local run (switch inside a foreach)', async () => {
  const { flow, runId, pods, datastore } = await runAndWalk('Walk', CELLS);
  expect(pods).toEqual(['start/t', 'body/t-0', 'tiny/t-0', 'body/t-1', 'big/t-1', 'gather/t', 'end/t']);
  const gather = datastore.readTask(flow, runId, 'gather', 't');
  expect(gather.parents).toEqual([`${flow}/${runId}/tiny/t-0`, `${flow}/${runId}/big/t-1`]);
  expect(datastore.loadArtifactSync(gather.artifacts.vs)).toEqual([1, 200]);
  // The same bytes as the local run's join (its task ids are the local scheduler's).
  const local = datastore.listTasks(flow, runId, 'gather').find((t) => t.taskId !== 't')!;
  expect(gather.artifacts.vs.sha256).toBe(local.artifacts.vs.sha256);
}, 120_000);

test('a nested foreach: positional task ids t-i-j, each join derives its inputs', async () => {
  const { flow, runId, pods, datastore } = await runAndWalk('Nested', NESTED);
  expect(pods.filter((p) => p.startsWith('cell/'))).toEqual(
    ['t-0-0', 't-0-1', 't-0-2', 't-1-0', 't-1-1', 't-1-2'].map((t) => `cell/${t}`),
  );
  const all = datastore.readTask(flow, runId, 'join_rows', 't').artifacts.all;
  expect(datastore.loadArtifactSync(all)).toEqual([
    [10, 20, 30],
    [20, 40, 60],
  ]);
  const local = datastore.listTasks(flow, runId, 'join_rows').find((t) => t.taskId !== 't')!;
  expect(all.sha256).toBe(local.artifacts.all.sha256);
}, 120_000);

test('on S3 (versitygw), deployed from a run: the first pod writes the run record, each pod a bare machine', async () => {
  const server = await startS3Server();
  const restore = useS3Env(server);
  try {
    // Deployed from the local run: the workflow's first pod writes its own run record, with the
    // workflow's argument scale=1000, and the exit handler closes it.
    const { flow, runId, localRunId, pods, datastore } = await runAndWalk('WalkS3', CELLS, server, {
      workflowName: 'walks3-argo-1',
      parameters: { scale: '1000' },
    });
    expect(pods).toHaveLength(7);
    const record = datastore.readRun(flow, runId);
    expect(record).toMatchObject({ status: 'succeeded', params: { scale: 1000 } });
    expect(record.engine).toMatchObject({ name: 'argo', workflow: 'walks3-argo-1', namespace: 'argo' });
    expect(record.scheduler).toBeUndefined();
    expect(record.module).toEqual(datastore.readRun(flow, localRunId).module);
    expect(schemaErrors('run', record)).toEqual([]);
    const gather = datastore.readTask(flow, runId, 'gather', 't');
    expect(datastore.loadArtifactSync(gather.artifacts.vs)).toEqual([1, 2000]);
    expect(
      datastore
        .listTasks(flow, runId)
        .map((t) => t.taskId)
        .every((id) => /^t(-\d+)*$/.test(id)),
    ).toBe(true);
  } finally {
    restore();
    await server.stop();
  }
}, 180_000);

test('deployed with no run before it: deploy publishes the code to S3, and each workflow of the template (as its CronWorkflow fires) makes its own run on bare pods', async () => {
  const server = await startS3Server();
  const restore = useS3Env(server);
  try {
    const project = fs.mkdtempSync(path.join(dir, 'project-'));
    const notebook = path.join(project, 'deployed.ipynb');
    fs.writeFileSync(notebook, notebookJson(CELLS, 'Deployed'));
    const store = server.url('deployed');
    const out = path.join(project, 'argo.json');
    const deploy = await cellflow(
      ['--datastore', store, 'deploy', notebook, '--engine', 'argo', '--schedule', '0 * * * *', '-o', out],
      { env: { ...server.env, HOME: project, CELLFLOW_USER: 'alice' }, cwd: project, timeoutMs: 120_000 },
    );
    expect({ code: deploy.code, stderr: deploy.stderr }).toMatchObject({
      code: 0,
      stderr: expect.stringMatching(/published flow Deployed as deployment \S+ on s3:\/\//),
    });
    const [template, cron] = JSON.parse(fs.readFileSync(out, 'utf8')).items as Obj[];
    expect(cron.spec).toMatchObject({
      schedules: ['0 * * * *'],
      workflowSpec: { workflowTemplateRef: { name: 'deployed' } },
    });
    expect(cron.spec.schedule).toBeUndefined();
    const deploymentId: string = template.metadata.annotations['cellflow.dev/deployment'];
    const datastore = Datastore.open({ root: store });
    const deployment = datastore.readDeployment('Deployed', deploymentId);
    expect(schemaErrors('deployment', deployment)).toEqual([]);
    expect(deployment).toMatchObject({ user: 'alice', engine: 'argo', input: notebook });
    const templates = new Map<string, Obj>(template.spec.templates.map((t: Obj) => [t.name, t]));
    expect(templates.get('start-run')!.container.args).toEqual(
      expect.arrayContaining(['--deployment', deploymentId]),
    );

    // Two firings of the schedule, with different arguments: nothing of the project, no HOME of
    // alice's, only the bucket (through the Secret) and what the manifest says.
    for (const [workflow, scale] of [
      ['deployed-cron-1', '1000'],
      ['deployed-cron-2', '100'],
    ]) {
      const walker = new Walker(templates, workflow, {}, true, { scale }, { 'cellflow-s3': server.env });
      await walker.workflow(template.spec);
      expect(walker.pods).toHaveLength(7);
      const record = datastore.readRun('Deployed', workflow);
      expect(schemaErrors('run', record)).toEqual([]);
      expect(record).toMatchObject({ status: 'succeeded', user: 'alice', params: { scale: Number(scale) } });
      expect(record.engine).toMatchObject({ name: 'argo', workflow, deployment: deploymentId });
      expect(record.module).toEqual(deployment.module);
      expect(record.code).toEqual(deployment.code);
      expect(record.lockfile).toEqual(deployment.lockfile);
      expect(Number.isInteger(record.seed)).toBe(true);
      const gather = datastore.readTask('Deployed', workflow, 'gather', 't');
      expect(datastore.loadArtifactSync(gather.artifacts.vs)).toEqual([1, 2 * Number(scale)]);
    }
    // A colleague (another directory, another HOME) sees both runs through the bucket alone.
    const elsewhere = fs.mkdtempSync(path.join(dir, 'bob-'));
    const listed = await cellflow(['--datastore', store, 'runs', 'Deployed', '--json'], {
      env: { ...server.env, HOME: elsewhere, CELLFLOW_USER: 'bob' },
      cwd: elsewhere,
    });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Obj[]).map((r) => [r.runId, r.status]).sort()).toEqual([
      ['deployed-cron-1', 'succeeded'],
      ['deployed-cron-2', 'succeeded'],
    ]);

    // A workflow whose first pod failed before writing the record: the exit handler says there is
    // nothing to close, and does not fail a second time.
    const finish = await cellflow(
      ['--datastore', store, 'finish-run', 'Deployed/never-started', '--status', 'Failed'],
      {
        env: { ...server.env, HOME: elsewhere },
        cwd: elsewhere,
      },
    );
    expect({ code: finish.code, stdout: finish.stdout }).toEqual({
      code: 0,
      stdout: expect.stringContaining('Deployed/never-started: no run record to close'),
    });
    expect(datastore.tryReadRun('Deployed', 'never-started')).toBeUndefined();
  } finally {
    restore();
    await server.stop();
  }
}, 240_000);

test('an Argo run in progress reads running, not abandoned: its pods beat the record; a day without a beat is abandoned', async () => {
  let midWalk: RunRecord | undefined;
  const checks = async (pod: string, env: NodeJS.ProcessEnv) => {
    if (pod !== 'start/t') {
      return;
    }
    // The workflow is between pods: no scheduler of ours, only the pods' heartbeat.
    const store = Datastore.open({ root: env.CELLFLOW_DATASTORE });
    const record = store.readRun('Live', 'live-argo-1');
    midWalk = record;
    expect(record.status).toBe('running');
    expect(record.scheduler).toBeUndefined();
    expect(record.engine).toMatchObject({ name: 'argo', workflow: 'live-argo-1', namespace: 'argo' });
    expect(Date.parse(record.engine!.heartbeatAt!)).toBeGreaterThanOrEqual(Date.parse(record.createdAt));
    expect(schemaErrors('run', record)).toEqual([]);

    const listed = await cellflow(['runs', 'Live', '--json'], { env, cwd: dir });
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as Obj[];
    expect(rows.find((r) => r.runId === 'live-argo-1')?.status).toBe('running');
    expect(new Run('Live/live-argo-1', store).status).toBe('running');
    // Past the local scheduler's 30 s bound it is still running; past the engine's it is abandoned.
    const beat = Date.parse(record.engine!.heartbeatAt!);
    expect(effectiveRunStatus(record, beat + 10 * HEARTBEAT_STALE_MS)).toBe('running');
    expect(effectiveRunStatus(record, beat + ENGINE_HEARTBEAT_STALE_MS + 1)).toBe('abandoned');
    // A step whose timeout allows longer than the bound keeps it running that long.
    const longStep = structuredClone(record);
    longStep.graph.nodes.body.options.timeoutSeconds = (2 * ENGINE_HEARTBEAT_STALE_MS) / 1000;
    expect(effectiveRunStatus(longStep, beat + ENGINE_HEARTBEAT_STALE_MS + 1)).toBe('running');
    const shortBound = await cellflow(['runs', 'Live', '--json'], {
      env: { ...env, CELLFLOW_ENGINE_HEARTBEAT_STALE_MS: '1' },
      cwd: dir,
    });
    expect((JSON.parse(shortBound.stdout) as Obj[]).find((r) => r.runId === 'live-argo-1')?.status).toBe(
      'abandoned',
    );

    // Not resumable while the workflow may still run; the refusal names the workflow.
    const resume = await cellflow(['resume', 'Live/live-argo-1'], { env, cwd: dir });
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('still running (Argo workflow live-argo-1 in namespace argo');
  };
  const { flow, runId, datastore } = await runAndWalk('Live', CELLS, undefined, {
    workflowName: 'live-argo-1',
    parameters: { scale: '100' },
    afterPod: checks,
  });
  expect(midWalk).toBeDefined();
  const record = datastore.readRun(flow, runId);
  expect(record.status).toBe('succeeded');
  // The later pods beat it again; the exit handler's status stayed.
  expect(Date.parse(record.engine!.heartbeatAt!)).toBeGreaterThan(Date.parse(midWalk!.engine!.heartbeatAt!));
  expect(schemaErrors('run', record)).toEqual([]);
}, 180_000);
