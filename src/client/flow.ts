// A flow: every run of it in the datastore, filtered by namespace (user) and tags.
import { checkName, type Datastore, NotFoundError } from '../runtime';
import { getDatastore, inNamespace } from './context';
import { Run } from './run';

export interface RunFilter {
  /** Only runs that carry every one of these tags. */
  tags?: string[];
  /** At most this many runs (the newest): records past them are not read. */
  limit?: number;
}

export class Flow {
  readonly name: string;

  constructor(
    name: string,
    readonly datastore: Datastore = getDatastore(),
  ) {
    this.name = checkName('flow name', name);
    if (!datastore.listFlows().includes(name)) {
      throw new NotFoundError(`flow ${name} not found: it has no runs in ${datastore.root}`);
    }
  }

  /** Every flow with runs in the datastore, by name. */
  static list(datastore: Datastore = getDatastore()): Flow[] {
    return datastore.listFlows().map((name) => new Flow(name, datastore));
  }

  get pathspec(): string {
    return this.name;
  }

  /** Runs in the current namespace, newest first. */
  runs(filter: RunFilter = {}): Run[] {
    const limit = filter.limit ?? Infinity;
    const runs: Run[] = [];
    if (limit <= 0) {
      return runs;
    }
    for (const run of this.matchingRuns(filter)) {
      runs.push(run);
      if (runs.length >= limit) {
        break;
      }
    }
    return runs;
  }

  /** The newest run in the current namespace, whatever its status. */
  get latestRun(): Run | undefined {
    return this.matchingRuns({}).next().value ?? undefined;
  }

  /** The newest run in the current namespace that succeeded. */
  get latestSuccessfulRun(): Run | undefined {
    for (const run of this.matchingRuns({})) {
      if (run.successful) {
        return run;
      }
    }
    return undefined;
  }

  toString(): string {
    return `Flow('${this.name}')`;
  }

  private *matchingRuns(filter: RunFilter): Generator<Run> {
    const tags = filter.tags ?? [];
    for (const runId of this.datastore.listRuns(this.name)) {
      // A run folder may exist a moment before its run.json does: skip it then.
      const record = this.datastore.tryReadRun(this.name, runId);
      if (!record || !inNamespace(record.user, record.tags)) {
        continue;
      }
      if (!tags.every((tag) => record.tags.includes(tag))) {
        continue;
      }
      yield new Run(`${this.name}/${runId}`, this.datastore, record);
    }
  }
}
