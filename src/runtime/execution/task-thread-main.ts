// Entry point of one task's worker thread: a fresh V8 isolate (its own globals, module registry,
// environment copy and heap limit) inside a task host process. It warms up before its task is known
// (the runtime, the flow's code and imports), runs exactly one task, reports and ends, so nothing a
// task does to its globals or modules reaches the next task of the same host.
import { parentPort, workerData } from 'worker_threads';
import { Datastore } from '../datastore/datastore';
import { preloadImports } from '../loading/module-loader';
import { runTask } from './task-runner';
import { guardProcessWideCalls, watchNativeAddons } from './thread-guards';
import { captureThreadOutput } from './thread-output';
import type { TaskSpec } from './task-spec';

export interface ThreadWarmUp {
  datastoreRoot: string;
  javascriptSha256: string;
  filename: string;
}

/** What the host gives each thread: the warm-up, and the counters of the bytes it writes out. */
export interface ThreadData extends ThreadWarmUp {
  outputCounters: SharedArrayBuffer;
}

export type ToThread = { type: 'task'; spec: TaskSpec };
/** `addonRefused`: a native addon this thread could not load (the task then runs again in a process). */
export type FromThread = { type: 'started' } | { type: 'done'; ok: boolean; addonRefused?: string };

const output = captureThreadOutput((workerData as ThreadData).outputCounters);
const refusedAddon = watchNativeAddons();
guardProcessWideCalls();

function main(): void {
  const port = parentPort!;
  const warm = workerData as ThreadData;
  // The flow's imports load after the guards: an addon a thread refuses is noted here already.
  const javascript = Datastore.open({ root: warm.datastoreRoot })
    .objects.getSync(warm.javascriptSha256)
    .toString('utf8');
  preloadImports(javascript, warm.filename);
  port.once('message', (message: ToThread) => {
    output.attach();
    // The scheduler's kill timer for timeout: counts from here, not from while the thread warmed up.
    port.postMessage({ type: 'started' } satisfies FromThread);
    void (async () => {
      let ok = false;
      try {
        const { spec } = message;
        const sameModule = spec.module.javascriptSha256 === warm.javascriptSha256;
        ok = (await runTask(spec, sameModule ? javascript : undefined)).ok;
      } catch (error) {
        // runTask records its own failures; this is one it could not record (e.g. the disk is full).
        process.stderr.write(`cellflow: the task could not record its result: ${(error as Error).message}\n`);
      }
      const addonRefused = ok ? undefined : refusedAddon();
      port.postMessage({ type: 'done', ok, ...(addonRefused ? { addonRefused } : {}) } satisfies FromThread);
      // End the thread even if the step left timers or sockets behind; output is flushed first.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(0)));
    })();
  });
}

main();
