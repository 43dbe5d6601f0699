// Entry point of a warm task process. It starts before its task is known, loads the runtime and the
// flow's imports, says `ready`, then runs exactly one task and exits: start-up cost is paid ahead of
// time, yet every task still gets a fresh process (no state leaks between tasks).
import { installDeferredCaCerts } from './deferred-ca';
import { preloadImports } from '../loading/module-loader';
import { runTask } from './task-runner';
import type { TaskSpec } from './task-spec';
import { Datastore } from '../datastore/datastore';

export type WorkerMessage = { type: 'ready' } | { type: 'done'; ok: boolean };
export type SchedulerMessage = { type: 'task'; spec: TaskSpec };

interface WarmUp {
  datastoreRoot: string;
  javascriptSha256: string;
  filename: string;
}

/** Reads the flow's code (verified once, here) and loads its imports; returns the code for the task. */
function warmUp(): WarmUp & { javascript: string } {
  const raw = process.env.CELLFLOW_WORKER_WARMUP;
  if (!raw) {
    throw new Error('worker-main needs CELLFLOW_WORKER_WARMUP from the cellflow scheduler.');
  }
  const warm = JSON.parse(raw) as WarmUp;
  const javascript = Datastore.open({ root: warm.datastoreRoot })
    .objects.getSync(warm.javascriptSha256)
    .toString('utf8');
  preloadImports(javascript, warm.filename);
  return { ...warm, javascript };
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

async function main(): Promise<void> {
  if (!process.send) {
    throw new Error('worker-main must be started by the cellflow scheduler (it needs an IPC channel).');
  }
  // The scheduler died (SIGKILL, OOM): nobody will collect this task's result, so it stops rather
  // than live on as an orphan. The run reads as abandoned and `resume` re-runs the task.
  process.once('disconnect', () => process.exit(3));
  installDeferredCaCerts();
  const warm = warmUp();
  process.once('message', (message: SchedulerMessage) => {
    void (async () => {
      let ok = false;
      try {
        const { spec } = message;
        const sameModule = spec.module.javascriptSha256 === warm.javascriptSha256;
        ok = (await runTask(spec, sameModule ? warm.javascript : undefined)).ok;
      } catch (error) {
        // runTask records its own failures; this is one it could not record (e.g. the disk is full).
        // The scheduler records the attempt as failed and the message stays in the attempt's stderr.
        process.stderr.write(`cellflow: the task could not record its result: ${(error as Error).message}\n`);
      }
      await send({ type: 'done', ok });
      // Exit only once buffered output has reached the scheduler's pipes.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(ok ? 0 : 1)));
    })();
  });
  await send({ type: 'ready' });
}

void main();
