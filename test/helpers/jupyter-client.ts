// A small Jupyter client over real ZeroMQ (zeromq v6), written from the messaging spec for the
// kernel tests: HMAC-SHA256 signed messages on shell/control/iopub/stdin/heartbeat, and a kernel
// started from its kernelspec with a connection file, as jupyter_client does.
import { spawn, type ChildProcess } from 'child_process';
import { createHmac, randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zmq from 'zeromq';

export interface JMessage {
  header: {
    msg_id: string;
    msg_type: string;
    session: string;
    username: string;
    date: string;
    version: string;
  };
  parent_header: { msg_id?: string; msg_type?: string };
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

export interface Outcome {
  reply: JMessage;
  /** IOPub messages caused by the request, between its busy and idle status. */
  iopub: JMessage[];
}

const DELIM = '<IDS|MSG>';

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<net.Server>((resolve) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export class JupyterClient {
  readonly session = randomUUID();
  readonly key = randomBytes(16).toString('hex');
  child!: ChildProcess;
  stderr = '';
  private shell = new zmq.Dealer({ routingId: `shell-${this.session}` });
  private control = new zmq.Dealer({ routingId: `control-${this.session}` });
  private iopub = new zmq.Subscriber();
  private replies = new Map<string, (m: JMessage) => void>();
  /** Why nothing more will come: the kernel exited (set half a second after it did). */
  private exited?: Error;
  /** Called with it then: the replies and idle statuses still awaited. */
  private onExit = new Set<(error: Error) => void>();
  private iopubLog = new Map<string, JMessage[]>();
  private idleWaiters = new Map<string, () => void>();
  private closed = false;
  private outbox: Promise<unknown> = Promise.resolve();
  connectionFile = '';

  /** Starts the kernel of `kernelspecDir/kernel.json` in `cwd` and waits until it answers. */
  static async start(
    kernelspecDir: string,
    cwd: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<JupyterClient> {
    const client = new JupyterClient();
    try {
      await client.launch(kernelspecDir, cwd, env);
    } catch (error) {
      // A kernel that started but never answered must not outlive the caller.
      await client.close();
      throw error;
    }
    return client;
  }

  private async launch(kernelspecDir: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
    const spec = JSON.parse(fs.readFileSync(path.join(kernelspecDir, 'kernel.json'), 'utf8')) as {
      argv: string[];
    };
    const [shell, iopub, stdin, control, hb] = await freePorts(5);
    this.connectionFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cf-conn-')), 'kernel.json');
    fs.writeFileSync(
      this.connectionFile,
      JSON.stringify({
        shell_port: shell,
        iopub_port: iopub,
        stdin_port: stdin,
        control_port: control,
        hb_port: hb,
        ip: '127.0.0.1',
        key: this.key,
        transport: 'tcp',
        signature_scheme: 'hmac-sha256',
        kernel_name: 'cellflow',
      }),
    );
    const argv = spec.argv.map((a) => a.replace('{connection_file}', this.connectionFile));
    this.child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A command that cannot be spawned is reported as a kernel that did not answer, not thrown.
    this.child.on('error', (error) => (this.stderr += `${error.message}\n`));
    this.child.on('exit', (code, signal) => {
      // A kernel that has exited will not reply: fail what waits for it after a short grace for the
      // replies it sent just before exiting (shutdown_reply), instead of after the request's timeout.
      setTimeout(() => {
        this.exited = new Error(`the kernel exited (${signal ?? `code ${code}`})\n${this.stderr}`);
        for (const reject of this.onExit) {
          reject(this.exited);
        }
      }, 500).unref();
    });
    this.child.stdout!.on('data', (d) => (this.stderr += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.shell.connect(`tcp://127.0.0.1:${shell}`);
    this.control.connect(`tcp://127.0.0.1:${control}`);
    this.iopub.connect(`tcp://127.0.0.1:${iopub}`);
    this.iopub.subscribe();
    void this.readLoop(this.shell);
    void this.readLoop(this.control);
    void this.readIopub();
    // IOPub subscriptions take a moment: ask kernel_info until its status messages come through.
    for (let attempt = 0; attempt < 120; attempt++) {
      const id = this.send(this.shell, 'kernel_info_request', {});
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([
        this.waitIdle(id),
        new Promise<false>((r) => (timer = setTimeout(() => r(false), 250))),
      ]);
      clearTimeout(timer);
      if (got !== false) {
        return;
      }
      // Exited, or never started (no pid: the command could not be spawned).
      if (this.child.exitCode !== null || this.child.pid === undefined) {
        break;
      }
    }
    throw new Error(`the kernel did not answer\n${this.stderr}`);
  }

  sign(frames: Buffer[]): string {
    const hmac = createHmac('sha256', this.key);
    for (const f of frames) {
      hmac.update(f);
    }
    return hmac.digest('hex');
  }

  /** Sends a request; returns its msg_id. `signature` overrides the HMAC (to test rejection). */
  send(
    socket: zmq.Dealer,
    type: string,
    content: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
    signature?: string,
  ): string {
    const header = {
      msg_id: randomUUID(),
      msg_type: type,
      session: this.session,
      username: 'test',
      date: new Date().toISOString(),
      version: '5.3',
    };
    const body = [header, {}, metadata, content].map((part) => Buffer.from(JSON.stringify(part)));
    const frames = [Buffer.from(DELIM), Buffer.from(signature ?? this.sign(body)), ...body];
    this.outbox = this.outbox.then(() => socket.send(frames));
    return header.msg_id;
  }

  /** One request on shell (or control): its reply and the IOPub messages it caused. */
  async request(
    type: string,
    content: Record<string, unknown>,
    options: { metadata?: Record<string, unknown>; channel?: 'shell' | 'control'; timeoutMs?: number } = {},
  ): Promise<Outcome> {
    const socket = options.channel === 'control' ? this.control : this.shell;
    const id = this.send(socket, type, content, options.metadata);
    const reply = await this.waitReply(id, options.timeoutMs ?? 60_000);
    let timer: NodeJS.Timeout | undefined;
    let gone: (() => void) | undefined;
    await Promise.race([
      this.waitIdle(id),
      new Promise((r) => (timer = setTimeout(r, options.timeoutMs ?? 60_000))),
      // A kernel that exited after its reply (shutdown) publishes no idle status any more.
      new Promise<void>((r) => {
        gone = r;
        if (this.exited) {
          r();
        } else {
          this.onExit.add(gone);
        }
      }),
    ]);
    clearTimeout(timer);
    if (gone) {
      this.onExit.delete(gone);
    }
    return { reply, iopub: this.iopubLog.get(id) ?? [] };
  }

  execute(code: string, metadata: Record<string, unknown> = {}, timeoutMs?: number): Promise<Outcome> {
    return this.request(
      'execute_request',
      {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      },
      { metadata, timeoutMs },
    );
  }

  /** Opens a comm on `target`; returns its id. */
  async openComm(target: string): Promise<string> {
    const commId = randomUUID();
    const id = this.send(this.shell, 'comm_open', { comm_id: commId, target_name: target, data: {} });
    await this.waitIdle(id);
    return commId;
  }

  /**
   * Sends `data` on a comm and waits for the comm message that settles it (`ok` present); returns that
   * and every comm message the kernel sent for it (streamed events first).
   */
  async commRequest(
    commId: string,
    data: Record<string, unknown>,
    timeoutMs = 60_000,
  ): Promise<{ final: Record<string, unknown>; all: Record<string, unknown>[] }> {
    const id = this.commSend(commId, data);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = this.commReplies(id);
      const final = all.find((d) => 'ok' in d);
      if (final) {
        return { final, all };
      }
      if (Date.now() > deadline) {
        throw new Error(`no comm reply to ${JSON.stringify(data)}\n${this.stderr}`);
      }
      await delay(20);
    }
  }

  /** Sends `data` on a comm without waiting; returns the message id, for commReplies. */
  commSend(commId: string, data: Record<string, unknown>): string {
    return this.send(this.shell, 'comm_msg', { comm_id: commId, data });
  }

  /** The comm messages the kernel has sent so far in reply to message `id`, in order. */
  commReplies(id: string): Record<string, unknown>[] {
    return this.messagesFor(id)
      .filter((m) => m.header.msg_type === 'comm_msg')
      .map((m) => (m.content as { data: Record<string, unknown> }).data);
  }

  waitReply(id: string, timeoutMs: number): Promise<JMessage> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.replies.delete(id);
        this.onExit.delete(fail);
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`no reply to ${id} within ${timeoutMs} ms\n${this.stderr}`)),
        timeoutMs,
      );
      if (this.exited) {
        return fail(this.exited);
      }
      this.onExit.add(fail);
      this.replies.set(id, (m) => {
        clearTimeout(timer);
        this.onExit.delete(fail);
        resolve(m);
      });
    });
  }

  /** Resolves when the kernel publishes `idle` for the request. */
  waitIdle(id: string): Promise<true> {
    const log = this.iopubLog.get(id) ?? [];
    if (log.some((m) => m.header.msg_type === 'status' && m.content.execution_state === 'idle')) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.idleWaiters.set(id, () => resolve(true)));
  }

  messagesFor(id: string): JMessage[] {
    return this.iopubLog.get(id) ?? [];
  }

  get shellSocket(): zmq.Dealer {
    return this.shell;
  }

  private parse(frames: Buffer[]): JMessage | undefined {
    const at = frames.findIndex((f) => f.toString() === DELIM);
    if (at < 0) {
      return undefined;
    }
    const body = frames.slice(at + 2, at + 6);
    if (frames[at + 1].toString() !== this.sign(body)) {
      throw new Error('the kernel sent a message with a bad signature');
    }
    const [header, parent_header, metadata, content] = body.map((f) => JSON.parse(f.toString()));
    return { header, parent_header, metadata, content };
  }

  private async readLoop(socket: zmq.Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        const msg = this.parse(frames);
        const id = msg?.parent_header.msg_id;
        if (msg && id) {
          this.replies.get(id)?.(msg);
        }
      }
    } catch (error) {
      if (!this.closed) {
        throw error;
      }
    }
  }

  private async readIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        const msg = this.parse(frames);
        const id = msg?.parent_header.msg_id;
        if (!msg || !id) {
          continue;
        }
        this.iopubLog.set(id, [...(this.iopubLog.get(id) ?? []), msg]);
        if (msg.header.msg_type === 'status' && msg.content.execution_state === 'idle') {
          this.idleWaiters.get(id)?.();
          this.idleWaiters.delete(id);
        }
      }
    } catch (error) {
      if (!this.closed) {
        throw error;
      }
    }
  }

  /** Ends the kernel (shutdown_request, then SIGKILL if it lingers) and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    const running = this.child?.pid !== undefined && this.child.exitCode === null;
    if (running && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      try {
        this.send(this.control, 'shutdown_request', { restart: false });
      } catch {
        // sockets already gone
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGKILL');
      }
    }
    this.closed = true;
    for (const socket of [this.shell, this.control, this.iopub]) {
      socket.linger = 0;
    }
    this.shell.close();
    this.control.close();
    this.iopub.close();
    // Empty when launch failed before writing it (dirname('') would be the working directory).
    if (this.connectionFile) {
      fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
    }
  }
}

/**
 * The directory of kernelspec `name` as Jupyter finds it: the first `<dir>/kernels/<name>/kernel.json`
 * along JUPYTER_PATH (the part of Jupyter's search path the tests control).
 */
export function findKernelspec(
  name: string,
  jupyterPath: string | undefined = process.env.JUPYTER_PATH,
): string {
  for (const dir of (jupyterPath ?? '').split(path.delimiter).filter(Boolean)) {
    const spec = path.join(dir, 'kernels', name);
    if (fs.existsSync(path.join(spec, 'kernel.json'))) {
      return spec;
    }
  }
  throw new Error(`no kernelspec ${name} on JUPYTER_PATH=${jupyterPath ?? ''}`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text of a cell's stream outputs. */
export function streamText(outcome: Outcome, name: 'stdout' | 'stderr' = 'stdout'): string {
  return outcome.iopub
    .filter((m) => m.header.msg_type === 'stream' && m.content.name === name)
    .map((m) => String(m.content.text))
    .join('');
}

export function errorOf(outcome: Outcome): JMessage | undefined {
  return outcome.iopub.find((m) => m.header.msg_type === 'error');
}
