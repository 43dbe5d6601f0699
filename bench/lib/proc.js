'use strict';
// Runs a command to completion and measures it: wall time, captured output and, when asked, the peak
// resident memory (VmHWM) of the process itself, sampled from /proc while it runs.
const { spawn } = require('child_process');
const fs = require('fs');

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number, sampleRss?: boolean, killGroup?: boolean }} options
 * @returns {Promise<{ code: number | null, wallMs: number, stdout: string, stderr: string, peakRssKb?: number }>}
 */
function measure(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that whatever it leaves running (a kernel) can be stopped with it.
      detached: Boolean(options.killGroup),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let peakRssKb;
    // VmHWM is the kernel's own high-water mark, so sampling it often enough to see the last value
    // before exit gives the true peak; it covers this process only, not its task processes.
    const sampler = options.sampleRss
      ? setInterval(() => {
          const hwm = readVmHwmKb(child.pid);
          if (hwm !== undefined) {
            peakRssKb = Math.max(peakRssKb ?? 0, hwm);
          }
        }, 50)
      : undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60 * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (sampler) {
        clearInterval(sampler);
      }
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (sampler) {
        clearInterval(sampler);
      }
      if (options.killGroup) {
        killGroup(child.pid);
      }
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, wallMs, stdout, stderr, peakRssKb });
    });
  });
}

/** SIGKILLs what is left of a process group (nothing, normally). */
function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already empty
  }
}

function readVmHwmKb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // exited between samples
  }
}

/** Throws with the command's output when it did not exit 0: a benchmark never reports a failed run. */
function check(result, what) {
  if (result.code !== 0) {
    const tail = (text) => text.split('\n').slice(-30).join('\n');
    throw new Error(`${what} exited with ${result.code}\n${tail(result.stdout)}\n${tail(result.stderr)}`);
  }
  return result;
}

module.exports = { measure, check, readVmHwmKb };
