'use strict';
// The floors under benchmark 1 on this machine: one bare Node process per task, started with fork,
// one IPC message each way, then exit, `maxWorkers` at a time; and one bare worker thread per task.
// Task isolation in a process (or a fresh thread) of its own cannot cost less; a task runner's
// overhead is what it adds on top.
const { fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');

const CHILD = `process.once('message', () => process.send('done', () => process.exit(0)));
process.send('ready');\n`;

/** Wall milliseconds per task for `tasks` bare processes, `maxWorkers` at a time. */
async function processFloorMs(tasks, maxWorkers) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-floor-'));
  const child = path.join(dir, 'child.js');
  fs.writeFileSync(child, CHILD);
  // As cellflow's task processes: without NODE_EXTRA_CA_CERTS, whose eager parse they defer.
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const one = () =>
    new Promise((resolve, reject) => {
      const proc = fork(child, [], { env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      proc.on('message', (message) => message === 'ready' && proc.send('task'));
      proc.once('error', reject);
      proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`floor child exited ${code}`))));
    });
  try {
    return await msPerTask(one, tasks, maxWorkers);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor under the default isolation: a fresh worker thread per task (a bare Worker that posts one
 * message and exits), `maxWorkers` at a time. Wall milliseconds per task.
 */
async function threadFloorMs(tasks, maxWorkers) {
  const one = () =>
    new Promise((resolve, reject) => {
      const worker = new Worker("require('worker_threads').parentPort.postMessage('done')", { eval: true });
      worker.once('error', reject);
      worker.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`floor thread exited ${code}`)),
      );
    });
  return msPerTask(one, tasks, maxWorkers);
}

/** Runs `one` `tasks` times, `maxWorkers` at a time; wall milliseconds per run. */
async function msPerTask(one, tasks, maxWorkers) {
  const started = process.hrtime.bigint();
  let next = 0;
  const slot = async () => {
    while (next < tasks) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: maxWorkers }, slot));
  return Number(process.hrtime.bigint() - started) / 1e6 / tasks;
}

module.exports = { processFloorMs, threadFloorMs };
