// Worker-thread entry: captures a run's provenance off the scheduler's thread, so loading
// isomorphic-git, walking the working tree and checking node_modules overlap the run's tasks.
import { parentPort, workerData } from 'worker_threads';
import { prepareFastGitLoad } from './git-loader';
import type { ProvenanceInput } from './provenance';
import { serializeError } from '../../datastore/thread-errors';

interface Job {
  datastoreRoot: string;
  input: ProvenanceInput;
}

prepareFastGitLoad();
// Required after the preparation, so that isomorphic-git loads with it.
const { Datastore } = require('../../datastore/datastore') as typeof import('../../datastore/datastore');
const { captureRunProvenance } = require('./provenance') as typeof import('./provenance');

const job = workerData as Job;
captureRunProvenance(Datastore.open({ root: job.datastoreRoot }), job.input).then(
  (provenance) => parentPort!.postMessage({ ok: true, provenance }),
  (error: unknown) => parentPort!.postMessage({ ok: false, error: serializeError(error) }),
);
