// The Argo manifests cellflow writes: valid against Argo's own JSON schema (v3.7.18), and checked
// here where the schema cannot (every `depends` names a task of its DAG, no cycles, every template
// and every {{inputs.*}} / {{tasks.*}} expression exists). Golden files pin the examples' manifests:
// after an intended change, rewrite them with `UPDATE_GOLDEN=1 npx jest test/runtime/engines/argo.test.ts`.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import * as fs from 'fs';
import * as path from 'path';
import { compileNotebook } from '../../../src/core';
import type { JsonValue } from '../../../src/core/model';
import { memoryIO } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/main';
import { argoManifests, type ArgoOptions } from '../../../src/runtime/engines/argo-manifest';
import { Datastore } from '../../../src/runtime/datastore/datastore';
import { cellflow } from '../../helpers/cli';
import { schemaErrors } from '../../helpers/run-schema';
import { s3ServerForFile } from '../../helpers/s3-server';
import { notebookJson, removeTempDir, tempDir, type CellSpec } from '../../helpers/notebook';

const REPO = path.resolve(__dirname, '..', '..', '..');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const OPTIONS: ArgoOptions = { datastore: 's3://cellflow/flows', image: 'cellflow-task:test' };

const schema = JSON.parse(
  fs.readFileSync(path.join(REPO, 'test/fixtures/argo/workflow-schema-v3.7.18.json'), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);
// Not a type guard: a manifest that fails is still read for its kind in the message.
const validateSchema = (data: unknown): boolean => validate(data);

type Obj = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Schema-valid, and every reference resolves (the checks the schema leaves out). */
function checkManifest(manifest: Obj): void {
  if (!validateSchema(manifest)) {
    throw new Error(`${manifest.kind}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  }
  if (manifest.kind !== 'WorkflowTemplate') {
    return;
  }
  const templates = new Map<string, Obj>(manifest.spec.templates.map((t: Obj) => [t.name, t]));
  expect(templates.has(manifest.spec.entrypoint)).toBe(true);
  expect(templates.size).toBe(manifest.spec.templates.length); // names are unique
  if (manifest.spec.onExit) {
    expect(templates.has(manifest.spec.onExit)).toBe(true);
  }
  const declared = new Set(manifest.spec.arguments.parameters.map((p: Obj) => p.name));
  for (const [, name] of JSON.stringify(manifest).matchAll(/\{\{workflow\.parameters\.([\w-]+)\}\}/g)) {
    expect({ workflowParameter: name, declared: declared.has(name) }).toMatchObject({ declared: true });
  }
  for (const template of templates.values()) {
    const inputs = new Set((template.inputs?.parameters ?? []).map((p: Obj) => p.name));
    for (const [, name] of JSON.stringify(template).matchAll(/\{\{inputs\.parameters\.([\w-]+)\}\}/g)) {
      expect({ template: template.name, input: name, declared: inputs.has(name) }).toMatchObject({
        declared: true,
      });
    }
    if (template.dag) {
      checkDag(template, templates);
    }
  }
}

function checkDag(template: Obj, templates: Map<string, Obj>): void {
  const tasks = new Map<string, Obj>(template.dag.tasks.map((t: Obj) => [t.name, t]));
  expect(tasks.size).toBe(template.dag.tasks.length);
  const edges = new Map<string, string[]>();
  for (const task of tasks.values()) {
    const target = templates.get(task.template);
    expect({ task: task.name, template: task.template, exists: !!target }).toMatchObject({ exists: true });
    // Every input the template declares is given, and nothing else.
    const given = (task.arguments?.parameters ?? []).map((p: Obj) => p.name).sort();
    const declared = (target!.inputs?.parameters ?? []).map((p: Obj) => p.name).sort();
    expect({ task: task.name, given }).toEqual({ task: task.name, given: declared });
    const deps = [...String(task.depends ?? '').matchAll(/([\w-]+)\.Succeeded/g)].map((m) => m[1]);
    for (const dep of deps) {
      expect({ task: task.name, dependency: dep, exists: tasks.has(dep) }).toMatchObject({ exists: true });
    }
    edges.set(task.name, deps);
    // {{tasks.T.outputs.parameters.P}}: T is a dependency of this task and its template writes P.
    for (const [, t, p] of JSON.stringify(task).matchAll(
      /\{\{tasks\.([\w-]+)\.outputs\.parameters\.([\w-]+)\}\}/g,
    )) {
      expect({ task: task.name, reads: t, dependency: deps.includes(t) }).toMatchObject({ dependency: true });
      const outputs = (templates.get(tasks.get(t)!.template)!.outputs?.parameters ?? []).map(
        (o: Obj) => o.name,
      );
      expect(outputs).toContain(p);
    }
  }
  // No cycles: a depth-first walk never meets a task on its own path.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') {
      return;
    }
    if (state.get(name) === 'open') {
      throw new Error(`cycle: ${[...trail, name].join(' → ')}`);
    }
    state.set(name, 'open');
    for (const dep of edges.get(name)!) {
      visit(dep, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of tasks.keys()) {
    visit(name, []);
  }
}

function manifestsOf(cells: CellSpec[], options: Partial<ArgoOptions> = {}): Obj[] {
  const compiled = compileNotebook(notebookJson(cells, 'Gen'), 'gen.ipynb');
  return argoManifests(compiled.manifest, { ...OPTIONS, ...options }) as Obj[];
}

const step = (name: string, source = '', ...tags: string[]): CellSpec => ({
  tags: [`step:${name}`, ...tags],
  source,
});

const GENERATED: Record<string, CellSpec[]> = {
  linear: [step('start', 'self.x = 1;'), step('middle', 'self.x += 1;'), step('end')],
  branch: [
    step('start', '', 'next:a', 'next:b'),
    step('a', 'self.x = 1;', 'next:join'),
    step('b', 'self.x = 2;', 'next:join'),
    step('join', 'self.total = inputs.a.x + inputs.b.x;'),
    step('end'),
  ],
  foreach: [
    step('start', 'self.items = [1, 2, 3];', 'foreach:items'),
    step('body', 'self.y = self.input * 2;'),
    step('join', 'self.ys = inputs.map((i) => i.y);'),
    step('end'),
  ],
  'foreach of two steps': [
    step('start', 'self.items = [1, 2];', 'foreach:items'),
    step('first', 'self.y = self.input;'),
    step('second', 'self.y += 1;'),
    step('join', 'self.ys = inputs.map((i) => i.y);'),
    step('end'),
  ],
  'nested foreach': [
    step('start', 'self.rows = [1, 2];', 'foreach:rows'),
    step('row', 'self.cols = [10, 20, 30];', 'foreach:cols'),
    step('cell', 'self.v = self.input;'),
    step('join_cols', 'self.vs = inputs.map((i) => i.v);'),
    step('join_rows', 'self.all = inputs.map((i) => i.vs);'),
    step('end'),
  ],
  'switch without loop': [
    step('start', "self.pick = 'small';", 'switch:pick', 'next:small', 'next:large'),
    step('small', 'self.size = 1;', 'next:report'),
    step('large', 'self.size = 100;', 'next:report'),
    step('report', 'console.log(self.size);'),
    step('end'),
  ],
  'join of joins': [
    step('start', '', 'next:a', 'next:b'),
    step('a', '', 'next:a1', 'next:a2'),
    step('a1', 'self.x = 1;', 'next:join_a'),
    step('a2', 'self.x = 2;', 'next:join_a'),
    step('join_a', 'self.x = inputs.a1.x + inputs.a2.x;', 'next:join'),
    step('b', '', 'next:b1', 'next:b2'),
    step('b1', 'self.y = 1;', 'next:join_b'),
    step('b2', 'self.y = 2;', 'next:join_b'),
    step('join_b', 'self.y = inputs.b1.y + inputs.b2.y;', 'next:join'),
    step('join', 'self.z = inputs.join_a.x + inputs.join_b.y;'),
    step('end'),
  ],
  'branch inside a foreach': [
    step('start', 'self.items = [1, 2];', 'foreach:items'),
    step('body', 'self.v = self.input;', 'next:left', 'next:right'),
    step('left', 'self.l = self.v;', 'next:meet'),
    step('right', 'self.r = self.v;', 'next:meet'),
    step('meet', 'self.s = inputs.left.l + inputs.right.r;'),
    step('gather', 'self.ss = inputs.map((i) => i.s);'),
    step('end'),
  ],
  'switch inside a foreach': [
    step('start', 'self.items = [1, 2];', 'foreach:items'),
    step('body', "self.way = self.input > 1 ? 'big' : 'tiny';", 'switch:way', 'next:big', 'next:tiny'),
    step('big', 'self.v = 1;', 'next:gather'),
    step('tiny', 'self.v = 0;', 'next:gather'),
    step('gather', 'self.vs = inputs.map((i) => i.v);'),
    step('end'),
  ],
  'tags and parameters': [
    { tags: ['parameters'], source: "const rate = 0.5; // learning rate\nconst label = 'x';" },
    step('start', 'self.x = self.rate;', 'retry:3', 'timeout:60', 'resources:cpu=2', 'resources:memory=4096'),
    step('train', 'self.y = self.x;', 'resources:gpu=1'),
    step('end'),
  ],
};

describe('generated flows', () => {
  test.each(Object.keys(GENERATED))('%s: schema-valid, every dependency resolves, no cycle', (name) => {
    const manifests = manifestsOf(GENERATED[name]);
    expect(manifests.map((m) => m.kind)).toEqual(['WorkflowTemplate']);
    checkManifest(manifests[0]);
  });

  test('a foreach fans out by withParam over the indexes the split writes; its join derives its inputs', () => {
    const [wt] = manifestsOf(GENERATED['nested foreach']);
    const templates = new Map<string, Obj>(wt.spec.templates.map((t: Obj) => [t.name, t]));
    const main = templates.get('flow-dag')!.dag.tasks.map((t: Obj) => t.name);
    expect(main).toEqual(['start', 'start-foreach', 'join--rows', 'end']);
    const fanOut = templates.get('flow-dag')!.dag.tasks[1];
    expect(fanOut.withParam).toBe('{{tasks.start.outputs.parameters.indexes}}');
    const inner = templates.get('start-foreach')!.dag.tasks;
    expect(inner.map((t: Obj) => t.name)).toEqual(['row', 'row-foreach', 'join--cols']);
    expect(inner[1].arguments.parameters[0]).toEqual({
      name: 'task',
      value: '{{inputs.parameters.task}}-{{item}}',
    });
    expect(templates.get('cell')!.container.args).toEqual([
      'step',
      'Gen/{{workflow.name}}',
      'cell',
      '{{inputs.parameters.task}}',
      '--attempt',
      '0',
      '--input-paths',
      '{{inputs.parameters.input-paths}}',
      '--split-index',
      '{{inputs.parameters.split-index}}',
    ]);
    expect(templates.get('join--rows')!.container.args).toContain('--foreach-join');
    expect(templates.get('start')!.outputs.parameters[0].valueFrom.path).toMatch(/foreach-indexes\.json$/);
  });

  test('a switch: each case runs when the switch named it; the step where they meet runs after either', () => {
    const [wt] = manifestsOf(GENERATED['switch without loop']);
    const tasks: Obj[] = wt.spec.templates.find((t: Obj) => t.name === 'flow-dag').dag.tasks;
    const byName = Object.fromEntries(tasks.map((t) => [t.name, t]));
    expect(byName.small.when).toBe('{{tasks.start.outputs.parameters.case}} == small');
    expect(byName.large.when).toBe('{{tasks.start.outputs.parameters.case}} == large');
    expect(byName['report-via-small'].depends).toBe('small.Succeeded');
    expect(byName['report-via-large'].arguments.parameters[1]).toEqual({
      name: 'input-paths',
      value: 'large/t',
    });
    expect(byName.end.depends).toBe('(report-via-small.Succeeded || report-via-large.Succeeded)');
  });

  test('retry, timeout and resources tags; parameters as workflow arguments', () => {
    const [wt] = manifestsOf(GENERATED['tags and parameters']);
    const start = wt.spec.templates.find((t: Obj) => t.name === 'start');
    expect(start.retryStrategy).toEqual({ limit: '3' });
    expect(start.activeDeadlineSeconds).toBe('66'); // 60 s and the kill grace, as Slurm's --time
    expect(start.container.args).toContain('{{retries}}');
    expect(start.container.resources).toEqual({ requests: { cpu: '2', memory: '4096Mi' } });
    expect(start.container.env).toContainEqual({ name: 'CELLFLOW_DATASTORE', value: 's3://cellflow/flows' });
    const train = wt.spec.templates.find((t: Obj) => t.name === 'train');
    expect(train.container.resources).toEqual({ limits: { 'nvidia.com/gpu': '1' } });
    expect(wt.spec.arguments.parameters).toEqual([
      { name: 'rate', value: '0.5' },
      { name: 'label', value: 'x' },
    ]);
  });

  test('--from-run: a first task writes the run record (the workflow arguments as its parameters), an exit handler closes it', () => {
    const [wt] = manifestsOf(GENERATED['tags and parameters'], { fromRun: 'Gen/1-abc' });
    checkManifest(wt);
    expect(wt.spec.onExit).toBe('finish-run');
    const tasks: Obj[] = wt.spec.templates.find((t: Obj) => t.name === 'flow-dag').dag.tasks;
    expect(tasks[0]).toEqual({ name: 'start-run', template: 'start-run' });
    expect(tasks[1].depends).toBe('start-run.Succeeded');
    const start = wt.spec.templates.find((t: Obj) => t.name === 'start-run');
    expect(start.container.args).toEqual([
      'start-run',
      'Gen/{{workflow.name}}',
      '--from',
      'Gen/1-abc',
      '--param',
      'rate={{workflow.parameters.rate}}',
      '--param',
      'label={{workflow.parameters.label}}',
      // The run record names its engine: this workflow, in its namespace.
      '--workflow',
      '{{workflow.name}}',
      '--namespace',
      '{{workflow.namespace}}',
    ]);
    const finish = wt.spec.templates.find((t: Obj) => t.name === 'finish-run');
    expect(finish.container.args).toEqual([
      'finish-run',
      'Gen/{{workflow.name}}',
      '--status',
      '{{workflow.status}}',
    ]);
  });

  test('a schedule adds a CronWorkflow that submits the template', () => {
    const manifests = manifestsOf(GENERATED.linear, { schedule: '0 3 * * *', namespace: 'flows' });
    expect(manifests.map((m) => m.kind)).toEqual(['WorkflowTemplate', 'CronWorkflow']);
    manifests.forEach(checkManifest);
    expect(manifests[1].spec).toMatchObject({
      schedules: ['0 3 * * *'],
      workflowSpec: { workflowTemplateRef: { name: 'gen' } },
    });
  });

  test('a foreach where the cases of a switch meet is refused, naming the step', () => {
    const cells = [
      step('start', "self.pick = 'a';", 'switch:pick', 'next:a', 'next:b'),
      step('a', 'self.xs = [1];', 'next:fan'),
      step('b', 'self.xs = [2];', 'next:fan'),
      step('fan', '', 'foreach:xs'),
      step('body', 'self.y = self.input;'),
      step('join', 'self.ys = inputs.map((i) => i.y);'),
      step('end'),
    ];
    expect(() => manifestsOf(cells)).toThrow(/^step fan: a foreach where the cases of a switch meet again/);
  });

  test('the checks catch a dependency on no task and a cycle', () => {
    const [wt] = manifestsOf(GENERATED.linear);
    const broken = JSON.parse(JSON.stringify(wt));
    broken.spec.templates[0].dag.tasks[1].depends = 'nowhere.Succeeded';
    expect(validateSchema(broken)).toBe(true); // the schema alone lets it through
    expect(() => checkManifest(broken)).toThrow();
    const cyclic = JSON.parse(JSON.stringify(wt));
    cyclic.spec.templates[0].dag.tasks[0].depends = 'end.Succeeded';
    expect(() => checkManifest(cyclic)).toThrow(/cycle/);
    // and the schema itself is not a formality: a numeric IntOrString or a template list of strings fails
    const numeric = JSON.parse(JSON.stringify(wt));
    numeric.spec.templates[1].retryStrategy = { limit: 3 };
    expect(validateSchema(numeric)).toBe(false);
    expect(validateSchema({ ...wt, spec: { ...wt.spec, templates: ['start'] } })).toBe(false);
  });
});

// Deploy publishes a flow's code to the datastore: a real S3 server (versitygw).
const s3 = s3ServerForFile();

describe('examples', () => {
  // The examples are copied out of this repository first, so that their git snapshots are not
  // taken in cellflow's own.
  let copies: string;
  beforeAll(() => {
    copies = tempDir('cellflow-argo-examples-');
    fs.cpSync(path.join(REPO, 'examples'), copies, { recursive: true });
  });
  afterAll(() => removeTempDir(copies));
  const examples = fs
    .readdirSync(path.join(REPO, 'examples'))
    .filter((f) => f.endsWith('.ipynb'))
    .map((f) => f.replace(/\.ipynb$/, ''))
    .filter((name) => name !== 'loop');

  test.each(examples)(
    '%s: cellflow deploy --engine argo matches its golden file and the schema, and publishes its deployment',
    async (name) => {
      const io = memoryIO();
      const store = s3.server.url('examples');
      const code = await runCli(
        [
          'deploy',
          path.join(copies, `${name}.ipynb`),
          '--engine',
          'argo',
          '--datastore',
          store,
          '--image',
          OPTIONS.image,
        ],
        io,
      );
      expect({ code, err: io.err }).toEqual({
        code: 0,
        err: expect.stringMatching(/: published flow \S+ as deployment \S+ on s3:\/\//),
      });
      const deploymentId = /as deployment (\S+) on/.exec(io.err)![1];
      // The golden files hold the manifests with the one part that differs per deploy, the id, named.
      const manifest = io.out.split(deploymentId).join('DEPLOYMENT_ID').split(store).join(OPTIONS.datastore);
      const golden = path.join(REPO, 'test', 'golden', 'argo', `${name}.json`);
      if (UPDATE) {
        fs.writeFileSync(golden, manifest);
      }
      expect(manifest).toBe(fs.readFileSync(golden, 'utf8'));
      checkManifest(JSON.parse(io.out));
      const flow = compileNotebook(fs.readFileSync(path.join(copies, `${name}.ipynb`), 'utf8'), name).manifest
        .flow;
      const deployment = Datastore.open({ root: store }).readDeployment(flow, deploymentId);
      expect(schemaErrors('deployment', deployment)).toEqual([]);
    },
  );
});

describe('cellflow deploy refuses what Argo cannot run', () => {
  let dir: string;
  beforeAll(() => (dir = tempDir('cellflow-argo-')));
  afterAll(() => removeTempDir(dir));

  test('a loop (examples/loop.ipynb): exit 2 naming the step, no stack trace', async () => {
    const result = await cellflow([
      'deploy',
      'examples/loop.ipynb',
      '--engine',
      'argo',
      '--datastore',
      's3://b/p',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /step improve: it loops back to 'improve'; a loop cannot be expressed as an Argo DAG/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  test.each([
    [['--engine', 'argo'], /needs --datastore s3:\/\//],
    [['--engine', 'argo', '--datastore', path.join('/tmp', 'local-store')], /an s3:\/\/BUCKET\/PREFIX URL/],
    [['--engine', 'kubeflow', '--datastore', 's3://b/p'], /--engine kubeflow: deploy knows argo, slurm/],
    [['--engine', 'argo', '--datastore', 's3://b/p', '--remove'], /--remove is for --engine slurm/],
    [
      ['--engine', 'argo', '--datastore', 's3://b/p', '--schedule', 'nightly'],
      /--schedule: 'nightly' is not a cron/,
    ],
  ])('%j: exit 2', async (args, message) => {
    const io = memoryIO();
    const previous = process.env.CELLFLOW_DATASTORE;
    delete process.env.CELLFLOW_DATASTORE;
    try {
      expect(await runCli(['deploy', 'examples/hello.ipynb', ...(args as string[])], io)).toBe(2);
    } finally {
      if (previous !== undefined) {
        process.env.CELLFLOW_DATASTORE = previous;
      }
    }
    expect(io.err).toMatch(message as RegExp);
  });

  test('--submit says so when kubectl is missing, or has no context (exit 2)', async () => {
    const args = [
      'deploy',
      'examples/hello.ipynb',
      '--engine',
      'argo',
      '--datastore',
      's3://b/p',
      '--submit',
    ];
    const emptyPath = fs.mkdtempSync(path.join(dir, 'path-'));
    const missing = await cellflow(args, { env: { PATH: emptyPath } });
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/--submit: kubectl is not on the PATH/),
    });
    // The real kubectl, with an empty kubeconfig: no current context.
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, '');
    const noContext = await cellflow(args, { env: { KUBECONFIG: kubeconfig, HOME: dir } });
    expect(noContext.code).toBe(2);
    expect(noContext.stderr).toMatch(
      /--submit: kubectl has no current context \(.*current-context is not set/,
    );
    expect(noContext.stdout).toBe('');
  });

  test('S3 credentials: every pod gets the Secret (default cellflow-s3, --s3-secret, --no-s3-secret), and a service account', async () => {
    const deploy = async (...extra: string[]) => {
      const io = memoryIO();
      const code = await runCli(
        [
          'deploy',
          'examples/foreach.ipynb',
          '--engine',
          'argo',
          '--datastore',
          's3://b/p',
          '--from-run',
          'foreach/1',
          ...extra,
        ],
        io,
      );
      return { code, io };
    };
    const containers = (manifest: Obj) =>
      manifest.spec.templates.filter((t: Obj) => t.container).map((t: Obj) => t.container);
    const byDefault = JSON.parse((await deploy()).io.out);
    checkManifest(byDefault);
    // Every pod: the steps', start-run's and finish-run's.
    expect(containers(byDefault).length).toBe(
      byDefault.spec.templates.filter((t: Obj) => t.container).length,
    );
    expect(containers(byDefault).map((c: Obj) => c.envFrom)).toEqual(
      containers(byDefault).map(() => [{ secretRef: { name: 'cellflow-s3' } }]),
    );
    expect(byDefault.spec.serviceAccountName).toBeUndefined();
    const named = JSON.parse(
      (await deploy('--s3-secret', 'team-bucket', '--service-account', 'flows')).io.out,
    );
    checkManifest(named);
    expect(new Set(containers(named).map((c: Obj) => c.envFrom[0].secretRef.name))).toEqual(
      new Set(['team-bucket']),
    );
    expect(named.spec.serviceAccountName).toBe('flows');
    const none = JSON.parse((await deploy('--no-s3-secret', '--service-account', 'flows')).io.out);
    checkManifest(none);
    expect(containers(none).some((c: Obj) => 'envFrom' in c)).toBe(false);
    const bad = await deploy('--s3-secret', 'Team Bucket');
    expect(bad.code).toBe(2);
    expect(bad.io.err).toMatch(/--s3-secret 'Team Bucket': not a Kubernetes name/);
  });

  test("-o FILE, and the notebook's metadata.cellflow.schedule makes a CronWorkflow", async () => {
    const nb = path.join(dir, 'nightly.ipynb');
    const json = JSON.parse(notebookJson([step('start', 'self.x = 1;'), step('end')], 'Nightly')) as {
      metadata: { cellflow: Record<string, JsonValue> };
    };
    json.metadata.cellflow.schedule = '30 2 * * *';
    fs.writeFileSync(nb, JSON.stringify(json));
    const out = path.join(dir, 'nightly.json');
    const io = memoryIO();
    const args = ['deploy', nb, '--engine', 'argo', '--datastore', s3.server.url('nightly'), '-o', out];
    expect(await runCli(args, io)).toBe(0);
    expect(io.out).toContain('WorkflowTemplate and CronWorkflow');
    const document = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(document.kind).toBe('List');
    document.items.forEach(checkManifest);
    // `schedules`: the one-string `schedule` is deprecated since Argo 3.6.
    expect(document.items[1].spec).toMatchObject({ schedules: ['30 2 * * *'] });
    expect(document.items[1].spec.schedule).toBeUndefined();
  });

  test('a schedule needs no earlier run: deploy publishes the code; --from-run publishes nothing and names the run', async () => {
    const nb = path.join(dir, 'nightly-bare.ipynb');
    fs.writeFileSync(nb, notebookJson([step('start', 'self.x = 1;'), step('end')], 'Nightly'));
    const store = s3.server.url('bare');
    const deploy = async (...extra: string[]) => {
      const io = memoryIO();
      const args = ['deploy', nb, '--engine', 'argo', '--datastore', store, '--schedule', '0 1 * * *'];
      return { code: await runCli([...args, ...extra], io), io };
    };
    const startRunArgs = (out: string) =>
      (JSON.parse(out).items[0].spec.templates as Obj[]).find((t) => t.name === 'start-run')!.container.args;
    const published = await deploy();
    expect(published.code).toBe(0);
    expect(published.io.err).not.toMatch(/warning/);
    const id = /as deployment (\S+) on/.exec(published.io.err)![1];
    expect(startRunArgs(published.io.out)).toEqual(expect.arrayContaining(['--deployment', id]));
    expect(Datastore.open({ root: store }).readDeployment('Nightly', id).flow).toBe('Nightly');

    const fromRun = await deploy('--from-run', 'Nightly/1-abc');
    expect({ code: fromRun.code, err: fromRun.io.err }).toEqual({ code: 0, err: '' });
    expect(startRunArgs(fromRun.io.out)).toEqual(expect.arrayContaining(['--from', 'Nightly/1-abc']));
  });

  test('a bucket deploy cannot reach: exit 2 naming it, and no manifests written', async () => {
    const nb = path.join(dir, 'unreachable.ipynb');
    fs.writeFileSync(nb, notebookJson([step('start'), step('end')], 'Unreachable'));
    const out = path.join(dir, 'unreachable.json');
    const result = await cellflow(
      ['deploy', nb, '--engine', 'argo', '--datastore', 's3://no-such-bucket/flows', '-o', out],
      { env: s3.server.env },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no-such-bucket/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });
});
