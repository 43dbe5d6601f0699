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
export async function corruptObject(
  datastore: Datastore,
  sha256: string,
  bytes: Uint8Array | string,
): Promise<void> {
  if (datastore.isLocal) {
    fs.writeFileSync(datastore.objects.pathOf(sha256), bytes);
  } else {
    await datastore.backend.write(layout.objectKey(sha256), bytes);
  }
}

/**
 * The local folder that holds a datastore's objects as files: its objects/ folder, or on the test S3
 * server the folder versitygw keeps the prefix's objects in (an object written again is a new file).
 */
export function objectsFolder(location: string, server: S3Server | undefined): string {
  if (!location.startsWith('s3://')) {
    return path.join(location, 'objects');
  }
  if (!server) {
    throw new Error('the S3 server is not started');
  }
  const [bucket, ...prefix] = location.slice('s3://'.length).split('/');
  return path.join(server.dir, bucket, ...prefix, 'objects');
}

/** A local file with an object's bytes, for tools that read files (pyarrow): the object itself when local. */
export function objectFile(datastore: Datastore, sha256: string, scratch: string): string {
  if (datastore.isLocal) {
    return datastore.objects.pathOf(sha256);
  }
  const file = path.join(scratch, sha256);
  fs.writeFileSync(file, datastore.backend.readSync(layout.objectKey(sha256))!.data);
  return file;
}

/**
 * A run with keys but no run.json yet (a copy under way: push/pull write run.json last): an empty run
 * folder, or a log under the run's prefix. Returns what removes it.
 */
export function plantUnfinishedRun(datastore: Datastore, flow: string, runId: string): () => Promise<void> {
  if (datastore.isLocal) {
    const dir = datastore.runDir(flow, runId);
    fs.mkdirSync(dir, { recursive: true });
    return async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  writeLog(datastore, [flow, runId, 'start', '1', 0, 'stdout'], 'copying\n');
  return () => removeRun(datastore, flow, runId);
}

/** Deletes an object behind the datastore's back (lost at rest). */
export async function removeObject(datastore: Datastore, sha256: string): Promise<void> {
  await datastore.backend.delete(layout.objectKey(sha256));
}

/** Cuts a task record to its first `length` characters behind the datastore's back (a torn write). */
export async function truncateTaskRecord(
  datastore: Datastore,
  spec: [flow: string, runId: string, step: string, taskId: string],
  length: number,
): Promise<void> {
  const key = layout.taskKey(...spec);
  const text = (await datastore.backend.read(key))!.data.toString('utf8');
  if (datastore.isLocal) {
    fs.writeFileSync(datastore.localPath(key), text.slice(0, length));
  } else {
    await datastore.backend.write(key, text.slice(0, length));
  }
}
