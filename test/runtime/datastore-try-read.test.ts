// tryReadRun and tryReadTask on both backends: undefined only for a record that is not there (a run
// folder may exist a moment before its run.json does); a damaged record throws as readRun does.
import { Datastore, PreconditionFailedError } from '../../src/runtime/datastore/datastore';
import * as layout from '../../src/runtime/datastore/layout';
import { BACKENDS, freshLocation, removeLocation } from '../helpers/backends';
import { runRecord, taskRecord } from '../helpers/records';
import { s3ServerForFile } from '../helpers/s3-server';

const s3 = s3ServerForFile();
afterAll(async () => {});

describe.each(BACKENDS)('tryReadRun and tryReadTask (%s datastore)', (backend) => {
  let root: string;
  let datastore: Datastore;
  beforeAll(() => {
    root = freshLocation(backend, s3.server, 'try-read');
    datastore = Datastore.open({ root });
  });
  afterAll(() => removeLocation(root));

  it('answer undefined for a run or task without a record, the record when there is one', () => {
    const runId = datastore.newRunId();
    expect(datastore.tryReadRun('Hello', runId)).toBeUndefined();
    expect(datastore.tryReadTask('Hello', runId, 'start', '1')).toBeUndefined();

    // A task recorded before its run's run.json: the run folder exists, its record not yet.
    const task = taskRecord('Hello', runId, 'start', '1', {});
    datastore.writeTask(task);
    expect(datastore.listRuns('Hello')).toContain(runId);
    expect(datastore.tryReadRun('Hello', runId)).toBeUndefined();
    expect(datastore.tryReadTask('Hello', runId, 'start', '1')).toEqual(task);
    expect(datastore.tryReadTask('Hello', runId, 'start', '2')).toBeUndefined();

    const run = runRecord('Hello', runId);
    datastore.writeRun(run);
    expect(datastore.tryReadRun('Hello', runId)).toEqual(run);
  });

  it('note the version read, as readRun does: the next write replaces that version', () => {
    const runId = datastore.newRunId();
    datastore.writeRun(runRecord('Hello', runId, { tags: [] }));
    const other = Datastore.open({ root });
    const changed = runRecord('Hello', runId, { tags: ['checked'] });
    expect(() => other.writeRun(changed)).toThrow(PreconditionFailedError); // never read: create-only
    other.tryReadRun('Hello', runId);
    other.writeRun(changed);
    expect(datastore.readRun('Hello', runId).tags).toEqual(['checked']);
  });

  it('throw for a damaged record instead of calling it missing', async () => {
    const runId = datastore.newRunId();
    await datastore.backend.write(layout.runKey('Hello', runId), '{"flow": "Hel');
    await datastore.backend.write(layout.taskKey('Hello', runId, 'start', '1'), 'not json');
    expect(() => datastore.tryReadRun('Hello', runId)).toThrow(/run Hello\/.* is not valid JSON/);
    expect(() => datastore.tryReadTask('Hello', runId, 'start', '1')).toThrow(
      /task Hello\/.*\/start\/1: .* is not valid JSON/,
    );
  });

  it('reject names that are not names, as every path builder does', () => {
    expect(() => datastore.tryReadRun('Hello', '../x')).toThrow(/invalid run id/);
    expect(() => datastore.tryReadTask('Hello', '1', 'start', 'a/b')).toThrow(/invalid task id/);
  });
});
