// Real `cellflow serve` processes for the serving tests: started on a free loopback port, found by
// the URL they print, stopped by PID. Requests go over real HTTP with Node's fetch.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cellflow, CLI, REPO } from '../helpers/cli';

export interface Served {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | string>;
}

export function tempHome(prefix = 'cf-serve-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs a notebook as a flow in `home`; returns its pathspec. */
export async function runFlow(notebook: string, home: string): Promise<string> {
  const idFile = path.join(home, `run-id-${Date.now()}`);
  const result = await cellflow(['run', notebook, '-q', '--run-id-file', idFile], {
    env: { CELLFLOW_HOME: home },
    timeoutMs: 120_000,
  });
  if (result.code !== 0) {
    throw new Error(`run failed: ${result.stderr}`);
  }
  return fs.readFileSync(idFile, 'utf8').trim();
}

export function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cellflow serve did not start\n${stdout}\n${stderr}`));
    }, 30_000);
    child.stdout!.on('data', (d) => {
      stdout += d;
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cellflow serve exited (${code}) before serving\n${stdout}\n${stderr}`));
    });
  });
}

export function stop(served: Served | undefined): void {
  if (served?.child.pid !== undefined && served.child.exitCode === null && served.child.signalCode === null) {
    served.child.kill('SIGKILL');
  }
}

export interface Answer {
  status: number;
  body: unknown;
  id: string | null;
  run: string | null;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
  return {
    status: res.status,
    body: await res.json(),
    id: res.headers.get('x-cellflow-prediction'),
    run: res.headers.get('x-cellflow-run'),
  };
}

export function churnRequest(i: number): Record<string, number> {
  return {
    tenure_months: (i * 7) % 72,
    monthly_charges: 20 + ((i * 13) % 90),
    support_calls: i % 6,
    contract_monthly: i % 2,
  };
}
