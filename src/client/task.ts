// A task of a run: its status, attempts, artifacts and logs.
import { isNotebookOutputList, type NotebookOutput } from '../core/notebook-outputs';
import {
  type ArtifactRef,
  type AttemptRecord,
  type Datastore,
  formatPathspec,
  NotFoundError,
  parsePathspec,
  PathspecError,
  type TaskRecord,
  type TaskStatus,
} from '../runtime';
import { getDatastore } from './context';

/**
 * Metadata accessors are synchronous (they read the small task.json once); `data()`, `stdout` and
 * `stderr` return Promises, so a remote datastore can slot in without changing callers.
 */
export class Task {
  readonly flow: string;
  readonly runId: string;
  readonly step: string;
  readonly id: string;
  private cached?: TaskRecord;

  /** `record`, when the caller already read it (listing a step's tasks), saves reading it again. */
  constructor(
    pathspec: string,
    readonly datastore: Datastore = getDatastore(),
    record?: TaskRecord,
  ) {
    const spec = parsePathspec(pathspec);
    if (!spec.runId || !spec.step || !spec.taskId) {
      throw new PathspecError(`a task pathspec is Flow/runId/step/taskId, not ${JSON.stringify(pathspec)}`);
    }
    this.flow = spec.flow;
    this.runId = spec.runId;
    this.step = spec.step;
    this.id = spec.taskId;
    this.cached = record ?? datastore.readTask(this.flow, this.runId, this.step, this.id);
  }

  /** `Task.get('Flow/runId/step/taskId')`; throws NotFoundError when there is no such task. */
  static get(pathspec: string, datastore?: Datastore): Task {
    return new Task(pathspec, datastore);
  }

  get pathspec(): string {
    return formatPathspec({ flow: this.flow, runId: this.runId, step: this.step, taskId: this.id });
  }

  /** The raw task.json. */
  get record(): TaskRecord {
    this.cached ??= this.datastore.readTask(this.flow, this.runId, this.step, this.id);
    return this.cached;
  }

  /** Re-reads task.json (a running task's record changes when it finishes). */
  refresh(): this {
    this.cached = undefined;
    return this;
  }

  get status(): TaskStatus {
    return this.record.status;
  }

  get successful(): boolean {
    return this.status === 'succeeded';
  }

  /** True once the final record, the task's completion marker, is written. */
  get finished(): boolean {
    return this.status === 'succeeded' || this.status === 'failed' || this.status === 'cancelled';
  }

  get attempts(): AttemptRecord[] {
    return this.record.attempts;
  }

  /** The latest attempt's number (0 for the first), or undefined when none has started. */
  get currentAttempt(): number | undefined {
    const attempts = this.record.attempts;
    return attempts.length ? attempts[attempts.length - 1].attempt : undefined;
  }

  get startedAt(): Date | undefined {
    return toDate(this.record.startedAt ?? this.record.attempts[0]?.startedAt);
  }

  get finishedAt(): Date | undefined {
    return toDate(this.record.finishedAt);
  }

  /** Pathspecs of the parent tasks. */
  get parents(): string[] {
    return this.record.parents;
  }

  /** Inside a foreach: the element's position in the innermost split. */
  get index(): number | undefined {
    const stack = this.record.foreachStack;
    return stack.length ? stack[stack.length - 1].index : undefined;
  }

  /** Artifact names, sorted. Only a finished task's artifacts are visible. */
  artifacts(): string[] {
    return Object.keys(this.visibleArtifacts()).sort();
  }

  /** Where an artifact's bytes are and how they are encoded. */
  artifact(name: string): ArtifactRef {
    const visible = this.visibleArtifacts();
    // Own keys only: `--artifact __proto__` must not find Object.prototype.
    const ref = Object.prototype.hasOwnProperty.call(visible, name) ? visible[name] : undefined;
    if (ref) {
      return ref;
    }
    if (!this.finished) {
      throw new NotFoundError(`task ${this.pathspec} has not finished yet (status ${this.status})`);
    }
    const names = this.artifacts();
    throw new NotFoundError(
      `task ${this.pathspec} has no artifact '${name}'${names.length ? ` (it has: ${names.join(', ')})` : ' (it has none)'}`,
    );
  }

  hasArtifact(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.visibleArtifacts(), name);
  }

  /** The artifact's value, read from its verified object. */
  async data(name: string): Promise<unknown> {
    return this.datastore.loadArtifact(this.artifact(name), `artifact '${name}' of ${this.pathspec}`);
  }

  get stdout(): Promise<string> {
    return this.log('stdout');
  }

  get stderr(): Promise<string> {
    return this.log('stderr');
  }

  /**
   * What the step printed and displayed, as the notebook outputs of its cell (nbformat 4): [] when it
   * showed nothing or ran before cellflow kept outputs. Only the recorded attempt's are kept.
   */
  async outputs(): Promise<NotebookOutput[]> {
    const ref = this.record.outputs;
    if (!ref) {
      return [];
    }
    const value = await this.datastore.loadArtifact(ref, `outputs of ${this.pathspec}`);
    if (!isNotebookOutputList(value)) {
      throw new Error(`the outputs of ${this.pathspec} are not a list of notebook outputs`);
    }
    return value;
  }

  /** One attempt's output (default: the latest); '' when it printed nothing. */
  async log(stream: 'stdout' | 'stderr', attempt = this.currentAttempt): Promise<string> {
    if (attempt === undefined) {
      return '';
    }
    const own = await this.datastore.readLog(this.flow, this.runId, this.step, this.id, attempt, stream);
    if (own !== undefined) {
      return own;
    }
    // A task reused by `resume` keeps its logs with the task that produced it.
    const origin = this.record.reusedFrom;
    if (origin) {
      const spec = parsePathspec(origin);
      if (spec.runId && spec.step && spec.taskId) {
        return (
          (await this.datastore.readLog(spec.flow, spec.runId, spec.step, spec.taskId, attempt, stream)) ?? ''
        );
      }
    }
    return '';
  }

  toString(): string {
    return `Task('${this.pathspec}')`;
  }

  private visibleArtifacts(): Record<string, ArtifactRef> {
    return this.finished ? this.record.artifacts : {};
  }
}

export function toDate(iso: string | undefined): Date | undefined {
  return iso ? new Date(iso) : undefined;
}
