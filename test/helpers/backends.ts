// The datastore suites run on both backends: a temp folder, and a fresh prefix of a bucket on a real
// S3 server (versitygw, test/helpers/s3-server.ts). Tests reach storage only through these helpers
// when they need to plant or remove something behind the datastore's back.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Datastore } from '../../src/runtime/datastore/datastore';
import * as layout from '../../src/runtime/datastore/layout';
import type { S3Server } from './s3-server';

export const BACKENDS = ['local', 's3'] as const;
export type BackendKind = (typeof BACKENDS)[number];

let prefixes = 0;

/** A fresh, empty datastore location of this kind: a temp folder, or s3://bucket/<unique prefix>. */
export function freshLocation(kind: BackendKind, server: S3Server | undefined, name: string): string {
  if (kind === 'local') {
    return fs.mkdtempSync(path.join(os.tmpdir(), `cellflow-${name}-`));
  }
  if (!server) {
    throw new Error('the S3 server is not started');
  }
  return server.url(`${name}-${process.pid}-${++prefixes}`);
}

export function removeLocation(location: string): void {
  if (!location.startsWith('s3://')) {
    fs.rmSync(location, { recursive: true, force: true });
  }
}

export function writeLog(
  datastore: Datastore,
  spec: [
    flow: string,
    runId: string,
    step: string,
    taskId: string,
    attempt: number,
    stream: 'stdout' | 'stderr',
  ],
  text: string,
): void {
  datastore.backend.writeSync(layout.logKey(...spec), text);
}

/** Removes every key of a run (what a user deleting the run's folder or prefix would do). */
export async function removeRun(datastore: Datastore, flow: string, runId: string): Promise<void> {
  for (const { key } of await datastore.backend.listAll(layout.runPrefix(flow, runId))) {
    await datastore.backend.delete(key);
  }
}

/** Replaces an object's bytes behind the datastore's back (corruption at rest). */
export async function corruptObject(datastore: Datastore, sha256: string, bytes: string): Promise<void> {
  if (datastore.isLocal) {
    fs.writeFileSync(datastore.objects.pathOf(sha256), bytes);
  } else {
    await datastore.backend.write(layout.objectKey(sha256), bytes);
  }
}
