// Matches the kernel's comm replies and streamed events to the requests that caused them, by id. Pure.
import type { Op, Reply, ResultOf, StreamEvent } from '../core/protocol';

export type { RequestBody } from '../core/protocol';

/** The streamed (non-final) replies of a request: `started`, `task`, `log`. */
export type EventReply = StreamEvent;

/** What a final reply carries: one of the ops' results (the client knows which, by its request). */
type AnyResult = ResultOf<Op>;

interface Pending {
  resolve(result: AnyResult): void;
  reject(error: Error): void;
  onEvent?: (event: EventReply) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class CellflowRequestError extends Error {}

export class ReplyRouter {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private readonly prefix: string;

  constructor(prefix = Math.random().toString(36).slice(2, 8)) {
    this.prefix = prefix;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers a request and returns its id and the promise of its final reply. A request with a
   * timeout fails if nothing at all (reply or event) arrives for `timeoutMs`.
   */
  open(onEvent?: (event: EventReply) => void, timeoutMs?: number): { id: string; done: Promise<AnyResult> } {
    const id = `${this.prefix}-${++this.counter}`;
    const done = new Promise<AnyResult>((resolve, reject) => {
      const entry: Pending = { resolve, reject, onEvent };
      this.pending.set(id, entry);
      if (timeoutMs !== undefined) {
        this.arm(id, entry, timeoutMs);
      }
    });
    return { id, done };
  }

  /** Routes one message from the kernel; false when it answers no pending request. */
  dispatch(message: unknown, timeoutMs?: number): boolean {
    if (!isReply(message)) {
      return false;
    }
    const entry = this.pending.get(message.id);
    if (!entry) {
      return false;
    }
    if ('event' in message) {
      if (timeoutMs !== undefined) {
        this.arm(message.id, entry, timeoutMs);
      }
      entry.onEvent?.(message);
      return true;
    }
    this.settle(message.id, entry);
    if (message.ok) {
      entry.resolve(message.result);
    } else {
      entry.reject(new CellflowRequestError(message.error));
    }
    return true;
  }

  /** Fails every pending request, e.g. when the kernel restarts or closes the comm. */
  failAll(reason: string): void {
    for (const [id, entry] of [...this.pending]) {
      this.settle(id, entry);
      entry.reject(new CellflowRequestError(reason));
    }
  }

  fail(id: string, reason: string): void {
    const entry = this.pending.get(id);
    if (!entry) {
      return;
    }
    this.settle(id, entry);
    entry.reject(new CellflowRequestError(reason));
  }

  private arm(id: string, entry: Pending, timeoutMs: number): void {
    if (entry.timer) {
      clearTimeout(entry.timer);
    }
    entry.timer = setTimeout(
      () => this.fail(id, `the kernel did not answer within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
  }

  private settle(id: string, entry: Pending): void {
    if (entry.timer) {
      clearTimeout(entry.timer);
    }
    this.pending.delete(id);
  }
}

function isReply(message: unknown): message is Reply {
  if (typeof message !== 'object' || message === null) {
    return false;
  }
  const m = message as Record<string, unknown>;
  return typeof m.id === 'string' && (typeof m.ok === 'boolean' || typeof m.event === 'string');
}
