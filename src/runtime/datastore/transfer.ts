// `cellflow push` / `pull`: copies one run between two datastores (any backends) with every object
// it references, so the copy can be read, resumed and reproduced from the destination alone.
// Idempotent: objects already there are skipped (content-addressed); records and logs are written
// only when absent or different. Order makes a half-done copy invisible: objects, then task records
// and logs, then run.json last (readers skip a run folder without run.json).
import { effectiveRunStatus } from './liveness';
import type { Datastore } from './datastore';
import * as layout from './layout';
import { formatPathspec } from './pathspec';
import type { RunRecord } from '../records';
import { isFinal } from './run-index';
import { UserInputError } from '../errors';

export interface TransferReport {
  pathspec: string;
  from: string;
  to: string;
  tasks: number;
  objects: number;
  objectsCopied: number;
  bytesCopied: number;
  recordsWritten: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const OBJECT_CONCURRENCY = 4;

export async function copyRun(
  from: Datastore,
  to: Datastore,
  flow: string,
  runId: string,
): Promise<TransferReport> {
  const pathspec = formatPathspec({ flow, runId });
  if (from.root === to.root) {
    throw new UserInputError(`${pathspec}: the source and destination are both ${from.root}`);
  }
  const run = from.readRun(flow, runId);
  if (effectiveRunStatus(run) === 'running') {
    throw new UserInputError(`run ${pathspec} is still running: copy it once it has finished`);
  }
  const tasks = from.listTasks(flow, runId);

  // Objects: the artifacts tasks hold (must exist), and every sha256 the run record names (module,
  // parameters, sources, lockfile, code package, packed dependencies: copied when the source has it).
  const required = new Map<string, string>();
  for (const task of tasks) {
    for (const [name, ref] of Object.entries(task.artifacts)) {
      required.set(
        ref.sha256,
        `artifact '${name}' of ${task.flow}/${task.runId}/${task.step}/${task.taskId}`,
      );
    }
  }
  for (const [name, ref] of Object.entries(run.parameterArtifacts ?? {})) {
    required.set(ref.sha256, `parameter '${name}'`);
  }
  if (run.module) {
    required.set(run.module.javascriptSha256, 'compiled module');
    required.set(run.module.typescriptSha256, 'compiled module (TypeScript)');
  }
  const optional = new Set<string>();
  collectHashes(run, optional);
  for (const task of tasks) {
    collectHashes(task, optional);
  }
  for (const sha of required.keys()) {
    optional.delete(sha);
  }

  const report: TransferReport = {
    pathspec,
    from: from.root,
    to: to.root,
    tasks: tasks.length,
    objects: 0,
    objectsCopied: 0,
    bytesCopied: 0,
    recordsWritten: 0,
  };
  const work: { sha: string; context?: string }[] = [
    ...[...required].map(([sha, context]) => ({ sha, context })),
    ...[...optional].map((sha) => ({ sha })),
  ];
  const copyOne = async ({ sha, context }: { sha: string; context?: string }) => {
    if (await to.objects.hasAsync(sha)) {
      report.objects++;
      return;
    }
    if (context === undefined && !(await from.objects.hasAsync(sha))) {
      return;
    } // named, never stored
    const data = await from.objects.get(sha, context ?? `object named by ${pathspec}`); // verified
    await to.objects.putChunks([data]);
    report.objects++;
    report.objectsCopied++;
    report.bytesCopied += data.byteLength;
  };
  const queue = [...work];
  await Promise.all(
    Array.from({ length: OBJECT_CONCURRENCY }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        await copyOne(item);
      }
    }),
  );

  // Task records and their logs, then the run record.
  for (const task of tasks) {
    const prefix = layout.taskPrefix(flow, runId, task.step, task.taskId);
    const { files } = await from.backend.list(prefix);
    for (const name of files.sort((a, b) => (a === 'task.json' ? 1 : b === 'task.json' ? -1 : 0))) {
      if (name !== 'task.json' && !/^\d+\.(stdout|stderr)$/.test(name)) {
        continue;
      }
      if (await copyKey(from, to, `${prefix}/${name}`)) {
        report.recordsWritten++;
      }
    }
  }
  // Written as any run record is there: the destination's run index learns of it (run-index.ts).
  const runKey = layout.runKey(flow, runId);
  const [source, replaced] = await Promise.all([from.backend.read(runKey), to.backend.read(runKey)]);
  if (source && !replaced?.data.equals(source.data)) {
    const wasFinal =
      replaced !== undefined && isFinal(JSON.parse(replaced.data.toString('utf8')) as RunRecord);
    const change = wasFinal ? await to.runIndex.beginChangeAsync(flow, runId) : undefined;
    await to.backend.write(runKey, source.data);
    report.recordsWritten++;
    const record = JSON.parse(source.data.toString('utf8')) as RunRecord;
    if (isFinal(record)) {
      await to.runIndex.settledAsync(record, change);
    }
  }
  return report;
}

/** Writes the key's bytes to the destination unless it already holds exactly them. */
async function copyKey(from: Datastore, to: Datastore, key: string): Promise<boolean> {
  const source = await from.backend.read(key);
  if (!source) {
    return false;
  }
  const existing = await to.backend.read(key);
  if (existing?.data.equals(source.data)) {
    return false;
  }
  await to.backend.write(key, source.data);
  return true;
}

/** Every 64-hex string under a key that names a sha256, anywhere in a record. */
function collectHashes(value: unknown, out: Set<string>, key = ''): void {
  if (typeof value === 'string') {
    if (/sha256/i.test(key) && SHA256_HEX.test(value)) {
      out.add(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      collectHashes(item, out, key);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      collectHashes(v, out, k);
    }
  }
}
