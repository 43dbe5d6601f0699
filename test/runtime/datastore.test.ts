import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Datastore,
  effectiveRunStatus,
  NotFoundError,
  parsePathspec,
  parseRunPathspec,
  parseTaskPathspec,
  PathspecError,
  resolveTaskPathspec,
  runPathspecOf,
} from '../../src/runtime/datastore/datastore';
import { UserInputError } from '../../src/runtime/errors';
import { runRecord, taskRecord } from '../helpers/records';
import { schemaErrors } from '../helpers/run-schema';
import { runTsChild } from '../helpers/ts-child';

describe('Datastore', () => {
  let root: string;
  let datastore: Datastore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-datastore-'));
    datastore = Datastore.open({ root: path.join(root, 'store') });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('root', () => {
    const saved = process.env.CELLFLOW_HOME;
    afterEach(() => {
      if (saved === undefined) {
        delete process.env.CELLFLOW_HOME;
      } else {
        process.env.CELLFLOW_HOME = saved;
      }
    });

    it('is .cellflow at the project root found from cwd, unless CELLFLOW_HOME or options.root say otherwise', () => {
      const project = path.join(root, 'project');
      const nested = path.join(project, 'notebooks', 'deep');
      fs.mkdirSync(nested, { recursive: true });
      fs.writeFileSync(path.join(project, 'package.json'), '{}');
      delete process.env.CELLFLOW_HOME;
      expect(Datastore.open({ cwd: nested }).root).toBe(path.join(project, '.cellflow'));

      process.env.CELLFLOW_HOME = path.join(root, 'home');
      expect(Datastore.open({ cwd: nested }).root).toBe(path.join(root, 'home'));
      expect(Datastore.open({ cwd: nested, root: path.join(root, 'explicit') }).root).toBe(
        path.join(root, 'explicit'),
      );
    });

    it('uses a .git folder as the project root too, and cwd when there is neither', () => {
      delete process.env.CELLFLOW_HOME;
      const repo = path.join(root, 'repo');
      fs.mkdirSync(path.join(repo, '.git', 'objects'), { recursive: true });
      fs.mkdirSync(path.join(repo, 'sub'));
      expect(Datastore.open({ cwd: path.join(repo, 'sub') }).root).toBe(path.join(repo, '.cellflow'));
    });
  });

  describe('run ids', () => {
    it('are unique and time-ordered across concurrent processes', async () => {
      const code = `
        const { Datastore } = require('./src/runtime/datastore/datastore.ts');
        const ds = Datastore.open({ root: process.env.STORE });
        const ids = Array.from({ length: 500 }, () => ds.newRunId()); // a burst: many ids per millisecond
        console.log(JSON.stringify(ids));
      `;
      const batches = (await Promise.all([1, 2, 3, 4].map(() => runTsChild(code, { STORE: root })))).map(
        (out) => JSON.parse(out) as string[],
      );
      const all = batches.flat();
      expect(new Set(all).size).toBe(2000);
      for (const ids of batches) {
        expect([...ids].sort()).toEqual(ids);
      } // each process: strictly increasing
      for (const id of all) {
        expect(id).toMatch(/^\d{13}-[0-9a-f]{12}$/);
      }
      // Time order: an id made after all of them sorts after all of them.
      const later = datastore.newRunId();
      expect([...all, later].sort().pop()).toBe(later);
    });
  });

  describe('records', () => {
    it('writes run.json and task.json where DESIGN.md says, atomically, and reads them back', async () => {
      const ref = await datastore.saveArtifact('x', { a: 1 });
      const run = runRecord('Hello', '1700000000000-aaaaaaaaaaaa', { tags: ['nightly'] });
      const task = taskRecord('Hello', run.runId, 'start', '1', { x: ref });
      datastore.writeRun(run);
      datastore.writeTask(task);

      const runFile = path.join(datastore.root, 'flows', 'Hello', run.runId, 'run.json');
      const taskFile = path.join(datastore.root, 'flows', 'Hello', run.runId, 'start', '1', 'task.json');
      expect(JSON.parse(fs.readFileSync(runFile, 'utf8'))).toEqual(run);
      expect(JSON.parse(fs.readFileSync(taskFile, 'utf8'))).toEqual(task);
      expect(fs.readdirSync(path.dirname(runFile)).sort()).toEqual(['run.json', 'start']);
      expect(fs.readdirSync(path.dirname(taskFile))).toEqual(['task.json']);

      expect(datastore.readRun('Hello', run.runId)).toEqual(run);
      expect(datastore.readTask('Hello', run.runId, 'start', '1')).toEqual(task);
      expect(datastore.logPath('Hello', run.runId, 'start', '1', 2, 'stderr')).toBe(
        path.join(path.dirname(taskFile), '2.stderr'),
      );
      expect(schemaErrors('run', run)).toEqual([]);
      expect(schemaErrors('task', task)).toEqual([]);
      expect(schemaErrors('any', JSON.parse(fs.readFileSync(runFile, 'utf8')))).toEqual([]);
      expect(schemaErrors('any', JSON.parse(fs.readFileSync(taskFile, 'utf8')))).toEqual([]);
    });

    it('lists flows, runs newest first, and tasks by step then numeric id', () => {
      const ids = ['1700000000001-000000000001', '1700000000003-000000000003', '1700000000002-000000000002'];
      for (const id of ids) {
        datastore.writeRun(runRecord('Hello', id));
      }
      datastore.writeRun(runRecord('Other', ids[0]));
      for (const taskId of ['10', '2', '1']) {
        datastore.writeTask(taskRecord('Hello', ids[0], 'start', taskId, {}));
      }
      datastore.writeTask(taskRecord('Hello', ids[0], 'end', '11', {}));

      expect(datastore.listFlows()).toEqual(['Hello', 'Other']);
      expect(datastore.listRuns('Hello')).toEqual([ids[1], ids[2], ids[0]]);
      expect(datastore.listTasks('Hello', ids[0], 'start').map((t) => t.taskId)).toEqual(['1', '2', '10']);
      expect(datastore.listTasks('Hello', ids[0]).map((t) => `${t.step}/${t.taskId}`)).toEqual([
        'end/11',
        'start/1',
        'start/2',
        'start/10',
      ]);
      expect(datastore.listRuns('Absent')).toEqual([]);
    });

    it('says which run or task is missing', () => {
      expect(() => datastore.readRun('Hello', '123')).toThrow(NotFoundError);
      expect(() => datastore.readRun('Hello', '123')).toThrow(/run Hello\/123 not found/);
      expect(() => datastore.readTask('Hello', '123', 'start', '1')).toThrow(
        /task Hello\/123\/start\/1 not found/,
      );
    });

    it('rejects records that break the schema', () => {
      const run = runRecord('Hello', '1');
      expect(schemaErrors('run', { ...run, status: 'exploded' })).not.toEqual([]);
      expect(schemaErrors('run', { ...run, createdAt: 'yesterday' })).not.toEqual([]);
      expect(schemaErrors('run', { ...run, unknownField: 1 })).not.toEqual([]);
      const task = taskRecord('Hello', '1', 'start', '1', { x: { sha256: 'abc', codec: 'json', bytes: 3 } });
      expect(schemaErrors('task', task).join('\n')).toMatch(/sha256/);
      expect(schemaErrors('any', { flow: 'Hello' })).not.toEqual([]);
    });
  });

  describe('paths', () => {
    it('parses pathspecs and refuses anything that could leave the datastore', () => {
      expect(parsePathspec('Hello/17/start/3')).toEqual({
        flow: 'Hello',
        runId: '17',
        step: 'start',
        taskId: '3',
      });
      expect(parsePathspec('Hello')).toEqual({ flow: 'Hello' });
      for (const bad of [
        '',
        'Hello/../x',
        '../Hello',
        'Hello//start',
        'a/b/c/d/e',
        'Hello/1\0',
        'Hello/1/st ep',
        '/abs',
      ]) {
        expect(() => parsePathspec(bad)).toThrow(PathspecError);
      }
      const error = (() => {
        try {
          parsePathspec('Hello/../x');
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(UserInputError);
      expect(error?.message).toMatch(/invalid run id ".." in pathspec "Hello\/..\/x"/);
    });

    it('parses run and task pathspecs exactly, and finds the run a pathspec belongs to', () => {
      expect(parseRunPathspec('Hello/17')).toEqual({ flow: 'Hello', runId: '17' });
      expect(parseTaskPathspec('Hello/17/start/3')).toEqual({
        flow: 'Hello',
        runId: '17',
        step: 'start',
        taskId: '3',
      });
      for (const notATask of [
        'Hello',
        'Hello/17',
        'Hello/17/start',
        'Hello/17/start/3/x',
        'Hello/17/start/..',
      ]) {
        expect(() => parseTaskPathspec(notATask)).toThrow(PathspecError);
      }
      expect(() => parseTaskPathspec('Hello/17')).toThrow(
        /expected a task pathspec Flow\/runId\/step\/taskId/,
      );
      expect(runPathspecOf('Hello/17')).toBe('Hello/17');
      expect(runPathspecOf('Hello/17/start')).toBe('Hello/17');
      expect(runPathspecOf('Hello/17/start/3')).toBe('Hello/17');
      expect(() => runPathspecOf('Hello')).toThrow(/expected a pathspec inside a run/);
      expect(() => runPathspecOf('Hello/../start/3')).toThrow(PathspecError);
      const within = { flow: 'Hello', runId: '17' };
      const task = { flow: 'Hello', runId: '17', step: 'start', taskId: '3' };
      expect(resolveTaskPathspec('start/3', within)).toEqual(task);
      expect(resolveTaskPathspec('Hello/17/start/3', within)).toEqual(task);
      expect(resolveTaskPathspec('Other/9/a/1', within)).toMatchObject({ flow: 'Other', runId: '9' });
      for (const notAnInput of ['start', 'Hello/17/start', 'start/..', '../3']) {
        expect(() => resolveTaskPathspec(notAnInput, within)).toThrow(PathspecError);
      }
    });

    it('validates every name it builds a path from', () => {
      expect(() => datastore.runDir('..', '1')).toThrow(PathspecError);
      expect(() => datastore.taskDir('Hello', '1', 'start', '../../../etc')).toThrow(PathspecError);
      expect(() => datastore.writeRun(runRecord('Hello', 'a/b'))).toThrow(PathspecError);
      expect(() => datastore.logPath('Hello', '1', 'start', '1', -1, 'stdout')).toThrow(PathspecError);
      expect(fs.existsSync(path.join(datastore.root, 'flows'))).toBe(false);
    });
  });

  describe('artifacts', () => {
    it('saves each distinct value once and loads it back verified', async () => {
      const a = await datastore.saveArtifact('a', new Map([['k', [1, 2]]]));
      const b = await datastore.saveArtifact('b', new Map([['k', [1, 2]]]));
      expect(b).toEqual(a);
      expect(a.codec).toBe('v8');
      expect(datastore.objects.has(a.sha256)).toBe(true);
      expect(((await datastore.loadArtifact(a)) as Map<string, number[]>).get('k')).toEqual([1, 2]);
      expect((datastore.loadArtifactSync(a) as Map<string, number[]>).get('k')).toEqual([1, 2]);
      fs.writeFileSync(datastore.objects.pathOf(a.sha256), 'garbage');
      await expect(datastore.loadArtifact(a, 'Hello/1/start/1.a')).rejects.toThrow(/Hello\/1\/start\/1\.a/);
    });
  });

  describe('effective run status', () => {
    const now = Date.parse('2024-05-01T10:00:40.000Z');
    const running = (heartbeatAt: string, pid = process.pid, host = os.hostname()) =>
      runRecord('Hello', '1', { status: 'running', scheduler: { pid, host, heartbeatAt } });

    it('keeps a running run whose scheduler is alive and heartbeating', () => {
      expect(effectiveRunStatus(running('2024-05-01T10:00:35.000Z'), now)).toBe('running');
    });

    it('reports abandoned when the heartbeat is older than 30 s', () => {
      expect(effectiveRunStatus(running('2024-05-01T10:00:05.000Z'), now)).toBe('abandoned');
    });

    it("reports abandoned when the scheduler's pid is dead on this host", () => {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      });
      const deadPid = Number(dead.stdout);
      expect(effectiveRunStatus(running('2024-05-01T10:00:35.000Z', deadPid), now)).toBe('abandoned');
      // On another host the pid means nothing here: only the heartbeat counts.
      expect(effectiveRunStatus(running('2024-05-01T10:00:35.000Z', deadPid, 'elsewhere'), now)).toBe(
        'running',
      );
    });

    it('leaves finished runs alone', () => {
      expect(effectiveRunStatus(runRecord('Hello', '1', { status: 'failed' }), now)).toBe('failed');
    });
  });
});
