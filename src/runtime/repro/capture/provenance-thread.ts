// Starts provenance capture in a worker thread and hands back a promise of the result. Under
// ts-jest (no compiled worker file) it falls back to capturing on this thread.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { Datastore } from '../../datastore/datastore';
import { reviveError, type SerializedError } from '../../datastore/thread-errors';
import type { CapturedProvenance, ProvenanceInput } from './provenance';

export function startProvenanceCapture(
  datastore: Datastore,
  input: ProvenanceInput,
): Promise<CapturedProvenance> {
  const entry = path.join(__dirname, 'provenance-worker.js');
  // Only the fallback loads the capture code here: it pulls in isomorphic-git, which the
  // scheduler's thread must not pay, nor carry in its heap into every task process it forks.
  if (!fs.existsSync(entry)) {
    return import('./provenance').then(({ captureRunProvenance }) => captureRunProvenance(datastore, input));
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { datastoreRoot: datastore.root, input } });
    let settled = false;
    worker.once(
      'message',
      (message: { ok: true; provenance: CapturedProvenance } | { ok: false; error: SerializedError }) => {
        settled = true;
        if (message.ok) {
          resolve(message.provenance);
        } else {
          reject(reviveError(message.error));
        }
        void worker.terminate();
      },
    );
    worker.once('error', (error) => {
      if (!settled) {
        reject(error);
      }
    });
    worker.once('exit', (code) => {
      if (!settled) {
        reject(new Error(`provenance capture stopped with exit code ${code}`));
      }
    });
  });
}
