// The per-flow run summary index (run-index.ts) on both backends: `runs` gets final runs from it
// without reading their records, the records stay the truth (a run being changed, running, or
// unknown to the index is read from its record), concurrent writers lose nothing, fsck rebuilds it.
import * as path from 'path';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { fsckDatastore } from '../../src/runtime/datastore/fsck';
import * as layout from '../../src/runtime/datastore/layout';
import type { RunRecord } from '../../src/runtime/records';
import { listRuns } from '../../src/cli/commands/runs';
import { runRecord } from '../helpers/records';
import { BACKENDS, freshLocation, removeLocation } from '../helpers/backends';
import { s3ServerForFile } from '../helpers/s3-server';
import { REPO_ROOT, runTsChild } from '../helpers/ts-child';

const s3 = s3ServerForFile();
afterAll(async () => {});

describe.each(BACKENDS)('run index (%s datastore)', (backend) => {
  let root: string;
  let datastore: Datastore;
  const ids: string[] = [];

  /** Lists through the index, counting the records it had to read. */
  async function indexed(store = datastore, flow = 'Hello') {
    const read: string[] = [];
    const runs = await store.runIndex.runs(
      flow,
      async (runIds) => {
        read.push(...runIds);
        return runIds.map((runId) => (store.hasRun(flow, runId) ? store.readRun(flow, runId) : undefined));
      },
      () => store.listRuns(flow),
    );
    return { runs, read, byId: new Map(runs.map((run) => [run.summary?.runId ?? run.record!.runId, run])) };
  }

  function finish(store: Datastore, overrides: Partial<RunRecord> = {}): RunRecord {
    const runId = store.newRunId();
    const record = runRecord('Hello', runId, { status: 'running', finishedAt: undefined, ...overrides });
    store.writeRun(record); // created running, as a scheduler does
    const final: RunRecord = { ...record, status: 'succeeded', finishedAt: '2024-05-01T10:00:03.500Z' };
    store.writeRun(final);
    return final;
  }

  beforeAll(() => {
    root = freshLocation(backend, s3.server, 'run-index');
    datastore = Datastore.open({ root });
  });
  afterAll(() => removeLocation(root));

  it('builds its snapshot from the records once, then lists final runs without reading them', async () => {
    // Runs written before the index existed: records only.
    for (let i = 0; i < 3; i++) {
      const runId = datastore.newRunId();
      ids.push(runId);
      await datastore.backend.write(layout.runKey('Hello', runId), JSON.stringify(runRecord('Hello', runId)));
    }
    const first = await indexed();
    expect(first.read.sort()).toEqual([...ids].sort());
    for (let i = 0; i < 10; i++) {
      ids.push(finish(datastore).runId);
    }
    const second = await indexed();
    expect(second.runs.map((run) => run.summary?.runId)).toEqual([...ids].reverse());
    expect(second.read).toEqual([]);
    expect(second.runs[0].summary).toMatchObject({ status: 'succeeded', user: 'alice', tags: [] });
  });

  it('reads a running run from its record every time, and summarises it once it is final', async () => {
    const runId = datastore.newRunId();
    const running = runRecord('Hello', runId, {
      status: 'running',
      finishedAt: undefined,
      scheduler: { pid: 1, host: 'elsewhere', heartbeatAt: new Date().toISOString() },
    });
    datastore.writeRun(running);
    for (let i = 0; i < 2; i++) {
      const { read, byId } = await indexed();
      expect(read).toContain(runId);
      expect(byId.get(runId)?.record?.status).toBe('running');
    }
    datastore.writeRun({ ...running, status: 'failed', finishedAt: new Date().toISOString() });
    const after = await indexed();
    expect(after.read).not.toContain(runId);
    expect(after.byId.get(runId)?.summary?.status).toBe('failed');
    ids.push(runId);
  });

  it('shows a changed run (tags) as its record says, also after compaction', async () => {
    const runId = ids[4];
    const other = Datastore.open({ root });
    const record = other.readRun('Hello', runId);
    other.writeRun({ ...record, tags: ['best'] });
    const { read, byId } = await indexed();
    expect(read).toContain(runId); // a summarised run that changed: its record decides
    expect(byId.get(runId)?.summary?.tags ?? byId.get(runId)?.record?.tags).toEqual(['best']);
    for (let i = 0; i < 8; i++) {
      ids.push(finish(datastore).runId); // enough news for the next reader to compact
    }
    await indexed();
    const settled = await indexed();
    expect(settled.read).toEqual([]);
    expect(settled.byId.get(runId)?.summary?.tags).toEqual(['best']);
  });

  it('reads a run from its record while a change is open (a writer died between its two entries)', async () => {
    const runId = ids[2];
    datastore.runIndex.beginChange('Hello', runId);
    const record = datastore.readRun('Hello', runId);
    // The record was rewritten but its settled entry never came.
    await datastore.backend.write(
      layout.runKey('Hello', runId),
      JSON.stringify({ ...record, tags: ['late'] }),
    );
    for (let i = 0; i < 2; i++) {
      const { read, byId } = await indexed();
      expect(read).toContain(runId);
      expect(byId.get(runId)?.record?.tags).toEqual(['late']);
    }
  });

  it('keeps every entry of two processes finishing runs at the same moment', async () => {
    const script = (user: string) => `
      const { Datastore } = require(${JSON.stringify(path.join(REPO_ROOT, 'src/runtime/datastore/datastore.ts'))});
      const { runRecord } = require(${JSON.stringify(path.join(REPO_ROOT, 'test/helpers/records.ts'))});
      const store = Datastore.open({ root: ${JSON.stringify(root)} });
      const out = [];
      for (let i = 0; i < 15; i++) {
        const runId = store.newRunId();
        const record = runRecord('Hello', runId, { user: '${user}', status: 'running' });
        store.writeRun(record);
        store.writeRun({ ...record, status: 'succeeded' });
        out.push(runId);
      }
      store.backend.close();
      console.log(JSON.stringify(out));`;
    // Bob's process writes while this one writes Alice's runs (another Datastore object: no shared state).
    const bobWriting = runTsChild(script('bob'));
    const aliceStore = Datastore.open({ root });
    const alice: string[] = [];
    const deadline = Date.now() + 30_000;
    while (
      !(
        await datastore.runIndex.runs(
          'Hello',
          async (r) => r.map(() => undefined),
          () => [],
        )
      ).some((run) => run.summary?.user === 'bob') &&
      Date.now() < deadline
    ) {
      for (let i = 0; i < 3; i++) {
        alice.push(finish(aliceStore, { user: 'alice' }).runId);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const bob = JSON.parse(await bobWriting) as string[];
    // Two readers at once: both may compact, one snapshot wins, nothing is lost either way.
    const [one, two] = await Promise.all([indexed(), indexed(Datastore.open({ root }))]);
    for (const listing of [one, two, await indexed()]) {
      const users = new Map(listing.runs.map((run) => [run.summary?.runId, run.summary?.user]));
      for (const runId of alice) {
        expect(users.get(runId)).toBe('alice');
      }
      for (const runId of bob) {
        expect(users.get(runId)).toBe('bob');
      }
    }
    ids.push(...alice, ...bob);
  });

  it('cellflow runs FLOW gives the same table from the index as from the records', async () => {
    const fromIndex = JSON.parse(await listRuns(datastore, 'Hello', { tag: [], json: true })) as {
      runId: string;
      tags: string[];
      user: string;
    }[];
    expect(fromIndex.map((row) => row.runId).sort()).toEqual([...new Set(ids)].sort());
    const bobs = JSON.parse(
      await listRuns(datastore, 'Hello', { tag: [], user: 'bob', json: true }),
    ) as unknown[];
    expect(bobs).toHaveLength(15);
    const best = JSON.parse(await listRuns(datastore, 'Hello', { tag: ['best'], json: true })) as {
      runId: string;
    }[];
    expect(best.map((row) => row.runId)).toEqual([ids[4]]);
  });

  it('fsck names runs the index shows wrongly and --rebuild-index rewrites it from the records', async () => {
    const runId = ids[6];
    const record = datastore.readRun('Hello', runId);
    // Changed behind the datastore's back: no entry says so.
    await datastore.backend.write(
      layout.runKey('Hello', runId),
      JSON.stringify({ ...record, user: 'carol' }),
    );
    const report = await fsckDatastore(datastore);
    expect(report.staleIndex).toEqual([`Hello/${runId}`]);
    const repaired = await fsckDatastore(datastore, { rebuildIndex: true });
    expect(repaired.rebuiltIndex).toEqual(['Hello']);
    expect((await fsckDatastore(datastore)).staleIndex).toEqual([]);
    const { byId, read } = await indexed();
    expect(byId.get(runId)?.summary?.user).toBe('carol');
    expect(read).toEqual([]); // rebuilt: every final run summarised, the open change too
  });
});
