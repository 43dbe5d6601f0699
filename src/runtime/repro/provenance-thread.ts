// Starts provenance capture in a worker thread and hands back a promise of the result. Under
// ts-jest (no compiled worker file) it falls back to capturing on this thread.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { Datastore } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { captureRunProvenance, type Provenance, type ProvenanceInput } from './provenance';

export function startProvenanceCapture(datastore: Datastore, input: ProvenanceInput): Promise<Provenance> {
  const entry = path.join(__dirname, 'provenance-worker.js');
  if (!fs.existsSync(entry)) return captureRunProvenance(datastore, input);
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { datastoreRoot: datastore.root, input } });
    let settled = false;
    worker.once(
      'message',
      (message: { ok: true; provenance: Provenance } | { ok: false; message: string; name: string }) => {
        settled = true;
        if (message.ok) resolve(message.provenance);
        else
          reject(
            message.name === 'UserInputError'
              ? new UserInputError(message.message)
              : new Error(message.message),
          );
        void worker.terminate();
      },
    );
    worker.once('error', (error) => {
      if (!settled) reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`provenance capture stopped with exit code ${code}`));
    });
  });
}
