// The kernel's five ZeroMQ sockets, bound from the connection file before anything heavy loads. A
// client connects as soon as they listen; until then its connects are refused and retried on
// ZeroMQ's reconnect interval. Bound first, they listen while the compiler and tslab load, and the
// first kernel_info request is waiting when the kernel is ready to answer it.
import * as fs from 'fs';
import type { ZmqServer } from 'tslab/dist/jupyter';

/** The connection file and the sockets, as tslab's server holds them (CellflowServer adopts them). */
export type KernelSockets = Pick<ZmqServer, 'connInfo' | 'iopub' | 'shell' | 'control' | 'stdin' | 'hb'>;

export async function bindKernelSockets(configPath: string): Promise<KernelSockets> {
  const connInfo = JSON.parse(fs.readFileSync(configPath, 'utf8')) as KernelSockets['connInfo'];
  const { Publisher, Router, Reply } = await import('zeromq');
  const sockets: KernelSockets = {
    connInfo,
    iopub: new Publisher(),
    shell: new Router(),
    control: new Router(),
    stdin: new Router(),
    hb: new Reply(),
  };
  const address = (port: number) => `${connInfo.transport}://${connInfo.ip}:${port}`;
  await Promise.all([
    sockets.iopub.bind(address(connInfo.iopub_port)),
    sockets.shell.bind(address(connInfo.shell_port)),
    sockets.control.bind(address(connInfo.control_port)),
    sockets.stdin.bind(address(connInfo.stdin_port)),
    sockets.hb.bind(address(connInfo.hb_port)),
  ]);
  return sockets;
}
