// A run of a flow: its record, steps and tasks, and the end task's artifacts (Metaflow's run.data).
import {
  type Datastore,
  effectiveRunStatus,
  formatPathspec,
  NotFoundError,
  parsePathspec,
  PathspecError,
  type RunRecord,
  type RunStatus,
  UserInputError,
} from '../runtime';
import type { JsonValue } from '../core/model';
import { getDatastore } from './context';
import { Step } from './step';
import { Task, toDate } from './task';

const MAX_TAG = 256;

/** Tags are free text: 1-256 characters, no control characters, not only spaces. */
export function checkTag(tag: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof tag !== 'string' || !tag.trim() || tag.length > MAX_TAG || /[\u0000-\u001f\u007f]/.test(tag)) {
    throw new UserInputError(`invalid tag ${JSON.stringify(tag)}: use 1-${MAX_TAG} printable characters`);
  }
  return tag;
}

export class Run {
  readonly flow: string;
  readonly id: string;
  private cached?: RunRecord;

  /** `record`, when the caller already read it (listing a flow's runs), saves reading it again. */
  constructor(
    pathspec: string,
    readonly datastore: Datastore = getDatastore(),
    record?: RunRecord,
  ) {
    const spec = parsePathspec(pathspec);
    if (!spec.runId || spec.step) {
      throw new PathspecError(`a run pathspec is Flow/runId, not ${JSON.stringify(pathspec)}`);
    }
    this.flow = spec.flow;
    this.id = spec.runId;
    this.cached = record ?? datastore.readRun(this.flow, this.id);
  }

  /** `Run.get('Flow/runId')`: readable whatever the namespace; throws NotFoundError when absent. */
  static get(pathspec: string, datastore?: Datastore): Run {
    return new Run(pathspec, datastore);
  }

  get pathspec(): string {
    return formatPathspec({ flow: this.flow, runId: this.id });
  }

  /** The raw run.json. */
  get record(): RunRecord {
    this.cached ??= this.datastore.readRun(this.flow, this.id);
    return this.cached;
  }

  /** Re-reads run.json (a running run's record changes as it goes). */
  refresh(): this {
    this.cached = undefined;
    return this;
  }

  /** As recorded, except that a 'running' run whose scheduler died reads as 'abandoned'. */
  get status(): RunStatus {
    return effectiveRunStatus(this.record);
  }

  get successful(): boolean {
    return this.status === 'succeeded';
  }

  get finished(): boolean {
    return this.status !== 'running';
  }

  get user(): string {
    return this.record.user;
  }

  get createdAt(): Date {
    return new Date(this.record.createdAt);
  }

  get finishedAt(): Date | undefined {
    return toDate(this.record.finishedAt);
  }

  get params(): Record<string, JsonValue> {
    return this.record.params;
  }

  get tags(): string[] {
    return [...this.record.tags];
  }

  /** Steps that have run, in the flow's order. */
  steps(): Step[] {
    const ran = new Set(this.datastore.listSteps(this.flow, this.id));
    const order = [...this.record.graph.order.filter((name) => ran.has(name)), ...[...ran].sort()];
    return [...new Set(order)].map((name) => new Step(`${this.pathspec}/${name}`, this.datastore));
  }

  step(name: string): Step {
    return new Step(`${this.pathspec}/${name}`, this.datastore);
  }

  /** The end step's successful task, once the run has one. */
  get endTask(): Task | undefined {
    const end = this.record.graph.end;
    if (!this.datastore.listSteps(this.flow, this.id).includes(end)) {
      return undefined;
    }
    return new Step(`${this.pathspec}/${end}`, this.datastore).tasks().find((task) => task.successful);
  }

  /** An artifact of the end task, as Metaflow's `run.data.NAME`. */
  async data(name: string): Promise<unknown> {
    const end = this.endTask;
    if (!end) {
      throw new NotFoundError(
        `run ${this.pathspec} has no successful '${this.record.graph.end}' task (status ${this.status}); read a task's artifacts with Task.get(...).data(name)`,
      );
    }
    return end.data(name);
  }

  addTag(tag: string): void {
    this.updateTags((tags) => (tags.includes(tag) ? tags : [...tags, checkTag(tag)]));
  }

  removeTag(tag: string): void {
    this.updateTags((tags) => tags.filter((t) => t !== tag));
  }

  toString(): string {
    return `Run('${this.pathspec}')`;
  }

  /**
   * Rewrites run.json from a fresh read. A running run's scheduler rewrites its own record (heartbeat,
   * final status), which would drop the change, so tags change only once the run has stopped.
   */
  private updateTags(change: (tags: string[]) => string[]): void {
    const record = this.datastore.readRun(this.flow, this.id);
    if (effectiveRunStatus(record) === 'running') {
      throw new UserInputError(`run ${this.pathspec} is still running: change its tags once it has finished`);
    }
    const tags = change(record.tags);
    if (tags !== record.tags) {
      this.datastore.writeRun({ ...record, tags });
    }
    this.cached = { ...record, tags };
  }
}
