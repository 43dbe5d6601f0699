'use strict';
// Benchmark 7: `cellflow serve` answering churn's predict, with the prediction log on and off.
// A small load generator on loopback: a fixed number of requests (and a time bound), a fixed number
// in flight over keep-alive connections; throughput and the 99th percentile of latency as the client
// sees it (a logged answer waits for its batch's fsync: group commit).
const { spawn } = require('child_process');
const http = require('http');
const { performance } = require('perf_hooks');
const { URL } = require('url');
const path = require('path');
const { REPO } = require('./cellflow');

const CLI = path.join(REPO, 'bin', 'cellflow.js');

/** Starts `cellflow serve RUN --port 0 [...extra]`; resolves with its URL and the child. */
function startServe(run, home, extra) {
  const child = spawn(process.execPath, [CLI, 'serve', run, '--port', '0', ...extra], {
    cwd: REPO,
    env: { ...process.env, CELLFLOW_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cellflow serve did not start: ${err}`));
    }, 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cellflow serve exited ${code}: ${err}`));
    });
  });
}

function stopServe(server) {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

function body(i) {
  return JSON.stringify({
    tenure_months: (i * 7) % 72,
    monthly_charges: 20 + ((i * 13) % 90),
    support_calls: i % 6,
    contract_monthly: i % 2,
  });
}

/** `count` POSTs (at most `maxMs`), `concurrency` in flight; returns requests/s and p99 in ms. */
async function load(url, { count, concurrency, maxMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/predict', url);
  const latencies = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const one = (i) =>
    new Promise((resolve) => {
      const payload = body(i);
      const t0 = performance.now();
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) {
              latencies.push(performance.now() - t0);
            } else {
              failed++;
            }
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(payload);
    });
  const worker = async () => {
    while (next < count && performance.now() - started < maxMs) {
      await one(next++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failed,
    rps: latencies.length / (elapsedMs / 1000),
    p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? NaN,
  };
}

/** Alternates log on / off `rounds` times (the shared machine's speed drifts), after a warm-up each. */
async function measureServe(run, home, { count, concurrency, maxMs, rounds, log }) {
  const results = { on: [], off: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['off', 'on']) {
      const server = await startServe(run, home, mode === 'off' ? ['--no-log'] : []);
      try {
        await load(server.url, { count: Math.min(500, count), concurrency, maxMs });
        log(`serve: ${count} predictions, ${concurrency} in flight, log ${mode} (${round + 1}/${rounds})`);
        const result = await load(server.url, { count, concurrency, maxMs });
        if (result.failed > 0) {
          throw new Error(`${result.failed} requests failed with the log ${mode}`);
        }
        results[mode].push(result);
      } finally {
        await stopServe(server);
      }
    }
  }
  return results;
}

module.exports = { measureServe, load, startServe, stopServe };
