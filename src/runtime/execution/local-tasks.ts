// Where a task runs on this machine: by default in a fresh worker thread of a task host
// (task-hosts.ts); with isolation:process in a fresh OS process of its own (worker-pool.ts). Each
// pool starts only once a task asks for it, so a run that uses one never pays for the other.
import { TaskHostPool } from './task-hosts';
import {
  WorkerPool,
  WorkerStartError,
  type TaskProcess,
  type TaskProcessSource,
  type TaskRequest,
  type WarmUpInfo,
} from './worker-pool';
import type { Isolation } from '../../core/model';

export class LocalTaskSource implements TaskProcessSource {
  private hosts: TaskHostPool | undefined;
  private processes: WorkerPool | undefined;
  private closed = false;

  /** `expected`: the run's default isolation, whose pool is started at once. */
  constructor(
    private readonly warm: WarmUpInfo,
    private readonly size: number,
    expected: Isolation,
  ) {
    if (expected === 'process') {
      this.processPool();
    } else {
      this.hostPool();
    }
  }

  acquire(request: TaskRequest): Promise<TaskProcess> {
    if (this.closed) {
      return Promise.reject(new WorkerStartError('the run is stopping; no new task is started.'));
    }
    if (request.isolation === 'process') {
      const execArgv = request.memoryMb ? [`--max-old-space-size=${request.memoryMb}`] : [];
      return this.processPool().acquire(execArgv, request.moreToCome);
    }
    return this.hostPool().acquire(request.memoryMb, request.moreToCome);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.hosts?.close(), this.processes?.close()]);
  }

  private hostPool(): TaskHostPool {
    return (this.hosts ??= new TaskHostPool(this.warm, this.size));
  }

  private processPool(): WorkerPool {
    return (this.processes ??= new WorkerPool(this.warm, this.size));
  }
}
