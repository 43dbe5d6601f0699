// Runs an asynchronous service (the S3 client) on a worker thread and lets the calling thread use it
// both ways: `call` returns a Promise; `callSync` blocks (Atomics.wait) until the worker has replied
// on a dedicated port, then takes the reply with receiveMessageOnPort. That is how the datastore's
// synchronous API (the Client API's metadata accessors, the task runner's lazy artifact reads) works
// against a remote store without making every caller async. Replies carry transferred ArrayBuffers,
// so object bytes cross threads without a copy.
import * as fs from 'fs';
import * as path from 'path';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  parentPort,
  workerData,
  type MessagePort,
  type Transferable,
} from 'worker_threads';
import { serializeError, type SerializedError } from './thread-errors';

interface Request {
  id: number;
  op: string;
  args: unknown[];
}

export interface BridgeReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: SerializedError;
}

/** A handler's result, with the buffers to transfer instead of copying. */
export interface Transferred {
  value: unknown;
  transfer: Transferable[];
}

export type Handler = (...args: never[]) => Promise<unknown>;

/** Longest a synchronous call waits before it fails (the client's own timeouts and retries come first). */
const SYNC_TIMEOUT_MS = 10 * 60_000;

export class WorkerBridge {
  private readonly worker: Worker;
  private readonly syncPort: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;
  private exited: Error | undefined;

  constructor(
    entry: string,
    data: unknown,
    private readonly toError: (error: SerializedError) => Error,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.syncPort = port1;
    this.syncPort.unref(); // read only by receiveMessageOnPort: it must not keep the process alive
    this.worker = new Worker(entry, {
      workerData: { data, syncPort: port2, flag: this.flag },
      transferList: [port2],
      env: { ...process.env }, // the caller's environment as it is now (jest sandboxes process.env)
      stdout: false,
      stderr: false,
    });
    this.worker.on('message', (reply: BridgeReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the storage worker exited (code ${code})`)));
    // Only pending async calls keep the process alive (after the listeners: adding one refs again).
    this.worker.unref();
  }

  call<T>(op: string, args: unknown[] = [], transfer: Transferable[] = []): Promise<T> {
    if (this.exited) {
      return Promise.reject(this.exited);
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.size === 1) {
        this.worker.ref();
      }
      this.worker.postMessage({ id, op, args } satisfies Request, transfer);
    });
  }

  callSync<T>(op: string, args: unknown[] = [], transfer: Transferable[] = []): T {
    if (this.exited) {
      throw this.exited;
    }
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ id: 0, op, args } satisfies Request, transfer);
    const started = Date.now();
    while (Atomics.wait(this.flag, 0, 0, 1000) === 'timed-out') {
      if (Date.now() - started > SYNC_TIMEOUT_MS) {
        throw new Error(`the storage did not answer ${op} in time`);
      }
    }
    const message = receiveMessageOnPort(this.syncPort);
    if (!message) {
      throw new Error(`the storage worker gave no answer to ${op}`);
    }
    const reply = message.message as BridgeReply;
    if (!reply.ok) {
      throw this.toError(reply.error!);
    }
    return reply.value as T;
  }

  close(): void {
    void this.worker.terminate();
  }

  private settle(reply: BridgeReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) {
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker.unref();
    }
    if (reply.ok) {
      waiter.resolve(reply.value);
    } else {
      waiter.reject(this.toError(reply.error!));
    }
  }

  private fail(error: Error): void {
    this.exited ??= error;
    for (const waiter of this.pending.values()) {
      waiter.reject(error);
    }
    this.pending.clear();
    // A sync caller blocked in Atomics.wait is woken by a flag that never comes: wake it to fail.
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }
}

/** Worker side: answers requests with `handlers`; `setup` gets the data the bridge was created with. */
export function serveBridge(setup: (data: never) => Record<string, Handler>): void {
  const { data, syncPort, flag } = workerData as { data: never; syncPort: MessagePort; flag: Int32Array };
  let handlers: Record<string, Handler> | undefined;
  let setupError: unknown;
  try {
    handlers = setup(data);
  } catch (error) {
    setupError = error;
  }
  parentPort!.on('message', (request: Request) => {
    void answer(request).then(({ reply, transfer }) => {
      if (request.id === 0) {
        syncPort.postMessage(reply, transfer);
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      } else {
        parentPort!.postMessage(reply, transfer);
      }
    });
  });

  async function answer(request: Request): Promise<{ reply: BridgeReply; transfer: Transferable[] }> {
    try {
      if (!handlers) {
        throw setupError;
      }
      const handler = handlers[request.op];
      if (!handler) {
        throw new Error(`unknown storage operation ${request.op}`);
      }
      const result = await (handler as (...args: unknown[]) => Promise<unknown>)(...request.args);
      if (result && typeof result === 'object' && 'transfer' in result && 'value' in result) {
        const { value, transfer } = result as Transferred;
        return { reply: { id: request.id, ok: true, value }, transfer };
      }
      return { reply: { id: request.id, ok: true, value: result }, transfer: [] };
    } catch (error) {
      return { reply: { id: request.id, ok: false, error: serializeError(error) }, transfer: [] };
    }
  }
}

/**
 * The compiled worker file: next to this module when built; from dist/ when this module runs from
 * src/ under ts-jest (a worker thread cannot load TypeScript).
 */
export function compiledWorkerFile(dirname: string, name: string): string {
  const beside = path.join(dirname, `${name}.js`);
  if (fs.existsSync(beside)) {
    return beside;
  }
  for (let dir = dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const built = path.join(dir, 'dist', path.relative(dir, dirname), `${name}.js`);
      if (fs.existsSync(built)) {
        return built;
      }
      throw new Error(`${built} is missing: run npm run build`);
    }
  }
  throw new Error(`cannot find the compiled ${name}.js`);
}
