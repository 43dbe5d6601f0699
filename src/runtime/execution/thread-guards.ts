// What a task running in a worker thread cannot do, failing with a message that names the way out
// (`isolation:process`) instead of Node's bare ERR_WORKER_UNSUPPORTED_OPERATION, and the native
// addons that refuse to load in a thread, so the scheduler can retry the task in a process.

export const USE_A_PROCESS =
  'tag the step isolation:process (or run with --isolation process) to give each of its tasks an OS process of its own';

/** A process-wide call made from a task thread: it would change every thread of the host. */
export class ProcessOnlyError extends Error {
  constructor(call: string) {
    super(
      `${call} cannot run in a task thread: worker threads share their process's working directory and credentials; ${USE_A_PROCESS}`,
    );
    this.name = 'ProcessOnlyError';
  }
}

/** A native addon that is not context-aware: Node cannot load it in a worker thread. */
export class NativeAddonInThreadError extends Error {
  constructor(
    readonly addon: string,
    cause: string,
  ) {
    super(
      `the native addon ${addon} cannot load in a worker thread (${cause}); cellflow runs the task again in a process of its own (${USE_A_PROCESS} to skip the thread attempt)`,
    );
    this.name = 'NativeAddonInThreadError';
  }
}

const PROCESS_WIDE = ['chdir', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups'] as const;

/** Replaces the process-wide calls a worker thread lacks with ones that explain themselves. */
export function guardProcessWideCalls(): void {
  const target = process as unknown as Record<string, unknown>;
  for (const name of PROCESS_WIDE) {
    if (typeof target[name] === 'function') {
      target[name] = () => {
        throw new ProcessOnlyError(`process.${name}()`);
      };
    }
  }
  const umask = process.umask.bind(process);
  target.umask = (mask?: string | number) => {
    if (mask !== undefined) {
      throw new ProcessOnlyError('process.umask(mask)');
    }
    return umask();
  };
}

/** Node's errors for an addon that a worker thread refuses: not context-aware, or loaded twice. */
function refusedInThread(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ERR_NON_CONTEXT_AWARE_DISABLED' || /did not self-register/.test(error.message);
}

/**
 * Watches native addon loads (the thread runs with --force-context-aware, so a non-context-aware
 * addon is refused every time instead of loading once and crashing the host later). Returns the
 * first refused addon's path, if any.
 */
export function watchNativeAddons(): () => string | undefined {
  let refused: string | undefined;
  const dlopen = process.dlopen.bind(process);
  process.dlopen = (module: { exports: unknown }, filename: string, flags?: number) => {
    try {
      return flags === undefined ? dlopen(module, filename) : dlopen(module, filename, flags);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (!refusedInThread(err)) {
        throw error;
      }
      refused ??= filename;
      throw new NativeAddonInThreadError(filename, err.message);
    }
  };
  return () => refused;
}
