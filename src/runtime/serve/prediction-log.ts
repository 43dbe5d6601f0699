// The prediction log (DESIGN "Serving"): every answered request, with the run and the sha256 of each
// artifact the function read, so any answer can be traced and recomputed (`cellflow replay`).
//
// Layout: predictions/<Flow>/<endpoint>/<yyyy-mm-dd>/<id>.jsonl, one JSON record a line. Locally a
// server appends to its own segment file there (named by an id taken when it starts), one write a
// batch (its fdatasync runs behind, see log-storage.ts); on S3 each batch is a new object. Nothing is
// ever rewritten. Durability is group commit: `append` resolves only when the batch holding the record
// is written, and the server answers a request only after that. So a SIGKILL loses no acknowledged
// prediction; what it can lose are predictions whose answer was not yet sent. While one batch is being written the next one fills up,
// so under load a batch holds every request that arrived during the previous write.
import type { Datastore } from '../datastore/datastore';
import { newPredictionId } from './prediction-id';
import type { LogStorage } from './log-storage';

export interface PredictionRecord {
  id: string;
  /** ISO time the request arrived. */
  time: string;
  flow: string;
  endpoint: string;
  /** The run that answered: `Flow/runId`. */
  run: string;
  /** The artifacts the function read: name → sha256. */
  artifacts: Record<string, string>;
  /** The request as received, with secret-looking fields redacted. */
  request: unknown;
  /** Fields of the request that were redacted (replay cannot see their values). */
  redacted?: string[];
  response: unknown;
  status: number;
  latencyMs: number;
}

/** Batches larger than this are split: one write stays bounded in size and time. */
const MAX_BATCH = 1000;

/**
 * Lines waiting for one write, by segment prefix (usually one: one endpoint, one day). Every request
 * in the batch awaits the batch's one promise: no promise or record object per request.
 */
class Batch {
  readonly groups = new Map<string, string[]>();
  size = 0;
  readonly written: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;
  /** The group of the last line added, and what it was for: consecutive lines mostly share it. */
  private last: { flow: string; endpoint: string; day: string; lines: string[] } | undefined;

  constructor() {
    this.written = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  add(flow: string, endpoint: string, time: string, line: string): void {
    const last = this.last;
    if (last && last.flow === flow && last.endpoint === endpoint && time.startsWith(last.day)) {
      last.lines.push(line);
    } else {
      const day = time.slice(0, 10);
      const prefix = `${predictionsPrefix(flow, endpoint)}${day}/`;
      let lines = this.groups.get(prefix);
      if (!lines) {
        lines = [];
        this.groups.set(prefix, lines);
      }
      lines.push(line);
      this.last = { flow, endpoint, day, lines };
    }
    this.size++;
  }
}

export class PredictionLog {
  /** Batches not yet written, oldest first; only the last one takes new lines. */
  private queue: Batch[] = [];
  private writing: Promise<void> | undefined;
  private written = 0;
  private batches = 0;

  /** Names this writer's segment files: ids sort by time, so segments do too. */
  private readonly writerId = newPredictionId();

  constructor(private readonly storage: LogStorage) {}

  get location(): string {
    return this.storage.location;
  }

  /** Counts, for the server's summary at shutdown. */
  get stats(): { predictions: number; batches: number } {
    return { predictions: this.written, batches: this.batches };
  }

  /**
   * Queues one record's JSON line (`predictionLine`; `JSON.stringify(record)` gives the same text)
   * for the segment of its flow, endpoint and day (`time` is the record's ISO time). Resolves once the
   * line is durable; rejects when its batch could not be written.
   */
  append(flow: string, endpoint: string, time: string, line: string): Promise<void> {
    let batch = this.queue.at(-1);
    if (!batch || batch.size >= MAX_BATCH) {
      batch = new Batch();
      this.queue.push(batch);
    }
    batch.add(flow, endpoint, time, line);
    this.writing ??= this.drain();
    return batch.written;
  }

  /** Waits for every appended record to be written (SIGTERM: nothing acknowledged is left behind). */
  async flush(): Promise<void> {
    while (this.writing) {
      await this.writing;
    }
  }

  /** Flushes, then closes the segment files. */
  async close(): Promise<void> {
    await this.flush();
    await this.storage.close();
  }

  private async drain(): Promise<void> {
    // Let the requests that are already being answered join this batch.
    await new Promise((resolve) => setImmediate(resolve));
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      try {
        await this.write(batch);
        this.written += batch.size;
        this.batches += 1;
        batch.resolve();
      } catch (error) {
        batch.reject(error as Error);
      }
    }
    this.writing = undefined;
  }

  /** One write per segment in the batch (usually one). */
  private async write(batch: Batch): Promise<void> {
    await Promise.all(
      [...batch.groups].map(([prefix, lines]) =>
        this.storage.appendBatch(prefix, this.writerId, Buffer.from(lines.join('\n') + '\n')),
      ),
    );
  }
}

export function predictionsPrefix(flow: string, endpoint?: string): string {
  return endpoint === undefined ? `predictions/${flow}/` : `predictions/${flow}/${endpoint}/`;
}

export interface PredictionQuery {
  endpoint?: string;
  /** Only records at or after this time. */
  since?: Date;
}

/** Every logged record of a flow (or one endpoint), oldest first. */
export async function readPredictions(
  storage: LogStorage,
  flow: string,
  query: PredictionQuery = {},
): Promise<PredictionRecord[]> {
  const keys = await storage.list(predictionsPrefix(flow, query.endpoint));
  const sinceDay = query.since?.toISOString().slice(0, 10);
  const wanted = keys.filter((key) => {
    if (!key.endsWith('.jsonl')) {
      return false;
    }
    const day = key.split('/').at(-2) ?? '';
    return sinceDay === undefined || day >= sinceDay;
  });
  const records: PredictionRecord[] = [];
  for (const key of wanted) {
    const text = (await storage.read(key)).toString('utf8');
    for (const line of completeLines(text)) {
      const record = JSON.parse(line) as PredictionRecord;
      if (query.since && Date.parse(record.time) < query.since.getTime()) {
        continue;
      }
      records.push(record);
    }
  }
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The record with this id, wherever it is: the id's time names the day's folder. */
export async function findPrediction(storage: LogStorage, id: string): Promise<PredictionRecord | undefined> {
  const day = new Date(Number(id.slice(0, 13))).toISOString().slice(0, 10);
  const keys = (await storage.list('predictions/')).filter((key) => key.split('/').at(-2) === day);
  for (const key of keys) {
    const text = (await storage.read(key)).toString('utf8');
    if (!text.includes(id)) {
      continue;
    }
    for (const line of completeLines(text)) {
      if (line.includes(`"id":"${id}"`)) {
        return JSON.parse(line) as PredictionRecord;
      }
    }
  }
  return undefined;
}

/** Lines that end in '\n': a segment being appended to may end in part of a batch being written. */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n').filter(Boolean);
}

/** The log storage of a datastore (the local folder; S3 when the datastore is a bucket). */
export function logStorageOf(datastore: Datastore): LogStorage {
  // Loaded here so that commands which never log do not load it.
  const { BackendLogStorage, LocalLogStorage } = require('./log-storage') as typeof import('./log-storage');
  return datastore.backend.kind === 'local'
    ? new LocalLogStorage(datastore.root)
    : new BackendLogStorage(datastore.backend);
}
