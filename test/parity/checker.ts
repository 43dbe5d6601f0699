// What a parity case's check_results may ask of a finished run, as Metaflow's MetadataCheck does:
// every task's artifacts, logs and records, read through the datastore (every object verified).
import * as fs from 'fs';
import { isDeepStrictEqual, inspect } from 'util';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { RunRecord, TaskRecord } from '../../src/runtime/records';
import { GRAPHS, graphTypes, type GraphSpec } from './graphs';

export class Checker {
  readonly run: RunRecord;
  readonly tasks: TaskRecord[];
  readonly graph: GraphSpec;
  /** Metaflow's node types by step: start, end, join, foreach, split, linear. */
  readonly types: Record<string, string>;

  constructor(
    readonly datastore: Datastore,
    readonly pathspec: string,
    graphName: string,
  ) {
    const [flow, runId] = pathspec.split('/');
    this.run = datastore.readRun(flow, runId);
    this.tasks = datastore.listTasks(flow, runId);
    this.graph = GRAPHS[graphName];
    this.types = graphTypes(this.graph);
  }

  /** The flow's steps, as `for step in flow`. */
  get steps(): string[] {
    return Object.keys(this.graph.nodes);
  }

  tasksOf(step: string): TaskRecord[] {
    return this.tasks.filter((t) => t.step === step);
  }

  value(task: TaskRecord, name: string): unknown {
    const ref = task.artifacts[name];
    if (!ref) {
      throw new Error(`task ${task.step}/${task.taskId} has no artifact '${name}'`);
    }
    return this.datastore.loadArtifactSync(ref);
  }

  has(task: TaskRecord, name: string): boolean {
    return Object.prototype.hasOwnProperty.call(task.artifacts, name);
  }

  /** Metaflow's artifact_dict: the artifact of every task of the step that has it. */
  artifacts(step: string, name: string): unknown[] {
    return this.tasksOf(step)
      .filter((t) => this.has(t, name))
      .map((t) => this.value(t, name));
  }

  /** Metaflow's assert_artifact: every successful task of the step has the artifact with this value. */
  assertArtifact(step: string, name: string, expected: unknown): void {
    const tasks = this.tasksOf(step).filter((t) => t.status === 'succeeded');
    if (tasks.length === 0) {
      throw new Error(`step '${step}' has no successful task`);
    }
    for (const task of tasks) {
      const got = this.value(task, name);
      if (!isDeepStrictEqual(normalise(got), normalise(expected))) {
        throw new Error(`${step}/${task.taskId}.${name}: expected ${inspect(expected)}, got ${inspect(got)}`);
      }
    }
  }

  /** The step's log of a stream, every task's last attempt (Metaflow's assert_log reads the latest). */
  log(step: string, stream: 'stdout' | 'stderr'): string {
    const [flow, runId] = this.pathspec.split('/');
    return this.tasksOf(step)
      .map((t) => {
        const attempt = t.attempts[t.attempts.length - 1]?.attempt ?? 0;
        const file = this.datastore.logPath(flow, runId, step, t.taskId, attempt, stream);
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      })
      .join('');
  }
}

/** Sets compare by members (Python sets in Metaflow's checks), other values as they are. */
function normalise(value: unknown): unknown {
  if (value instanceof Set || Object.prototype.toString.call(value) === '[object Set]') {
    return [...(value as Set<unknown>)].map(normalise).sort();
  }
  if (Array.isArray(value)) {
    return value.map(normalise);
  }
  return value;
}

export function assertEquals(expected: unknown, got: unknown, what = 'value'): void {
  if (!isDeepStrictEqual(normalise(expected), normalise(got))) {
    throw new Error(`${what}: expected ${inspect(expected)}, got ${inspect(got)}`);
  }
}
