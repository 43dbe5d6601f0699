// timeout:SECONDS inside the task process: a step that is awaiting when its time is up gets a
// StepTimeoutError at that point, so the attempt fails like any thrown error (and `catch:` keeps
// what the step had set), as Metaflow's in-process timeout does. A step stuck in synchronous code
// never yields to this timer; the scheduler kills its process a little later (scheduler.ts).

export class StepTimeoutError extends Error {
  constructor(step: string, seconds: number) {
    super(`step '${step}' timed out after ${seconds} s (timeout:${seconds})`);
    this.name = 'StepTimeoutError';
  }
}

export async function withStepTimeout<T>(
  run: () => Promise<T> | T,
  step: string,
  seconds: number | undefined,
): Promise<T> {
  if (!seconds) {
    return run();
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(step, seconds)), seconds * 1000);
  });
  try {
    return await Promise.race([Promise.resolve().then(run), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long after the step's own timeout the scheduler kills a process that did not answer. */
export function killGraceMs(seconds: number): number {
  return Math.max(1000, seconds * 100);
}
