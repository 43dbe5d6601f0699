import type * as arrow from 'apache-arrow';
import * as os from 'os';
import * as cellflow from '../../src';
import { defaultNamespace, Flow, namespace, Run, setDatastore, Step, Task } from '../../src/client';
import { Datastore, NotFoundError, PathspecError } from '../../src/runtime/datastore/datastore';
import { UserInputError } from '../../src/runtime/errors';
import { runRecord } from '../helpers/records';
import { BACKENDS, freshLocation, removeLocation, removeRun } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';
import { populate } from '../helpers/sample-runs';
import { schemaErrors } from '../helpers/run-schema';

const s3 = s3ServerForFile();
afterAll(async () => {});

describe.each(BACKENDS)('Client API (%s datastore)', (backend) => {
  let root: string;
  let datastore: Datastore;
  let runs: Awaited<ReturnType<typeof populate>>;
  const savedUser = process.env.CELLFLOW_USER;

  beforeAll(async () => {
    root = freshLocation(backend, s3.server, 'client');
    datastore = Datastore.open({ root });
    runs = await populate(datastore);
    process.env.CELLFLOW_USER = 'alice';
    setDatastore(root);
  });
  afterAll(() => {
    setDatastore();
    if (savedUser === undefined) {
      delete process.env.CELLFLOW_USER;
    } else {
      process.env.CELLFLOW_USER = savedUser;
    }
    removeLocation(root);
  });
  afterEach(() => defaultNamespace());

  it('is exported from the package root', () => {
    expect(cellflow.Flow).toBe(Flow);
    expect(cellflow.Run).toBe(Run);
    expect(cellflow.Step).toBe(Step);
    expect(cellflow.Task).toBe(Task);
    expect(cellflow.namespace).toBe(namespace);
  });

  it("lists the current user's runs newest first; namespace(null) lists everyone's", () => {
    expect(namespace()).toBe('alice');
    expect(Flow.list().map((f) => f.name)).toEqual(['Hello']);
    const flow = new Flow('Hello');
    expect(flow.runs().map((r) => r.id)).toEqual([runs.live, runs.newest, runs.older]);
    expect(namespace(null)).toBeNull();
    expect(flow.runs().map((r) => r.id)).toEqual([runs.live, runs.newest, runs.failed, runs.older]);
    namespace('bob');
    expect(flow.runs().map((r) => r.id)).toEqual([runs.failed]);
    expect(flow.latestSuccessfulRun).toBeUndefined();
  });

  it('filters by tags and finds the latest and latest successful runs', () => {
    const flow = new Flow('Hello');
    expect(flow.runs({ tags: ['nightly'] }).map((r) => r.id)).toEqual([runs.older]);
    expect(flow.runs({ tags: ['nightly', 'absent'] })).toEqual([]);
    expect(flow.latestRun?.id).toBe(runs.live);
    expect(flow.latestSuccessfulRun?.id).toBe(runs.newest);
  });

  it('lists at most `limit` runs, the newest in the namespace, reading no record past them', () => {
    const flow = new Flow('Hello');
    expect(flow.runs({ limit: 2 }).map((r) => r.id)).toEqual([runs.live, runs.newest]);
    namespace('bob');
    expect(flow.runs({ limit: 1 }).map((r) => r.id)).toEqual([runs.failed]);
    namespace(null);
    expect(flow.runs({ limit: 0 })).toEqual([]);
    const reads = jest.spyOn(datastore, 'tryReadRun');
    try {
      expect(new Flow('Hello', datastore).runs({ limit: 1 }).map((r) => r.id)).toEqual([runs.live]);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it("reads a run's metadata synchronously and its artifacts from the end task", async () => {
    const run = Run.get(`Hello/${runs.newest}`);
    expect(run.pathspec).toBe(`Hello/${runs.newest}`);
    expect([run.status, run.successful, run.finished, run.user]).toEqual(['succeeded', true, true, 'alice']);
    expect(run.params).toEqual({ alpha: 0.5 });
    expect(run.createdAt).toEqual(new Date('2024-05-01T10:00:00.000Z'));
    expect(run.finishedAt).toEqual(new Date('2024-05-01T10:00:03.500Z'));
    expect(run.steps().map((s) => s.name)).toEqual(['start', 'end']);
    expect(run.endTask?.pathspec).toBe(`Hello/${runs.newest}/end/2`);

    const data = run.data('result');
    expect(data).toBeInstanceOf(Promise);
    expect(await data).toEqual({ total: 31, when: expect.anything() });
    const table = (await run.data('frame')) as arrow.Table;
    expect(table.numRows).toBe(3);
    expect([...table.getChild('n')!]).toEqual([1, 2, 3]);
  });

  it('reads tasks: status, attempts, artifacts, data and logs of the latest attempt', async () => {
    const start = Run.get(`Hello/${runs.newest}`).step('start').task();
    expect(start.pathspec).toBe(`Hello/${runs.newest}/start/1`);
    expect(start.artifacts()).toEqual(['frame', 'x']);
    expect(await start.data('x')).toBe(30);
    expect(await start.stdout).toBe('hello from run 3\n');
    expect(await start.stderr).toBe('');

    const failed = Task.get(`Hello/${runs.failed}/end/2`);
    expect([failed.status, failed.successful, failed.finished]).toEqual(['failed', false, true]);
    expect(failed.attempts.map((a) => a.error?.message)).toEqual(['boom', 'boom again']);
    expect(await failed.stderr).toBe('second failure\n');
    expect(await failed.log('stderr', 0)).toBe('first failure\n');
    await expect(failed.data('nope')).rejects.toThrow(
      `task Hello/${runs.failed}/end/2 has no artifact 'nope' (it has: x)`,
    );
  });

  it("hides a running task's artifacts until its final record is written", async () => {
    const task = Task.get(`Hello/${runs.live}/end/2`);
    expect(task.finished).toBe(false);
    expect(task.artifacts()).toEqual([]);
    await expect(task.data('x')).rejects.toThrow(/has not finished yet/);
    const run = Run.get(`Hello/${runs.live}`);
    expect(run.status).toBe('running');
    expect(run.endTask).toBeUndefined();
    await expect(run.data('x')).rejects.toThrow(NotFoundError);
  });

  it('adds and removes tags in run.json, and refuses while the run is still running', () => {
    const run = Run.get(`Hello/${runs.older}`);
    run.addTag('best model');
    run.addTag('best model');
    expect(run.tags).toEqual(['nightly', 'best model']);
    const onDisk = datastore.readRun('Hello', runs.older);
    expect(onDisk.tags).toEqual(['nightly', 'best model']);
    expect(schemaErrors('run', onDisk)).toEqual([]);
    expect(new Flow('Hello').runs({ tags: ['best model'] }).map((r) => r.id)).toEqual([runs.older]);
    run.removeTag('nightly');
    expect(Run.get(`Hello/${runs.older}`).tags).toEqual(['best model']);

    expect(() => run.addTag('')).toThrow(UserInputError);
    expect(() => Run.get(`Hello/${runs.live}`).addTag('x')).toThrow(/still running/);
  });

  it('reads a run whose scheduler died as abandoned', async () => {
    const runId = datastore.newRunId();
    datastore.writeRun(
      runRecord('Hello', runId, {
        user: 'alice',
        status: 'running',
        scheduler: { pid: process.pid, host: os.hostname(), heartbeatAt: '2024-05-01T10:00:00.000Z' },
      }),
    );
    const run = Run.get(`Hello/${runId}`);
    expect([run.status, run.finished, run.successful]).toEqual(['abandoned', true, false]);
    run.addTag('post-mortem');
    expect(Run.get(`Hello/${runId}`).tags).toEqual(['post-mortem']);
    await removeRun(datastore, 'Hello', runId);
  });

  it('says clearly what is missing or malformed', () => {
    expect(() => new Flow('Nope')).toThrow(NotFoundError);
    expect(() => Run.get('Hello/123')).toThrow(/run Hello\/123 not found/);
    expect(() => Run.get('Hello')).toThrow(PathspecError);
    expect(() => Task.get('Hello/../x/1')).toThrow(PathspecError);
    expect(() => Run.get(`Hello/${runs.newest}`).step('train')).toThrow(/step Hello\/.*\/train not found/);
    expect(() => Step.get(`Hello/${runs.newest}/start`).task('9')).toThrow(NotFoundError);
  });

  it('follows CELLFLOW_HOME when no datastore is set', () => {
    setDatastore();
    const saved = process.env.CELLFLOW_HOME;
    process.env.CELLFLOW_HOME = root;
    try {
      expect(new Flow('Hello').latestSuccessfulRun?.id).toBe(runs.newest);
    } finally {
      if (saved === undefined) {
        delete process.env.CELLFLOW_HOME;
      } else {
        process.env.CELLFLOW_HOME = saved;
      }
      setDatastore(root);
    }
  });
});
