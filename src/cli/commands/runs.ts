// `cellflow runs [FLOW]`: the runs in the datastore, newest first. Reads only run.json files, so it
// stays fast with thousands of runs.
import { InvalidArgumentError, type Command } from 'commander';
import {
  checkName,
  Datastore,
  effectiveRunStatus,
  formatPathspec,
  type IndexedRun,
  NotFoundError,
  type RunRecord,
  type RunSummary,
} from '../../runtime';
import { summaryOf } from '../../runtime/datastore';
import { collect, parseCount } from './options';
import { elapsed, formatDuration, formatTime, renderTable, runEndedAt } from './display';
import type { CliIO } from '../io';

const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'abandoned'];

function parseStatus(value: string): string {
  if (!RUN_STATUSES.includes(value)) {
    throw new InvalidArgumentError(`use one of ${RUN_STATUSES.join(', ')}.`);
  }
  return value;
}

interface RunsOptions {
  user?: string;
  tag: string[];
  status?: string;
  limit?: number;
  json?: boolean;
}

export function registerRuns(program: Command, io: CliIO): void {
  program
    .command('runs')
    .description('list runs, newest first (all flows, or one)')
    .argument('[flow]', 'flow name')
    .option('--user <name>', 'only runs by this user')
    .option('--tag <tag>', 'only runs with this tag (repeatable: all must match)', collect, [])
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`, parseStatus)
    .option('-n, --limit <count>', 'show at most this many runs', parseCount)
    .option('--json', 'print JSON instead of a table')
    .action(async (flow: string | undefined, options: RunsOptions) => {
      io.stdout(await listRuns(Datastore.open(), flow, options));
    });
}

export async function listRuns(
  datastore: Datastore,
  flow: string | undefined,
  options: RunsOptions,
): Promise<string> {
  const flows = flow === undefined ? datastore.listFlows() : [checkName('flow name', flow)];
  if (flow !== undefined && !datastore.listFlows().includes(flow)) {
    throw new NotFoundError(`flow ${flow} has no runs in ${datastore.root}`);
  }
  const now = Date.now();
  const rows: RunRow[] = [];
  // Without a filter, `--limit N` needs only each flow's N newest records (run ids sort by time):
  // one listing and N reads. Otherwise the flow's summary index gives the final runs from a listing
  // and a few objects, and only the runs it cannot vouch for (running ones) are read.
  const filtered = options.user !== undefined || options.status !== undefined || options.tag.length > 0;
  for (const name of flows) {
    const runs: IndexedRun[] =
      !filtered && options.limit !== undefined
        ? (await readNewestRuns(datastore, name, datastore.listRuns(name), options.limit)).flatMap(
            (record) => (record ? [{ record }] : []),
          )
        : await datastore.runIndex.runs(
            name,
            (ids) => readRuns(datastore, name, ids),
            () => datastore.listRuns(name),
          );
    for (const run of runs) {
      const row = run.record ? rowOfRecord(run.record, now) : rowOfSummary(run.summary);
      if (options.user !== undefined && row.user !== options.user) {
        continue;
      }
      if (options.status !== undefined && row.status !== options.status) {
        continue;
      }
      if (!options.tag.every((tag) => row.tags.includes(tag))) {
        continue;
      }
      rows.push(row);
    }
  }
  // Run ids sort by time, so the newest run has the greatest id, whatever its flow.
  rows.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
  const shown = options.limit === undefined ? rows : rows.slice(0, options.limit);

  if (options.json) {
    return JSON.stringify(shown, null, 2) + '\n';
  }
  if (!shown.length) {
    return flow ? `no runs of ${flow} match\n` : 'no runs yet\n';
  }
  // The reproduction column appears when a listed run is a reproduction (most datastores have none).
  const reproductions = shown.some((row) => row.reproduction !== null);
  return renderTable(
    ['RUN', 'STATUS', ...(reproductions ? ['REPRODUCTION'] : []), 'USER', 'STARTED', 'DURATION', 'TAGS'],
    shown.map((row) => [
      row.pathspec,
      row.status,
      ...(reproductions ? [row.reproduction ?? '-'] : []),
      row.user,
      formatTime(row.createdAt),
      formatDuration(row.durationMs ?? undefined),
      row.tags.join(', '),
    ]),
  );
}

/** A row of the table (and of --json). */
interface RunRow extends RunSummary {
  pathspec: string;
  durationMs: number | null;
}

/** Keep only what the table shows: with thousands of runs, holding every graph costs GC time. */
function rowOfRecord(record: RunRecord, now: number): RunRow {
  const status = effectiveRunStatus(record, now);
  return row({ ...summaryOf(record), status }, elapsed(record.createdAt, runEndedAt(record, status), now));
}

function rowOfSummary(summary: RunSummary): RunRow {
  return row(summary, elapsed(summary.createdAt, summary.finishedAt ?? undefined));
}

function row(summary: RunSummary, durationMs: number | undefined): RunRow {
  return {
    pathspec: formatPathspec({ flow: summary.flow, runId: summary.runId }),
    flow: summary.flow,
    runId: summary.runId,
    status: summary.status,
    user: summary.user,
    createdAt: summary.createdAt,
    finishedAt: summary.finishedAt,
    durationMs: durationMs ?? null,
    tags: summary.tags,
    reproduction: summary.reproduction,
  };
}

/** The records of `runIds` (newest first), or of just enough of them to give `wanted` records. */
async function readNewestRuns(
  datastore: Datastore,
  flow: string,
  runIds: string[],
  wanted: number,
): Promise<(RunRecord | undefined)[]> {
  const read = (ids: string[]) => readRuns(datastore, flow, ids);
  const records: (RunRecord | undefined)[] = [];
  let found = 0;
  // A run folder without run.json (a copy under way) gives no record: read on until enough.
  for (let start = 0; start < runIds.length && found < wanted;) {
    const window = runIds.slice(start, start + (wanted - found));
    start += window.length;
    for (const record of await read(window)) {
      records.push(record);
      if (record) {
        found++;
      }
    }
  }
  return records;
}

/** Local: one synchronous read a run (the fast path). S3: many reads in flight at once. */
async function readRuns(
  datastore: Datastore,
  flow: string,
  runIds: string[],
): Promise<(RunRecord | undefined)[]> {
  return datastore.isLocal
    ? runIds.map((runId) => datastore.tryReadRun(flow, runId))
    : await datastore.readRunsAsync(flow, runIds);
}
