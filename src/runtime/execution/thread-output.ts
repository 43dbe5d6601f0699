// A task thread's stdout and stderr, written synchronously to pipes of the host process that the
// scheduler reads. A worker thread's own process.stdout hands each chunk to the host's main thread
// asynchronously, so a host that dies right after a write (a native crash, the task's own
// `process.kill(process.pid, 'SIGSEGV')`) lost what its task printed last; a write to the pipe is in
// the kernel's buffer once it returns. A shared counter of the bytes written lets the scheduler
// attribute every byte to the right task: it ends a task's logs only once it has read that many.
import * as fs from 'fs';

export type OutputStream = 'stdout' | 'stderr';

/** The host's file descriptors for its threads' output (fork stdio 4 and 5, see task-hosts.ts). */
export const THREAD_OUTPUT_FDS: Record<OutputStream, number> = { stdout: 4, stderr: 5 };
const INDEX: Record<OutputStream, number> = { stdout: 0, stderr: 1 };

/** A shared counter pair (stdout, stderr) of the bytes a thread has written to its pipes. */
export function newOutputCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
}

export function readOutputCounters(counters: SharedArrayBuffer): Record<OutputStream, number> {
  const view = new BigInt64Array(counters);
  return {
    stdout: Number(Atomics.load(view, INDEX.stdout)),
    stderr: Number(Atomics.load(view, INDEX.stderr)),
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes`, waiting out a full non-blocking pipe (the scheduler is reading it). */
function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        throw error;
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Sends this thread's process.stdout and process.stderr (console.* included) to the host's pipes.
 * Output written before `attach()` (while the thread warms up for a task not yet known) is held and
 * written when its task arrives, so it is logged with that task and not with the one running now.
 */
export function captureThreadOutput(counters: SharedArrayBuffer): { attach(): void } {
  const written = new BigInt64Array(counters);
  const held: { stream: OutputStream; bytes: Buffer }[] = [];
  let attached = false;
  const emit = (stream: OutputStream, bytes: Buffer) => {
    writeAll(THREAD_OUTPUT_FDS[stream], bytes);
    Atomics.add(written, INDEX[stream], BigInt(bytes.length));
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream] as unknown as { write: unknown };
    target.write = (
      chunk: string | Uint8Array,
      encoding?: BufferEncoding | WriteCallback,
      done?: WriteCallback,
    ) => {
      const callback = typeof encoding === 'function' ? encoding : done;
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
          : Buffer.from(chunk);
      if (attached) {
        emit(stream, bytes);
      } else {
        held.push({ stream, bytes });
      }
      if (callback) {
        process.nextTick(callback);
      }
      return true;
    };
  }
  return {
    attach() {
      attached = true;
      for (const { stream, bytes } of held.splice(0)) {
        emit(stream, bytes);
      }
    },
  };
}
