// The kernel's ZeroMQ side, on the five sockets main.ts bound before the kernel loaded (sockets.ts).
// As tslab's ZmqServer, whose messaging this class keeps, it runs the heartbeat and feeds every shell
// and control message to handleShellMessage, which this class overrides: it verifies the
// HMAC (a message with a bad signature is dropped unexecuted), keeps the request's metadata (the
// cell's tags), serves the `cellflow` comm, and answers in the order messages arrived.
import type * as zmq from 'zeromq';
import { ZmqServer } from 'tslab/dist/jupyter';
import type { Request } from '../src/core/protocol';
import { COMM_TARGET } from '../src/core/protocol';
import { handleRequest, type CommContext } from './comm-ops';
import type { HistoryRequest } from './history';
import type { CellflowHandler, ExecuteIO, ExecuteRequest } from './handler';
import type { KernelSockets } from './sockets';
import { encodeMessage, parseMessage, WireError, type Message } from './wire';

/** The process's real stderr, kept before the handler redirects process.stderr to the notebook. */
const stderrWrite = process.stderr.write.bind(process.stderr);
export function logToTerminal(text: string): void {
  stderrWrite(`[cellflow kernel] ${text}\n`);
}

type Socket = zmq.Router | zmq.Publisher;

/** Quiet time after the last kernel_info request before tslab's compiler is warmed up. */
const WARM_UP_DELAY_MS = 400;

export interface ServerHooks {
  interrupt(): void;
  comm: CommContext;
  /**
   * Warms tslab's compiler and declares the step names (seconds of blocking work). Started after the
   * first kernel_info reply has left, so a client sees the kernel alive at once; every message but
   * kernel_info waits for it.
   */
  warmUp(): Promise<void>;
}

export class CellflowServer extends ZmqServer {
  private shellChain: Promise<void> = Promise.resolve();
  private warming: Promise<void> | undefined;
  private warmTimer: NodeJS.Timeout | undefined;
  private outbox: Promise<unknown> = Promise.resolve();
  private readonly comms = new Set<string>();

  constructor(
    private readonly kernel: CellflowHandler,
    private readonly sockets: KernelSockets,
    private readonly hooks: ServerHooks,
  ) {
    super(kernel, '');
  }

  /** Serves the bound sockets (tslab's init would read the connection file and bind them itself). */
  override async init(): Promise<void> {
    Object.assign(this, this.sockets);
    void this.serve(this.shell, (frames) => this.handleShellMessage(this.shell, ...frames));
    void this.serve(this.control, (frames) => this.handleShellMessage(this.control, ...frames));
    // The heartbeat echoes whatever it gets.
    void this.serve(this.hb, (frames) => this.hb.send(frames));
  }

  /** Hands each message of `socket` to `handle` as it arrives, until the socket is closed. */
  private async serve(socket: zmq.Router | zmq.Reply, handle: (frames: Buffer[]) => unknown): Promise<void> {
    try {
      for await (const frames of socket) {
        void handle(frames);
      }
    } catch (error) {
      // Closing the sockets at shutdown ends a pending receive; anything else is worth a line.
      if (!socket.closed) {
        logToTerminal(`a socket stopped: ${String(error)}`);
      }
    }
  }

  private ready(): Promise<void> {
    clearTimeout(this.warmTimer);
    this.warming ??= this.hooks.warmUp().catch((error) => logToTerminal(`start-up failed: ${String(error)}`));
    return this.warming;
  }

  override async handleShellMessage(sock: zmq.Router, ...frames: Buffer[]): Promise<void> {
    let msg: Message;
    try {
      msg = parseMessage(this.connInfo.key, frames);
    } catch (error) {
      if (error instanceof WireError) {
        logToTerminal(`dropped a message: ${error.message}`);
      } else {
        throw error;
      }
      return;
    }
    const control = sock === this.control;
    // The error epoch at arrival: an execute queued behind a failing cell is aborted (messaging spec).
    const epoch = this.kernel.epoch;
    const handle = async () => {
      this.publish(msg, 'status', { execution_state: 'busy' });
      try {
        await this.dispatch(sock, msg, epoch);
      } catch (error) {
        logToTerminal(`error handling ${msg.header.msg_type}: ${(error as Error)?.stack ?? String(error)}`);
      } finally {
        this.publish(msg, 'status', { execution_state: 'idle' });
      }
    };
    if (msg.header.msg_type === 'kernel_info_request') {
      await handle();
      // Clients repeat kernel_info until IOPub answers too (jupyter_client's wait_for_ready): warm up
      // once they stop asking, so the handshake never waits for the compiler.
      clearTimeout(this.warmTimer);
      this.warmTimer = setTimeout(() => void this.ready(), WARM_UP_DELAY_MS);
      return;
    }
    if (control) {
      await handle();
      return;
    }
    const next = this.shellChain.then(() => this.ready()).then(handle);
    this.shellChain = next.catch(() => undefined);
    await next;
  }

  private async dispatch(sock: zmq.Router, msg: Message, epoch: number): Promise<void> {
    const content = msg.content as Record<string, unknown>;
    const type = msg.header.msg_type;
    switch (type) {
      case 'kernel_info_request':
        return this.reply(sock, msg, 'kernel_info_reply', { status: 'ok', ...this.kernel.handleKernel() });
      case 'execute_request': {
        const reply = await this.kernel.execute(
          content as unknown as ExecuteRequest,
          msg.metadata,
          this.executeIO(msg),
          epoch,
        );
        return this.reply(sock, msg, 'execute_reply', reply);
      }
      case 'is_complete_request':
        return this.reply(sock, msg, 'is_complete_reply', this.kernel.handleIsComplete(content as never));
      case 'inspect_request':
        return this.reply(sock, msg, 'inspect_reply', this.kernel.handleInspect(content as never));
      case 'complete_request':
        return this.reply(sock, msg, 'complete_reply', this.kernel.handleComplete(content as never));
      case 'history_request':
        return this.reply(sock, msg, 'history_reply', {
          status: 'ok',
          history: this.kernel.history.query(content as HistoryRequest),
        });
      case 'comm_info_request': {
        const target = content.target_name;
        const comms = Object.fromEntries(
          [...this.comms]
            .filter(() => target === undefined || target === COMM_TARGET)
            .map((id) => [id, { target_name: COMM_TARGET }]),
        );
        return this.reply(sock, msg, 'comm_info_reply', { status: 'ok', comms });
      }
      case 'comm_open':
        return this.openComm(msg);
      case 'comm_msg':
        return this.commMessage(msg);
      case 'comm_close':
        this.comms.delete(String(content.comm_id));
        return;
      case 'interrupt_request':
        this.hooks.interrupt();
        return this.reply(sock, msg, 'interrupt_reply', { status: 'ok' });
      case 'shutdown_request': {
        const restart = content.restart === true;
        this.reply(sock, msg, 'shutdown_reply', { status: 'ok', restart });
        // Let the reply and the idle status leave before the sockets close.
        setTimeout(() => {
          try {
            this.close();
          } finally {
            process.exit(0);
          }
        }, 50);
        return;
      }
      default:
        logToTerminal(`unsupported message type ${type}`);
    }
  }

  private openComm(msg: Message): void {
    const content = msg.content as { comm_id?: string; target_name?: string };
    const id = String(content.comm_id);
    if (content.target_name === COMM_TARGET) {
      this.comms.add(id);
      return;
    }
    // An unknown target: close the comm at once, as the spec asks.
    this.publish(msg, 'comm_close', { comm_id: id, data: {} });
  }

  private commMessage(msg: Message): void {
    const content = msg.content as { comm_id?: string; data?: unknown };
    const id = String(content.comm_id);
    if (!this.comms.has(id)) {
      return;
    }
    // Not awaited: a run streams events for minutes while cells keep executing.
    void handleRequest(
      content.data as Request,
      (reply) => this.publish(msg, 'comm_msg', { comm_id: id, data: reply }),
      this.hooks.comm,
    );
  }

  private executeIO(msg: Message): ExecuteIO {
    return {
      stream: (name, text) => this.publish(msg, 'stream', { name, text }),
      display: (data, update, transient) =>
        this.publish(msg, update ? 'update_display_data' : 'display_data', {
          data,
          metadata: {},
          transient: transient ?? {},
        }),
      result: (data, count) =>
        this.publish(msg, 'execute_result', { data, metadata: {}, execution_count: count }),
      error: (ename, evalue, traceback) => this.publish(msg, 'error', { ename, evalue, traceback }),
      input: (code, count) => this.publish(msg, 'execute_input', { code, execution_count: count }),
    };
  }

  private reply(sock: zmq.Router, parent: Message, type: string, content: unknown): void {
    this.send(sock, encodeMessage(this.connInfo.key, type, content, parent));
  }

  private publish(parent: Message, type: string, content: unknown): void {
    // IOPub messages carry no routing identities; the topic frame is the message type.
    this.send(this.iopub, encodeMessage(this.connInfo.key, type, content, parent, [Buffer.from(type)]));
  }

  /** One send at a time per kernel: zeromq v6 refuses overlapping sends on a socket. */
  private send(sock: Socket, frames: Buffer[]): void {
    this.outbox = this.outbox
      .then(() => sock.send(frames))
      .catch((error) => logToTerminal(`send failed: ${String(error)}`));
  }
}
