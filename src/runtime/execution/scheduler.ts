// The local scheduler: walks the flow graph, creates tasks as their inputs become ready (fanning out
// foreach steps, gathering joins, following the one case a switch chose), runs each in a warm task
// process, and applies retry, timeout and catch. It holds only small task descriptors in memory;
// artifacts stay in the datastore.
//
// Loops: a switch may lead back to an earlier step. Each visit is a new task with a new task id; the
// task records its `iteration` (how many tasks of the step ran before at the same foreach position),
// which with the step and foreach position names it for resume. A step planned a --max-iterations'th
// further time fails the run: a loop whose switch never leaves ends there, not never.
import type { FlowGraph, GraphNode, Isolation, JsonValue } from '../../core/model';
import {
  childForeachStack,
  closesForeach,
  foreachMove,
  inheritedParent,
  innermostFrame,
  startingArtifacts,
} from '../../core/step-semantics';
import type { Datastore } from '../datastore/datastore';
import type { ArtifactIndex, AttemptRecord, ForeachFrame, TaskRecord } from '../records';
import { pathspecOf, type TaskSpec } from './task-spec';
import type { TaskExit, TaskProcess, TaskProcessSource } from './worker-pool';
import { attachTaskOutput, type RunReporter } from './run-output';
import { killGraceMs } from './step-timeout';
import { newTaskRecord, reusedTaskRecord } from './task-record';

export interface SchedulerOptions {
  datastore: Datastore;
  pool: TaskProcessSource;
  graph: FlowGraph;
  flow: string;
  runId: string;
  module: TaskSpec['module'];
  params: Record<string, JsonValue>;
  parameterArtifacts: ArtifactIndex;
  seed?: number;
  /** For `current`: the resumed run's id, the user and the run's tags. */
  originRunId?: string;
  user?: string;
  tags?: string[];
  maxWorkers: number;
  reporter: RunReporter;
  /** Resume: successful tasks of the origin run, by `step@foreachPosition`, for steps that are not re-run. */
  reuse?: Map<string, TaskRecord>;
  /**
   * Resume: successful tasks of the re-run steps (the failed step and after), reused only when every
   * parent task of theirs was reused too, so a task never stands on inputs that changed.
   */
  reuseIfParentsReused?: Map<string, TaskRecord>;
  /** First retry waits this long, doubling each time (Metaflow waits minutes; tasks here are local). */
  retryBackoffMs?: number;
  /** How many times a step may run at one foreach position (loops); default DEFAULT_MAX_ITERATIONS. */
  maxIterations?: number;
  /** Where tasks of steps without an isolation: tag run (`--isolation`); default a fresh thread. */
  isolation?: Isolation;
}

export const DEFAULT_MAX_ITERATIONS = 1000;

interface PlannedTask {
  taskId: string;
  step: string;
  parents: string[];
  /** The parent whose artifact map the task inherits (none for a join); a caught failure starts from it. */
  inheritFrom?: TaskRecord;
  foreachStack: ForeachFrame[];
  /** Visits of this step at this foreach position before this one (loops). */
  iteration: number;
  attempts: AttemptRecord[];
  /** Why the task runs in a process now: a native addon its thread attempt could not load. */
  processFallback?: string;
}

export interface SchedulerResult {
  ok: boolean;
  tasks: number;
  failed: string[];
}

export const positionKey = (step: string, stack: ForeachFrame[]) =>
  `${step}@${stack.map((f) => `${f.step}.${f.index}`).join('/')}`;

/** What names a task across runs (resume, reproduce): step, foreach position and loop iteration. */
export const taskKey = (step: string, stack: ForeachFrame[], iteration = 0) =>
  iteration > 0 ? `${positionKey(step, stack)}#${iteration}` : positionKey(step, stack);

export class Scheduler {
  private nextTaskId = 1;
  private readonly ready: PlannedTask[] = [];
  private running = 0;
  private readonly live = new Set<TaskProcess>();
  private readonly joinBuckets = new Map<string, Map<string | number, TaskRecord>>();
  /** Tasks planned so far per step and foreach position: the next one's iteration. */
  private readonly visits = new Map<string, number>();
  private readonly failed: string[] = [];
  private failing = false;
  private interrupted = false;
  private created = 0;
  private wake: (() => void) | undefined;
  /** Task records cloned by resume that are not fsynced yet. */
  private readonly unsynced: string[] = [];

  constructor(private readonly options: SchedulerOptions) {}

  async run(): Promise<SchedulerResult> {
    const { graph } = this.options;
    this.plan(graph.entry, [], []);
    // Reused records are made durable while the re-run tasks work, and before the run's outcome.
    const syncing = this.syncReused().then(
      () => undefined,
      (error: unknown) => error,
    );
    while (this.ready.length > 0 || this.running > 0) {
      while (!this.failing && this.ready.length > 0 && this.running < this.options.maxWorkers) {
        this.start(this.ready.shift()!);
      }
      if (this.running === 0 && (this.failing || this.ready.length === 0)) {
        break;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const syncError = await syncing;
    if (syncError) {
      throw syncError;
    }
    await this.syncReused(); // any reused after the first wave
    return { ok: this.failed.length === 0 && !this.failing, tasks: this.created, failed: this.failed };
  }

  /** True once abort() ran: the run was interrupted, not failed. */
  get aborted(): boolean {
    return this.interrupted;
  }

  /** Kills running tasks (Ctrl-C, SIGTERM): they are recorded as cancelled, and the run stops. */
  abort(): void {
    this.interrupted = true;
    this.failing = true;
    void this.options.pool.close(); // wakes tasks still waiting for a process
    for (const process of this.live) {
      process.kill();
    }
  }

  private async syncReused(): Promise<void> {
    const files = this.unsynced.splice(0);
    if (files.length > 0) {
      await this.options.datastore.syncRecords(files);
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private plan(step: string, parents: TaskRecord[], foreachStack: ForeachFrame[]): void {
    const position = positionKey(step, foreachStack);
    const iteration = this.visits.get(position) ?? 0;
    const maxIterations = this.options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    if (iteration >= maxIterations) {
      this.loopNeverLeft(step, parents[0], maxIterations);
      return;
    }
    this.visits.set(position, iteration + 1);
    const key = taskKey(step, foreachStack, iteration);
    const reused =
      this.options.reuse?.get(key) ??
      (parents.length > 0 && parents.every((p) => p.reusedFrom !== undefined)
        ? this.options.reuseIfParentsReused?.get(key)
        : undefined);
    const task: PlannedTask = {
      taskId: String(this.nextTaskId++),
      step,
      parents: parents.map((p) => pathspecOf(p.flow, p.runId, p.step, p.taskId)),
      inheritFrom: inheritedParent(this.options.graph.nodes[step].isJoin, parents),
      foreachStack,
      iteration,
      attempts: [],
    };
    this.created++;
    if (reused) {
      this.cloneReused(task, reused);
      return;
    }
    this.ready.push(task);
  }

  /** Resume: the origin's task stands in for this one; its artifact map is copied, never its bytes. */
  private cloneReused(task: PlannedTask, origin: TaskRecord): void {
    const { flow, runId, datastore } = this.options;
    const record = reusedTaskRecord(
      origin,
      { flow, runId, ...task },
      pathspecOf(origin.flow, origin.runId, origin.step, origin.taskId),
    );
    this.unsynced.push(datastore.writeTaskDeferringSync(record));
    this.options.reporter.taskReused(record);
    this.succeeded(record);
  }

  private start(task: PlannedTask): void {
    const { graph, datastore, reporter, pool } = this.options;
    const node = graph.nodes[task.step];
    const attempt = task.attempts.length;
    const isolation: Isolation = task.processFallback
      ? 'process'
      : (node.options.isolation ?? this.options.isolation ?? 'thread');
    this.running++;
    const spec: TaskSpec = {
      datastoreRoot: datastore.root,
      flow: this.options.flow,
      runId: this.options.runId,
      step: task.step,
      taskId: task.taskId,
      attempt,
      previousAttempts: task.attempts,
      module: this.options.module,
      parents: task.parents,
      foreachStack: task.foreachStack,
      ...(task.iteration > 0 ? { iteration: task.iteration } : {}),
      parameterArtifacts: this.options.parameterArtifacts,
      params: this.options.params,
      seed: this.options.seed,
      originRunId: this.options.originRunId,
      user: this.options.user,
      tags: this.options.tags,
      env: node.options.env,
      isolation: {
        mode: isolation,
        ...(task.processFallback ? { reason: task.processFallback } : {}),
      },
    };
    void (async () => {
      const startedAt = new Date().toISOString();
      let process: TaskProcess | undefined;
      let timedOut = false;
      let outcome: TaskExit | undefined;
      let pid: number | undefined;
      try {
        // Another task may follow unless this is the last one: nothing else is waiting or running
        // and the step has no successor (the counter already includes this task).
        const moreToCome = this.ready.length > 0 || this.running > 1 || node.next.length > 0;
        process = await pool.acquire({ isolation, memoryMb: node.options.resources.memoryMb, moreToCome });
        this.live.add(process);
        pid = process.pid;
        reporter.taskStarted(task.step, task.taskId, attempt);
        const output = attachTaskOutput(process.child, datastore, spec, reporter);
        // The step's own timer (step-timeout.ts) fails an awaiting step in time; a process that has
        // not answered a grace period later is stuck in synchronous code and is killed.
        const seconds = node.options.timeoutSeconds;
        let timer: NodeJS.Timeout | undefined;
        const armKillTimer = () => {
          if (seconds && !pool.enforcesTimeout && !outcome) {
            timer = setTimeout(
              () => {
                timedOut = true;
                process!.kill();
              },
              seconds * 1000 + killGraceMs(seconds),
            );
          }
        };
        process.run(spec);
        // From when the step starts: a task host's thread may still be loading the runtime.
        if (process.started) {
          void process.started.then(armKillTimer);
        } else {
          armKillTimer();
        }
        outcome = await process.finished;
        if (timer) {
          clearTimeout(timer);
        }
        if (outcome.timedOut) {
          timedOut = true;
        }
        await output.closed;
        // The attempt's stderr says how the process ended, as Metaflow's log says "segmentation fault".
        if (outcome.signal && !outcome.reportedOk) {
          await noteInStderr(datastore, spec, timedOut ? 'SIGKILL (timeout)' : outcome.signal);
        }
      } catch (error) {
        outcome = { code: null, signal: null, reportedOk: false };
        reporter.note(`could not start a task process for ${task.step}: ${(error as Error).message}`);
      } finally {
        if (process) {
          this.live.delete(process);
        }
      }
      this.running--;
      try {
        this.finished(task, node, attempt, startedAt, outcome, timedOut, isolation, pid);
      } catch (error) {
        // Recording the outcome failed (a full disk): stop the run rather than crash the scheduler.
        this.options.reporter.note(`✗ step ${task.step} (task ${task.taskId}): ${(error as Error).message}`);
        this.failed.push(pathspecOf(this.options.flow, this.options.runId, task.step, task.taskId));
        this.failing = true;
      }
      this.notify();
    })();
  }

  private finished(
    task: PlannedTask,
    node: GraphNode,
    attempt: number,
    startedAt: string,
    outcome: TaskExit,
    timedOut: boolean,
    isolation: Isolation,
    pid: number | undefined,
  ): void {
    const { datastore, flow, runId } = this.options;
    let record = readIfPresent(datastore, flow, runId, task.step, task.taskId);
    const wroteThisAttempt = record?.attempts.some((a) => a.attempt === attempt && a.status !== 'running');
    // task.json is the completion marker: once the task recorded this attempt as succeeded, its
    // artifacts are durable, whatever became of its `done` message or its exit.
    if (record?.status === 'succeeded' && wroteThisAttempt) {
      this.options.reporter.taskFinished(record);
      this.succeeded(record);
      return;
    }
    if (!record || !wroteThisAttempt) {
      // The process died before it could record the attempt (killed, timed out, crashed natively).
      const cancelled = this.interrupted && !timedOut;
      const where = isolation === 'thread' && !outcome.signal ? 'thread' : 'process';
      const why = cancelled
        ? 'was stopped: the run was interrupted'
        : timedOut
          ? `timed out after ${node.options.timeoutSeconds} s (timeout:${node.options.timeoutSeconds}) and was killed: it did not yield (synchronous code)`
          : outcome.signal
            ? `was killed by ${outcome.signal}`
            : `exited with code ${outcome.code} before recording a result`;
      // A thread that died of an uncaught exception or ran out of heap says so itself.
      const died = !cancelled && !timedOut ? outcome.error : undefined;
      const failedAttempt: AttemptRecord = {
        attempt,
        status: 'failed',
        startedAt,
        finishedAt: new Date().toISOString(),
        ...(pid ? { pid } : {}),
        isolation,
        ...(task.processFallback ? { isolationReason: task.processFallback } : {}),
        error: died
          ? { type: died.type, message: died.message, ...(died.stack ? { stack: died.stack } : {}) }
          : {
              type: timedOut ? 'StepTimeoutError' : cancelled ? 'RunInterrupted' : 'TaskProcessDied',
              message: `the task ${where} ${why}`,
              ...(timedOut ? { timeout: 'killed' as const } : {}),
            },
      };
      record = newTaskRecord(
        { flow, runId, ...task },
        {
          status: cancelled ? 'cancelled' : 'failed',
          attempts: [...task.attempts, failedAttempt],
          finishedAt: failedAttempt.finishedAt,
        },
      );
      datastore.writeTaskOver(record);
    }
    task.attempts = record.attempts;
    // A native addon the thread refused: the task runs again, once, in a process of its own. That
    // attempt does not count against retry:N; the record says why it ran in a process.
    if (outcome.addonRefused && isolation === 'thread' && !task.processFallback && !this.failing) {
      task.processFallback = `the native addon ${outcome.addonRefused} cannot load in a worker thread`;
      this.options.reporter.taskRetrying(record, 0);
      this.ready.unshift(task);
      return;
    }
    const retriesUsed = task.attempts.length - (task.processFallback ? 1 : 0);
    if (!this.failing && retriesUsed <= node.options.retry) {
      const delay = (this.options.retryBackoffMs ?? 500) * 2 ** (task.attempts.length - 1);
      this.options.reporter.taskRetrying(record, delay);
      this.running++; // the pending retry keeps the run alive
      setTimeout(() => {
        this.running--;
        this.ready.unshift(task);
        this.notify();
      }, delay);
      return;
    }
    if (node.options.catch && !node.foreach) {
      void this.catchFailure(task, node, record);
      return;
    }
    this.options.reporter.taskFinished(record);
    this.failed.push(pathspecOf(flow, runId, task.step, task.taskId));
    this.failing = true;
  }

  /** catch:ARTIFACT: the error becomes an artifact and the flow goes on, as Metaflow's @catch. */
  private async catchFailure(task: PlannedTask, node: GraphNode, failed: TaskRecord): Promise<void> {
    this.running++;
    const last = failed.attempts[failed.attempts.length - 1];
    // What the failed attempt had set when it threw (a killed process set nothing we can read).
    const inherited =
      last.artifacts ??
      startingArtifacts({
        isJoin: node.isJoin,
        parameters: this.options.parameterArtifacts,
        parent: task.inheritFrom?.artifacts,
      });
    const errorValue = {
      type: last.error?.type ?? 'Error',
      message: last.error?.message ?? 'unknown error',
      stack: last.error?.stack ?? null,
      step: task.step,
      attempts: failed.attempts.length,
      cell: last.error?.cell ?? null,
      line: last.error?.line ?? null,
    };
    let record: TaskRecord;
    try {
      record = {
        ...failed,
        status: 'succeeded',
        artifacts: {
          ...inherited,
          [node.options.catch!]: await this.options.datastore.saveArtifact(node.options.catch!, errorValue),
        },
      };
      this.options.datastore.writeTaskOver(record);
    } catch (error) {
      // The caught error could not be stored (a full disk): the task stays failed and the run stops.
      this.options.reporter.taskFinished(failed);
      this.options.reporter.note(`✗ step ${task.step} (task ${task.taskId}): ${(error as Error).message}`);
      this.failed.push(pathspecOf(failed.flow, failed.runId, failed.step, failed.taskId));
      this.failing = true;
      this.running--;
      this.notify();
      return;
    }
    this.options.reporter.taskCaught(record, node.options.catch!);
    this.running--;
    this.succeeded(record);
    this.notify();
  }

  /** --max-iterations reached: the run fails naming the step and the switch that kept choosing it. */
  private loopNeverLeft(step: string, parent: TaskRecord | undefined, maxIterations: number): void {
    const { flow, runId, reporter } = this.options;
    const by = parent ? ` (the switch in step '${parent.step}', task ${parent.taskId}, chose it again)` : '';
    reporter.note(
      `✗ step ${step} would run a ${ordinal(maxIterations + 1)} time${by}: the loop did not leave within --max-iterations ${maxIterations}`,
    );
    this.failed.push(pathspecOf(flow, runId, step));
    this.failing = true;
  }

  /** The successors that run after a task: all of them, or for a switch the one it chose. */
  private successorsOf(record: TaskRecord, node: GraphNode): string[] {
    if (node.switch === undefined) {
      return node.next;
    }
    const taken = record.switchTaken;
    if (taken === undefined || !node.next.includes(taken)) {
      // Only a caught failure succeeds without a case (the task runner checks the value).
      this.options.reporter.note(
        `✗ step ${record.step} (task ${record.taskId}): its error was caught, so switch:${node.switch} chose no successor (one of ${node.next.map((n) => `'${n}'`).join(', ')})`,
      );
      this.failed.push(pathspecOf(record.flow, record.runId, record.step, record.taskId));
      this.failing = true;
      return [];
    }
    this.options.reporter.switchTaken(
      record,
      node.next.filter((n) => n !== taken),
    );
    return [taken];
  }

  private succeeded(record: TaskRecord): void {
    const { graph } = this.options;
    const node = graph.nodes[record.step];
    for (const next of this.successorsOf(record, node)) {
      const successor = graph.nodes[next];
      const move = foreachMove(graph.nodes, node.name, next);
      if (move === 'enter') {
        const count = record.foreachCount ?? 0;
        const splitTask = pathspecOf(record.flow, record.runId, record.step, record.taskId);
        for (let index = 0; index < count; index++) {
          const element = { step: node.name, index, count, splitTask };
          this.plan(next, [record], childForeachStack(record.foreachStack, move, element));
        }
      } else if (successor.isJoin) {
        this.arriveAtJoin(successor, record);
      } else {
        this.plan(next, [record], childForeachStack(record.foreachStack, move));
      }
    }
  }

  /** A join starts once every branch of its split (or every element of its foreach) has arrived. */
  private arriveAtJoin(join: GraphNode, record: TaskRecord): void {
    const gathersElements = closesForeach(this.options.graph.nodes, join.name);
    const stack = childForeachStack(record.foreachStack, gathersElements ? 'leave' : 'stay');
    const key = positionKey(join.name, stack);
    const bucket = this.joinBuckets.get(key) ?? new Map<string | number, TaskRecord>();
    this.joinBuckets.set(key, bucket);
    if (gathersElements) {
      const frame = innermostFrame(record.foreachStack)!;
      bucket.set(frame.index, record);
      if (bucket.size < frame.count) {
        return;
      }
      const parents = [...bucket.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([, r]) => r);
      this.joinBuckets.delete(key);
      this.plan(join.name, parents, stack);
    } else if (join.branches) {
      // A switch inside a branch: one task arrives per branch of the split, from whichever case ran.
      const branches = this.options.graph.nodes[join.closes!].next;
      bucket.set(join.branches[record.step], record);
      if (!branches.every((b) => bucket.has(b))) {
        return;
      }
      this.joinBuckets.delete(key);
      this.plan(
        join.name,
        branches.map((b) => bucket.get(b)!),
        stack,
      );
    } else {
      bucket.set(record.step, record);
      if (!join.parents.every((p) => bucket.has(p))) {
        return;
      }
      this.joinBuckets.delete(key);
      this.plan(
        join.name,
        join.parents.map((p) => bucket.get(p)!),
        stack,
      );
    }
  }
}

function readIfPresent(
  datastore: Datastore,
  flow: string,
  runId: string,
  step: string,
  taskId: string,
): TaskRecord | undefined {
  return datastore.peekTask(flow, runId, step, taskId);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** What a signal that killed a task process means, for its log. */
const SIGNAL_MEANING: Record<string, string> = {
  SIGSEGV: 'segmentation fault',
  SIGBUS: 'bus error',
  SIGABRT: 'aborted',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating-point exception',
  SIGKILL: 'killed',
};

async function noteInStderr(datastore: Datastore, spec: TaskSpec, signal: string): Promise<void> {
  const meaning = SIGNAL_MEANING[signal] ? ` (${SIGNAL_MEANING[signal]})` : '';
  const args = [spec.flow, spec.runId, spec.step, spec.taskId, spec.attempt, 'stderr'] as const;
  try {
    const before = (await datastore.readLog(...args)) ?? '';
    const log = datastore.openLog(...args);
    log.write(`${before}cellflow: the task process was killed by ${signal}${meaning}\n`);
    await log.end();
  } catch {
    // The log is a courtesy; the task record holds the failure.
  }
}
