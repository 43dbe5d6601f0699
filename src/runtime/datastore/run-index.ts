// A per-flow summary index of runs, so `cellflow runs FLOW` over thousands of runs reads one object
// and a short listing instead of every run.json (on S3 every GET costs SDK CPU and a LIST pages
// through a thousand keys at a time, so reading every record does not scale). The run records stay the
// source of truth: a run the index cannot vouch for is read from its record. Under index/<Flow>/:
//   entries/<stamp>.<runId>.<change>.started  written before a run's first run.json
//   entries/<stamp>.<runId>.<change>.settled  a run's summary, written after a final run.json
//   entries/<stamp>.<runId>.<change>.open     written before a final run.json is changed (tags...)
//   snapshot.json  what readers merged: each known run's summary (or none: read its record) and
//                  open changes, the cursor (a time) and the entry names merged since it
//   horizon        the last snapshot's cursor, so a writer whose clock lags stamps after it
// Entries are create-only and never rewritten: concurrent writers (two users finishing runs at once)
// cannot lose each other's. A reader lists only entries stamped after the snapshot's cursor less a
// margin (a writer's stamp and its PUT are at most MARGIN_MS apart), so the listing stays short
// however many runs the flow has. The snapshot is written by readers (compaction), conditionally on
// the version they read; one that loses the race leaves it to the next.
// When a reader trusts the index rather than the record (see `RunIndex.runs`):
//   - a run with an open change (an open entry and no settled entry of that change) is read from
//     its record: a writer is changing it, or died doing so;
//   - a run with a summary and no new entry keeps its summary;
//   - a run without a summary whose only new entries are its start and one settled entry gets that
//     entry's summary (its first final record: a run that was running, or is new);
//   - anything else (two settled entries, a change to a summarised run) is read from its record,
//     whose summary the next snapshot keeps.
// Running runs are never summarised: their liveness (heartbeat, pid) is read from the record.
// Without a snapshot (a datastore older than the index) the first reader lists every run folder and
// reads every record once; `cellflow fsck --rebuild-index` does the same on demand.
import type { RunRecord } from '../records';
import { PreconditionFailedError, type StorageBackend } from './backend';
import { checkName, formatPathspec, parseRunPathspec } from './pathspec';

/** What `cellflow runs` shows of a run whose record is final. */
export interface RunSummary {
  flow: string;
  runId: string;
  status: string;
  user: string;
  createdAt: string;
  finishedAt: string | null;
  tags: string[];
  /** For a reproduction: "identical to RUN" or "different from RUN (first: STEP)"; else null. */
  reproduction: string | null;
}

/** A run as the index gives it: its summary, or its record when the index could not vouch for it. */
export type IndexedRun =
  { summary: RunSummary; record?: undefined } | { summary?: undefined; record: RunRecord };

/** What a snapshot knows of one run. */
interface KnownRun {
  /** Absent: read the record (running, being changed, or not final when last read). */
  summary?: RunSummary;
  /** Changes begun (open entries) whose settled entry has not been seen. */
  open?: string[];
}

interface Snapshot {
  format: 2;
  /** Entries stamped before `cursor - MARGIN_MS` are all merged; later ones are listed again. */
  cursor: number;
  /** Names of merged entries stamped at or after `cursor - MARGIN_MS`. */
  merged: string[];
  runs: Record<string, KnownRun>;
}

/** A snapshot is rewritten once this many summaries or entries would otherwise be read again. */
const COMPACT_AFTER = 8;
/** A listing this long moves the cursor on (compacts) once the margin has passed. */
const LONG_LISTING = 100;
/** The most a writer's stamp may precede its entry's PUT (see the header). */
const MARGIN_MS = 60_000;
const ENTRY = /^(\d{13})\.([A-Za-z0-9_-]{1,128})\.([0-9a-f]{8})\.(started|open|settled)$/;

type EntryKind = 'started' | 'open' | 'settled';

export const INDEX = 'index';

export function indexPrefix(flow: string): string {
  return `${INDEX}/${checkName('flow name', flow)}`;
}

export function summaryOf(record: RunRecord): RunSummary {
  return {
    flow: record.flow,
    runId: record.runId,
    status: record.status,
    user: record.user,
    createdAt: record.createdAt,
    finishedAt: record.finishedAt ?? null,
    tags: record.tags,
    reproduction: reproductionCell(record),
  };
}

function reproductionCell(record: RunRecord): string | null {
  const verdict = record.origin?.kind === 'reproduce' ? record.origin.verdict : undefined;
  if (!verdict) {
    return null;
  }
  const origin = parseRunPathspec(record.origin!.pathspec).runId;
  return verdict.result === 'identical'
    ? `identical to ${origin}`
    : `different from ${origin}${verdict.first ? ` (first: ${verdict.first.step})` : ''}`;
}

/** A record the index may summarise: one whose status no longer changes by itself. */
export function isFinal(record: Pick<RunRecord, 'status'>): boolean {
  return record.status !== 'running';
}

function newChange(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}

function stampText(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(13, '0');
}

export class RunIndex {
  constructor(private readonly backend: StorageBackend) {}

  /** Before a run's first record: readers learn of the run (and read its record while it runs). */
  started(flow: string, runId: string): void {
    this.writeEntry(flow, runId, newChange(), 'started', '');
  }

  /** Before a final run record is rewritten: readers go to the record until `settled`. */
  beginChange(flow: string, runId: string): string {
    const change = newChange();
    this.writeEntry(flow, runId, change, 'open', '');
    return change;
  }

  /** After a final run record was written (with the change `beginChange` returned, if any). */
  settled(record: RunRecord, change = newChange()): void {
    this.writeEntry(record.flow, record.runId, change, 'settled', JSON.stringify(summaryOf(record)));
  }

  async beginChangeAsync(flow: string, runId: string): Promise<string> {
    const change = newChange();
    await this.backend.write(this.entryKey(flow, runId, change, 'open', await this.stampAsync(flow)), '', {
      ifAbsent: true,
    });
    return change;
  }

  async settledAsync(record: RunRecord, change = newChange()): Promise<void> {
    const key = this.entryKey(
      record.flow,
      record.runId,
      change,
      'settled',
      await this.stampAsync(record.flow),
    );
    await this.backend.write(key, JSON.stringify(summaryOf(record)), { ifAbsent: true, deferSync: true });
  }

  /**
   * Every run of the flow, newest first: from the index where it can vouch for them, from
   * `readRecords` otherwise (a run without a record, e.g. one being created, is left out); merges what
   * it learned into the snapshot. `listRunIds` (every run folder) is used only without a snapshot.
   */
  async runs(
    flow: string,
    readRecords: (runIds: string[]) => Promise<(RunRecord | undefined)[]>,
    listRunIds: () => string[],
  ): Promise<IndexedRun[]> {
    const listedAt = Date.now();
    const snapshotBlob = await this.backend.read(this.snapshotKey(flow));
    const snapshot = parseSnapshot(snapshotBlob?.data);
    if (!snapshot) {
      return this.bootstrap(flow, readRecords, listRunIds, listedAt, snapshotBlob?.version);
    }
    const from = stampText(snapshot.cursor - MARGIN_MS);
    const merged = new Set(snapshot.merged);
    const listed = (await this.backend.listAfter(`${indexPrefix(flow)}/entries`, from)).filter((name) =>
      ENTRY.test(name),
    );
    const fresh = new Map<string, { kind: EntryKind; change: string; name: string }[]>();
    for (const name of listed) {
      if (merged.has(name)) {
        continue;
      }
      const [, , runId, change, kind] = ENTRY.exec(name)!;
      fresh.set(runId, [...(fresh.get(runId) ?? []), { kind: kind as EntryKind, change, name }]);
    }

    const runs: Record<string, KnownRun> = { ...snapshot.runs };
    const fromEntry: [string, string][] = [];
    const fromRecord: string[] = [];
    let learned = 0;
    for (const runId of new Set([...Object.keys(runs), ...fresh.keys()])) {
      const known = runs[runId] ?? {};
      const entries = fresh.get(runId) ?? [];
      const open = new Set(known.open ?? []);
      for (const entry of entries) {
        if (entry.kind === 'open') {
          open.add(entry.change);
        }
      }
      for (const entry of entries) {
        if (entry.kind === 'settled') {
          open.delete(entry.change);
        }
      }
      const settled = entries.filter((entry) => entry.kind === 'settled');
      runs[runId] = open.size ? { open: [...open] } : {};
      if (entries.length) {
        learned++;
      }
      if (open.size) {
        fromRecord.push(runId);
      } else if (known.summary && !entries.length) {
        runs[runId] = { summary: known.summary };
      } else if (!known.summary && settled.length === 1 && entries.every((e) => e.kind !== 'open')) {
        fromEntry.push([runId, settled[0].name]);
      } else {
        fromRecord.push(runId);
      }
    }

    const entryBlobs = await readMany(fromEntry, ([, name]) =>
      this.backend.read(`${indexPrefix(flow)}/entries/${name}`),
    );
    fromEntry.forEach(([runId], i) => {
      const summary = parseSummary(entryBlobs[i]?.data, flow, runId);
      if (summary) {
        runs[runId] = { summary };
      } else {
        fromRecord.push(runId); // removed (fsck rebuilt the index) or unreadable: ask the record
      }
    });
    const records = new Map<string, RunRecord>();
    (await readRecords(fromRecord)).forEach((record, i) => {
      const runId = fromRecord[i];
      if (!record) {
        return; // not written yet (started), or removed: asked again next time
      }
      records.set(runId, record);
      if (isFinal(record) && !runs[runId].open) {
        runs[runId] = { summary: summaryOf(record) };
        learned++;
      }
    });

    // Also when the listing was long and a later cursor would shorten it (a burst of runs ended).
    const longListing = listed.length >= LONG_LISTING && listedAt - snapshot.cursor > MARGIN_MS;
    if (learned >= COMPACT_AFTER || longListing) {
      await this.writeSnapshot(flow, listedAt, listed, runs, snapshotBlob?.version);
    }
    return this.ordered(runs, records);
  }

  /** No snapshot yet: every run folder and record read once, and the snapshot written from them. */
  private async bootstrap(
    flow: string,
    readRecords: (runIds: string[]) => Promise<(RunRecord | undefined)[]>,
    listRunIds: () => string[],
    listedAt: number,
    version: string | undefined,
  ): Promise<IndexedRun[]> {
    const listed = (await this.backend.listAfter(`${indexPrefix(flow)}/entries`, '')).filter((name) =>
      ENTRY.test(name),
    );
    const open = new Map<string, Set<string>>();
    for (const name of listed) {
      const [, , runId, change, kind] = ENTRY.exec(name)!;
      const changes = open.get(runId) ?? new Set<string>();
      if (kind === 'open') {
        changes.add(change);
      }
      open.set(runId, changes);
    }
    for (const name of listed) {
      const [, , runId, change, kind] = ENTRY.exec(name)!;
      if (kind === 'settled') {
        open.get(runId)!.delete(change);
      }
    }
    const runIds = [...new Set([...listRunIds(), ...open.keys()])];
    const runs: Record<string, KnownRun> = {};
    const records = new Map<string, RunRecord>();
    (await readRecords(runIds)).forEach((record, i) => {
      const runId = runIds[i];
      const pending = [...(open.get(runId) ?? [])];
      runs[runId] = pending.length ? { open: pending } : {};
      if (record) {
        records.set(runId, record);
        if (isFinal(record) && !pending.length) {
          runs[runId] = { summary: summaryOf(record) };
        }
      }
    });
    await this.writeSnapshot(flow, listedAt, listed, runs, version);
    return this.ordered(runs, records);
  }

  /**
   * Rebuilds a flow's index from its records (fsck): a snapshot of every final record; the entries
   * listed before the records were read are removed (entries written meanwhile stay, so a run started
   * or changed during the rebuild is still found and read from its record).
   */
  async rebuild(flow: string, records: RunRecord[]): Promise<void> {
    const before = (await this.backend.listAfter(`${indexPrefix(flow)}/entries`, '')).filter((name) =>
      ENTRY.test(name),
    );
    const since = before.length ? Number(ENTRY.exec(before[before.length - 1])![1]) : Date.now();
    const runs: Record<string, KnownRun> = {};
    for (const record of records) {
      runs[record.runId] = isFinal(record) ? { summary: summaryOf(record) } : {};
    }
    const current = await this.backend.read(this.snapshotKey(flow));
    const snapshot: Snapshot = { format: 2, cursor: since + MARGIN_MS, merged: [], runs };
    await this.backend.write(
      this.snapshotKey(flow),
      JSON.stringify(snapshot),
      current ? { ifVersion: current.version } : { ifAbsent: true },
    );
    for (const name of before) {
      await this.backend.delete(`${indexPrefix(flow)}/entries/${name}`);
    }
  }

  /**
   * Runs `cellflow runs` would show wrongly (fsck): a summary that differs from the final record, or
   * a run with a record that the index does not know of (written by a cellflow older than the index).
   */
  async staleRuns(flow: string, records: RunRecord[]): Promise<string[]> {
    if (!parseSnapshot((await this.backend.read(this.snapshotKey(flow)))?.data)) {
      return []; // nothing summarised yet: the first reader reads every record
    }
    const byId = new Map(records.map((record) => [record.runId, record]));
    const indexed = await this.runs(
      flow,
      async (ids) => ids.map((id) => byId.get(id)),
      () => [],
    );
    const stale: string[] = [];
    const shown = new Set<string>();
    for (const run of indexed) {
      const runId = run.summary?.runId ?? run.record!.runId;
      shown.add(runId);
      const record = byId.get(runId);
      if (run.summary && (!record || JSON.stringify(summaryOf(record)) !== JSON.stringify(run.summary))) {
        stale.push(formatPathspec({ flow, runId }));
      }
    }
    for (const record of records) {
      if (!shown.has(record.runId)) {
        stale.push(formatPathspec({ flow, runId: record.runId }));
      }
    }
    return stale.sort();
  }

  private ordered(runs: Record<string, KnownRun>, records: Map<string, RunRecord>): IndexedRun[] {
    const out: IndexedRun[] = [];
    for (const runId of Object.keys(runs).sort().reverse()) {
      const record = records.get(runId);
      const summary = runs[runId].summary;
      if (record) {
        out.push({ record });
      } else if (summary) {
        out.push({ summary });
      }
    }
    return out;
  }

  private async writeSnapshot(
    flow: string,
    listedAt: number,
    listed: string[],
    runs: Record<string, KnownRun>,
    version: string | undefined,
  ): Promise<void> {
    const from = stampText(listedAt - MARGIN_MS);
    const snapshot: Snapshot = {
      format: 2,
      cursor: listedAt,
      merged: listed.filter((name) => name >= from),
      runs,
    };
    try {
      await this.backend.write(
        this.snapshotKey(flow),
        JSON.stringify(snapshot),
        version ? { ifVersion: version } : { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) {
        throw error;
      }
      return; // another reader compacted first: its snapshot serves as well as ours
    }
    await this.backend.write(this.horizonKey(flow), String(listedAt));
  }

  /** An entry's stamp: now, or just after the last snapshot's cursor when this clock lags behind it. */
  private stamp(flow: string): string {
    return stampText(Math.max(Date.now(), horizonOf(this.backend.readSync(this.horizonKey(flow))?.data) + 1));
  }

  private async stampAsync(flow: string): Promise<string> {
    return stampText(
      Math.max(Date.now(), horizonOf((await this.backend.read(this.horizonKey(flow)))?.data) + 1),
    );
  }

  private writeEntry(flow: string, runId: string, change: string, kind: EntryKind, body: string): void {
    // Settled entries need no fsync: one lost in a crash sends readers to the run's record.
    this.backend.writeSync(this.entryKey(flow, runId, change, kind, this.stamp(flow)), body, {
      ifAbsent: true,
      deferSync: kind === 'settled',
    });
  }

  private snapshotKey(flow: string): string {
    return `${indexPrefix(flow)}/snapshot.json`;
  }

  private horizonKey(flow: string): string {
    return `${indexPrefix(flow)}/horizon`;
  }

  private entryKey(flow: string, runId: string, change: string, kind: EntryKind, stamp: string): string {
    checkName('run id', runId);
    return `${indexPrefix(flow)}/entries/${stamp}.${runId}.${change}.${kind}`;
  }
}

function horizonOf(data: Buffer | undefined): number {
  const value = data ? Number(data.toString('utf8')) : 0;
  return Number.isFinite(value) ? value : 0;
}

function parseSnapshot(data: Buffer | undefined): Snapshot | undefined {
  if (!data) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Snapshot;
    if (
      parsed.format !== 2 ||
      typeof parsed.cursor !== 'number' ||
      !Array.isArray(parsed.merged) ||
      typeof parsed.runs !== 'object'
    ) {
      return undefined;
    }
    return parsed;
  } catch {
    return undefined; // torn or foreign: rebuilt from the records by this reader
  }
}

function parseSummary(data: Buffer | undefined, flow: string, runId: string): RunSummary | undefined {
  if (!data) {
    return undefined;
  }
  try {
    const summary = JSON.parse(data.toString('utf8')) as RunSummary;
    return summary.flow === flow && summary.runId === runId ? summary : undefined;
  } catch {
    return undefined;
  }
}

async function readMany<T, R>(items: T[], read: (item: T) => Promise<R>, concurrency = 32): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      out[i] = await read(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
