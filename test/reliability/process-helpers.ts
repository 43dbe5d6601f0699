// Helpers for fault tests: start `cellflow` in the background, wait for files a task writes, and
// check processes by pid. Everything here drives real processes; nothing is simulated.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, REPO } from '../helpers/cli';

export interface Background {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `cellflow ARGS` as a background process; `done` settles when it exits. */
export function startCellflow(args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules'), CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Polls until `probe` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The pid a task wrote to `file` (once the write is complete: the file ends with a newline). */
export function waitForPid(file: string, timeoutMs?: number): Promise<number> {
  return waitFor(
    `a pid in ${file}`,
    () => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      return text.endsWith('\n') ? Number(text.trim()) : undefined;
    },
    timeoutMs,
  );
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a process we started if it is still there (afterAll hygiene). */
export function killIfAlive(pid: number | undefined): void {
  if (pid !== undefined && alive(pid)) {
    process.kill(pid, 'SIGKILL');
  }
}

export function readRunIdFile(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}
