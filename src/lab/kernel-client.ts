// The browser end of the `cellflow` comm: requests to the notebook's cellflow kernel, replies and
// streamed run events back. One comm per kernel, opened on first use and dropped on restart.
import type { Kernel } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import {
  COMM_TARGET,
  type Op,
  type Request,
  type RequestBodyOf,
  type RequestOf,
  type ResultOf,
} from '../core/protocol';
import { type EventReply, ReplyRouter } from './reply-router';

/** Without any reply or event for this long, a request fails (a run streams events as it goes). */
const REQUEST_TIMEOUT_MS = 60_000;

export const NOT_A_CELLFLOW_KERNEL =
  "this notebook's kernel does not answer cellflow requests: choose the 'TypeScript (cellflow)' kernel " +
  '(install it with `cellflow kernel install`)';

export class CellflowClient {
  private readonly kernel: Kernel.IKernelConnection;
  private readonly router = new ReplyRouter();
  private comm: Kernel.IComm | null = null;

  constructor(kernel: Kernel.IKernelConnection) {
    this.kernel = kernel;
    kernel.statusChanged.connect(this.onStatus, this);
    kernel.disposed.connect(() => this.reset('the kernel was shut down'));
  }

  /** Sends one request; resolves with its op's result, rejects with the kernel's error. */
  request<O extends Op>(body: RequestBodyOf<O>, onEvent?: (event: EventReply) => void): Promise<ResultOf<O>> {
    return this.start(body, onEvent).done;
  }

  /** As request(), and the request's id too (a run's id is what `stop` names). */
  start<O extends Op>(
    body: RequestBodyOf<O>,
    onEvent?: (event: EventReply) => void,
  ): { id: string; done: Promise<ResultOf<O>> } {
    let comm: Kernel.IComm;
    try {
      comm = this.ensureComm();
    } catch (error) {
      return { id: '', done: Promise.reject(error instanceof Error ? error : new Error(String(error))) };
    }
    const { id, done } = this.router.open(onEvent, REQUEST_TIMEOUT_MS);
    const request = { ...body, id } as RequestOf<O> as Request;
    comm.send(request as unknown as JSONObject);
    // The kernel answers a request with its op's result (kernel/comm-ops.ts is typed by the same map).
    return { id, done: done as Promise<ResultOf<O>> };
  }

  private ensureComm(): Kernel.IComm {
    if (this.comm && !this.comm.isDisposed) {
      return this.comm;
    }
    const comm = this.kernel.createComm(COMM_TARGET);
    comm.onMsg = (msg) => {
      this.router.dispatch(msg.content.data, REQUEST_TIMEOUT_MS);
    };
    // A kernel without a `cellflow` comm target closes the comm at once (messaging spec).
    comm.onClose = () => {
      if (this.comm === comm) {
        this.comm = null;
      }
      this.router.failAll(NOT_A_CELLFLOW_KERNEL);
    };
    comm.open({});
    this.comm = comm;
    return comm;
  }

  private onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this.reset(`the kernel is ${status}`);
    }
  }

  private reset(reason: string): void {
    this.router.failAll(reason);
    if (this.comm && !this.comm.isDisposed) {
      this.comm.dispose();
    }
    this.comm = null;
  }
}

const clients = new WeakMap<Kernel.IKernelConnection, CellflowClient>();

/** The client of a kernel connection (one comm shared by the panel, the run browser and commands). */
export function clientFor(kernel: Kernel.IKernelConnection): CellflowClient {
  let client = clients.get(kernel);
  if (!client) {
    client = new CellflowClient(kernel);
    clients.set(kernel, client);
  }
  return client;
}
