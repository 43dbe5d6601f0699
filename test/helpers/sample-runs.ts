// A datastore of flow Hello written through the Datastore API, shaped like real runs (start → end).
import * as arrow from 'apache-arrow';
import * as os from 'os';
import type { Datastore } from '../../src/runtime/datastore/datastore';
import type { RunRecord } from '../../src/runtime/records';
import { writeLog } from './backends';
import { runRecord, taskRecord } from './records';

export type SampleRuns = Awaited<ReturnType<typeof populate>>;

/**
 * A datastore written through the Datastore API, shaped like real runs of flow Hello (start → end):
 * alice's two successful runs (the older tagged nightly), bob's failed run, and alice's live run.
 */
export async function populate(datastore: Datastore) {
  const frame = await datastore.saveArtifact(
    'frame',
    arrow.tableFromArrays({ n: Int32Array.from([1, 2, 3]) }),
  );
  const ids: string[] = [];
  const addRun = async (user: string, status: RunRecord['status'], extra: Partial<RunRecord> = {}) => {
    const runId = datastore.newRunId();
    ids.push(runId);
    datastore.writeRun(runRecord('Hello', runId, { user, status, ...extra }));
    const x = await datastore.saveArtifact('x', ids.length * 10);
    datastore.writeTask(taskRecord('Hello', runId, 'start', '1', { x, frame }));
    writeLog(datastore, ['Hello', runId, 'start', '1', 0, 'stdout'], `hello from run ${ids.length}\n`);
    if (status === 'succeeded') {
      const blob = await datastore.saveArtifact('blob', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      const result = await datastore.saveArtifact('result', {
        total: ids.length * 10 + 1,
        when: new Date(0),
      });
      datastore.writeTask(
        taskRecord(
          'Hello',
          runId,
          'end',
          '2',
          { x, frame, result, blob },
          { parents: [`Hello/${runId}/start/1`] },
        ),
      );
    }
    if (status === 'failed') {
      datastore.writeTask(
        taskRecord(
          'Hello',
          runId,
          'end',
          '2',
          { x },
          {
            status: 'failed',
            attempts: [
              {
                attempt: 0,
                status: 'failed',
                startedAt: '2024-05-01T10:00:02.000Z',
                error: { message: 'boom' },
              },
              {
                attempt: 1,
                status: 'failed',
                startedAt: '2024-05-01T10:00:03.000Z',
                error: { message: 'boom again' },
              },
            ],
          },
        ),
      );
      writeLog(datastore, ['Hello', runId, 'end', '2', 0, 'stderr'], 'first failure\n');
      writeLog(datastore, ['Hello', runId, 'end', '2', 1, 'stderr'], 'second failure\n');
    }
    if (status === 'running') {
      datastore.writeTask(
        taskRecord(
          'Hello',
          runId,
          'end',
          '2',
          { x },
          {
            status: 'running',
            attempts: [{ attempt: 0, status: 'running', startedAt: new Date().toISOString() }],
          },
        ),
      );
    }
    return runId;
  };
  const older = await addRun('alice', 'succeeded', { tags: ['nightly'] });
  const failed = await addRun('bob', 'failed');
  const newest = await addRun('alice', 'succeeded');
  const live = await addRun('alice', 'running', {
    scheduler: { pid: process.pid, host: os.hostname(), heartbeatAt: new Date().toISOString() },
  });
  return { older, failed, newest, live };
}
