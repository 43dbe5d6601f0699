// A real one-node Slurm cluster for the tests: Debian's slurm-wlm and munge, a private configuration
// in a temp folder, controller and node daemon on free ports of 127.0.0.1, every daemon kept in the
// foreground as a child of the test process and stopped by its PID. No accounting: the engine never
// needs sacct (it reads job states from the controller while they are held, MinJobAge).
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch'];

/** Why the cluster cannot start here (binaries absent), or undefined when it can. */
export function slurmUnavailableReason(): string | undefined {
  const missing = BINARIES.filter((binary) => !fs.existsSync(binary));
  if (missing.length === 0) {
    return undefined;
  }
  return `Slurm is not installed (${missing.join(', ')} missing; apt-get install slurm-wlm munge)`;
}

export interface SlurmCluster {
  dir: string;
  partition: string;
  /** Environment for sbatch/squeue/scancel and for cellflow: SLURM_CONF points at the private config. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts munged, slurmctld and slurmd and waits (bounded) until the node is idle. */
export async function startSlurmCluster(timeoutMs = 30_000): Promise<SlurmCluster> {
  const reason = slurmUnavailableReason();
  if (reason) {
    throw new Error(reason);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-slurm-'));
  fs.chmodSync(dir, 0o755); // munged runs as the munge user and must reach its socket folder
  const mungeDir = path.join(dir, 'munge');
  for (const sub of ['munge', 'state', 'spool', 'log']) {
    fs.mkdirSync(path.join(dir, sub));
  }
  const asRoot = process.getuid?.() === 0;
  const munge = asRoot ? userIds('munge') : { uid: process.getuid!(), gid: process.getgid!() };
  const key = path.join(mungeDir, 'munge.key');
  fs.writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))));
  fs.chmodSync(key, 0o400);
  fs.chmodSync(mungeDir, 0o700);
  fs.chownSync(mungeDir, munge.uid, munge.gid);
  fs.chownSync(key, munge.uid, munge.gid);
  const socket = path.join(mungeDir, 'munge.socket.2');
  const host = os.hostname();
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const memoryMb = Math.floor(os.totalmem() / 1024 / 1024 / 2);
  const user = os.userInfo().username;
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(
    conf,
    [
      'ClusterName=cellflowtest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU_Memory',
      'SchedulerParameters=defer_batch=0',
      // scrontab (cellflow deploy --engine slurm --schedule) is refused unless the controller enables it.
      'ScronParameters=enable',
      // The builtin scheduler starts pending jobs on every event; backfill would wait its 30 s cycle.
      'SchedulerType=sched/builtin',
      // Without a default, each job is given the node's whole memory and jobs run one at a time.
      `DefMemPerCPU=${Math.floor(memoryMb / os.cpus().length)}`,
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MpiDefault=none',
      'ReturnToService=2',
      'MinJobAge=600',
      'KillWait=2',
      `StateSaveLocation=${path.join(dir, 'state')}`,
      `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
      `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'log', 'slurmd.log')}`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=${memoryMb} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const logs: string[] = [];
  const start = (command: string, args: string[], ids?: { uid: number; gid: number }) => {
    // Output goes to a file, not a pipe: a caller that blocks its event loop (spawnSync) would stop
    // draining a pipe, and a daemon blocked on a full pipe stalls the whole cluster.
    const outputFile = path.join(dir, 'log', `${path.basename(command)}.out`);
    const fd = fs.openSync(outputFile, 'a');
    const child = spawn(command, args, {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', fd, fd],
      ...(ids && asRoot ? ids : {}),
    });
    fs.closeSync(fd);
    logs.push('');
    const index = logs.length - 1;
    child.once('exit', (code, signal) => {
      const output = fs.existsSync(outputFile) ? fs.readFileSync(outputFile, 'utf8') : '';
      logs[index] = `${command} exited (${code ?? signal}): ${output}`;
    });
    daemons.push(child);
  };
  const stop = async () => {
    for (const child of [...daemons].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) {
        continue;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // -F foreground, -f force (its socket is under /tmp, which munged otherwise refuses).
    start(
      '/usr/sbin/munged',
      [
        '-F',
        '-f',
        // Every Slurm RPC is a munge credential; the default two threads queue them under load.
        '--num-threads=10',
        `--socket=${socket}`,
        `--key-file=${key}`,
        `--pid-file=${path.join(mungeDir, 'munged.pid')}`,
        `--log-file=${path.join(mungeDir, 'munged.log')}`,
        `--seed-file=${path.join(mungeDir, 'munged.seed')}`,
      ],
      munge,
    );
    await waitFor(() => fs.existsSync(socket), timeoutMs, 'munged socket', logs);
    start('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf]);
    start('/usr/sbin/slurmd', ['-D', '-f', conf]);
    await waitFor(
      () => {
        const info = spawnSync('sinfo', ['-h', '-o', '%T'], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
          timeout: 5000,
        });
        return info.status === 0 && info.stdout.trim() === 'idle';
      },
      timeoutMs,
      'the node to be idle',
      logs,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, partition: 'debug', env, stop };
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new Error(`no '${name}' user (installed with munge)`);
  }
  return { uid, gid: id('-g') };
}

async function waitFor(ready: () => boolean, timeoutMs: number, what: string, logs: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(
        `Slurm test cluster: timed out waiting for ${what}\n${logs.filter(Boolean).join('\n')}`,
      );
    }
    const died = logs.find(Boolean);
    if (died) {
      throw new Error(`Slurm test cluster: ${died}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
