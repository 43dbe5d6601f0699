// A step of a run: the tasks that ran it (one, or one per foreach element).
import { type Datastore, formatPathspec, NotFoundError, parsePathspec, PathspecError } from '../runtime';
import { getDatastore } from './context';
import { Task, toDate } from './task';

export class Step {
  readonly flow: string;
  readonly runId: string;
  readonly name: string;

  constructor(
    pathspec: string,
    readonly datastore: Datastore = getDatastore(),
  ) {
    const spec = parsePathspec(pathspec);
    if (!spec.runId || !spec.step || spec.taskId) {
      throw new PathspecError(`a step pathspec is Flow/runId/step, not ${JSON.stringify(pathspec)}`);
    }
    this.flow = spec.flow;
    this.runId = spec.runId;
    this.name = spec.step;
    if (!datastore.listSteps(this.flow, this.runId).includes(this.name)) {
      throw new NotFoundError(`step ${this.pathspec} not found: it has no tasks in ${datastore.root}`);
    }
  }

  /** `Step.get('Flow/runId/step')`; throws NotFoundError when the step has not run. */
  static get(pathspec: string, datastore?: Datastore): Step {
    return new Step(pathspec, datastore);
  }

  get pathspec(): string {
    return formatPathspec({ flow: this.flow, runId: this.runId, step: this.name });
  }

  /** Tasks in task id order. */
  tasks(): Task[] {
    return this.datastore
      .listTasks(this.flow, this.runId, this.name)
      .map((record) => new Task(`${this.pathspec}/${record.taskId}`, this.datastore, record));
  }

  /** The task with this id; without an id, the step's first task (the only one outside a foreach). */
  task(id?: string): Task {
    if (id !== undefined) {
      return new Task(`${this.pathspec}/${id}`, this.datastore);
    }
    const first = this.tasks()[0];
    if (!first) {
      throw new NotFoundError(`step ${this.pathspec} has no tasks`);
    }
    return first;
  }

  get startedAt(): Date | undefined {
    const times = this.tasks()
      .map((task) => task.startedAt?.getTime())
      .filter((t): t is number => t !== undefined);
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  get finishedAt(): Date | undefined {
    const tasks = this.tasks();
    if (!tasks.length || tasks.some((task) => !task.finished)) {
      return undefined;
    }
    return toDate(
      tasks
        .map((task) => task.record.finishedAt)
        .filter((t): t is string => !!t)
        .sort()
        .pop(),
    );
  }

  toString(): string {
    return `Step('${this.pathspec}')`;
  }
}
