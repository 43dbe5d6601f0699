'use strict';
// Benchmark 9: the S3 datastore beside the local folder, in one run, against a versitygw server on
// 127.0.0.1 (the tests' server; see test/helpers/s3-server.ts): hello and churn, a table artifact
// handed between steps against a raw PUT + GET of the same bytes to the same server, and the
// per-task overhead of a foreach.
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { measure, check } = require('./proc');
const { REPO } = require('./cellflow');

const CLI = path.join(REPO, 'bin', 'cellflow.js');
const ACCESS = 'cellflowbench';
const SECRET = 'cellflow-bench-secret';

function versitygw() {
  if (process.env.CELLFLOW_VERSITYGW) {
    return process.env.CELLFLOW_VERSITYGW;
  }
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'cellflow-test', 'bin', 'versitygw');
}

async function startServer(work) {
  const dir = path.join(work, 's3');
  fs.mkdirSync(path.join(dir, 'bench'), { recursive: true });
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
  const child = spawn(
    versitygw(),
    ['--port', `127.0.0.1:${port}`, '--access', ACCESS, '--secret', SECRET, 'posix', dir],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 200; i++) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const env = {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: ACCESS,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return { env, stop: () => child.kill('SIGKILL') };
}

async function run(args, env) {
  const result = await measure(process.execPath, [CLI, ...args], { cwd: REPO, env });
  return check(result, `cellflow ${args.join(' ')}`);
}

/** Raw PUT + GET of `bytes` random bytes with the same SDK and server: the floor for an artifact. */
async function rawPutGet(env, bytes) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const sdk = require('@aws-sdk/client-s3');
    const { Upload } = (() => {
      try {
        return require('@aws-sdk/lib-storage');
      } catch {
        return {};
      }
    })();
    const client = new sdk.S3Client({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const body = crypto.randomBytes(bytes);
    const start = process.hrtime.bigint();
    if (Upload) {
      await new Upload({ client, params: { Bucket: 'bench', Key: 'raw', Body: body } }).done();
    } else {
      await client.send(new sdk.PutObjectCommand({ Bucket: 'bench', Key: 'raw', Body: body }));
    }
    const putMs = Number(process.hrtime.bigint() - start) / 1e6;
    const getStart = process.hrtime.bigint();
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: 'bench', Key: 'raw' }));
    await got.Body.transformToByteArray();
    const getMs = Number(process.hrtime.bigint() - getStart) / 1e6;
    client.destroy();
    return { putMs, getMs };
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) {
        delete process.env[key];
      }
    }
  }
}

function handOverMs(output) {
  const t0 = /BENCH_T0 (\d+)/.exec(output);
  const t1 = /BENCH_T1 (\d+)/.exec(output);
  if (!t0 || !t1) {
    throw new Error('the artifact flow did not print BENCH_T0/BENCH_T1');
  }
  return Number(t1[1]) - Number(t0[1]);
}

/**
 * `cellflow runs hello` (the full table) over `listingRuns` runs on S3 and on the local folder: the
 * hello run's record planted as that many finished runs (run.json, then its run index entry, as a
 * run's end writes them), one listing with no index snapshot yet (it reads every record once and
 * writes the snapshot), then, a minute later (past the index's margin, as runs spread over days
 * are), a few more runs and the listing timed: the run index's steady state. `runs -n 20` beside it.
 */
async function runsListing(ctx, sizes, envs) {
  const count = sizes.listingRuns;
  const sec = (value) => `${(value / 1000).toFixed(2)} s`;
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const plant = async (env, n) => {
    const location = env.CELLFLOW_DATASTORE || env.CELLFLOW_HOME;
    const args = [path.join(__dirname, 'plant-runs.js'), location, 'hello', String(n)];
    check(await measure(process.execPath, args, { env }), 'plant-runs');
  };
  const timed = {};
  for (const [name, env] of Object.entries(envs)) {
    ctx.log(`s3: planting ${count} hello runs (${name})`);
    await plant(env, count - 1);
    timed[name] = { cold: (await run(['runs', 'hello'], env)).wallMs };
  }
  if (!ctx.smoke) {
    await new Promise((resolve) => setTimeout(resolve, 61_000));
  }
  for (const [name, env] of Object.entries(envs)) {
    await run(['runs', 'hello'], env); // moves the snapshot's cursor past the planted burst
    await plant(env, 5);
    const full = [];
    const newest = [];
    for (let i = 0; i < 3; i++) {
      full.push((await run(['runs', 'hello'], env)).wallMs);
      newest.push((await run(['runs', 'hello', '-n', '20'], env)).wallMs);
    }
    Object.assign(timed[name], { full: median(full), newest: median(newest), all: full });
  }
  const load = os.loadavg()[0].toFixed(1);
  return [
    {
      id: 9,
      name: `S3 datastore: cellflow runs hello (the full table) over ${count + 5} runs, S3 vs local folder`,
      cellflow: sec(timed.s3.full),
      peer: sec(timed.local.full),
      ratio: `${(timed.s3.full / timed.local.full).toFixed(2)}×`,
      target: '< 2 s on S3',
      met: timed.s3.full < 2000 ? 'yes' : 'no',
      notes: `median of 3 (S3 ${timed.s3.all.map(sec).join(', ')}); from the run index: one snapshot GET, a listing of the entries since its cursor, 5 entry GETs; runs -n 20: S3 ${sec(timed.s3.newest)}, local ${sec(timed.local.newest)}; the first listing without an index snapshot (every record read once): S3 ${sec(timed.s3.cold)}, local ${sec(timed.local.cold)}; load average ${load}`,
    },
  ];
}

async function s3Datastore(ctx, sizes) {
  const { tasks, rows } = sizes;
  const server = await startServer(ctx.work);
  const s3 = (prefix) => ({ ...server.env, CELLFLOW_DATASTORE: `s3://bench/${prefix}` });
  const local = (name) => ({ CELLFLOW_HOME: path.join(ctx.work, `local-${name}`) });
  const sec = (value) => `${(value / 1000).toFixed(2)} s`;
  const out = [];
  try {
    for (const flow of ['hello', 'churn']) {
      const nb = path.join(REPO, 'examples', `${flow}.ipynb`);
      ctx.log(`s3: ${flow} on the local folder, then on S3`);
      const l = await run(['run', nb, '--max-workers', '2'], local(flow));
      const r = await run(['run', nb, '--max-workers', '2'], s3(flow));
      out.push({
        id: 9,
        name: `S3 datastore: ${flow} run, local folder vs S3 (versitygw on 127.0.0.1)`,
        cellflow: sec(r.wallMs),
        peer: sec(l.wallMs),
        ratio: `${(r.wallMs / l.wallMs).toFixed(2)}×`,
        target: '—',
        met: '—',
        notes: `cellflow column: S3; peer column: the local folder (same machine, same run)`,
      });
    }
    out.push(...(await runsListing(ctx, sizes, { local: local('hello'), s3: s3('hello') })));
    const bytes = rows * 4 * 8;
    ctx.log(`s3: a ${(bytes / 1e6).toFixed(0)} MB table handed between steps on S3, then raw PUT + GET`);
    const art = await run(
      [
        'run',
        path.join(REPO, 'bench', 'flows', 'artifact.ipynb'),
        '--param',
        `rows=${rows}`,
        '--max-workers',
        '2',
      ],
      s3('artifact'),
    );
    const cfMs = handOverMs(art.stdout);
    const raw = await rawPutGet(server.env, bytes);
    const rawMs = raw.putMs + raw.getMs;
    out.push({
      id: 9,
      name: `S3 datastore: ${(bytes / 1e6).toFixed(0)} MB table artifact written by a step and read by the next, vs raw PUT + GET`,
      cellflow: `${(bytes / 1e6 / (cfMs / 1000)).toFixed(0)} MB/s`,
      peer: `${(bytes / 1e6 / (rawMs / 1000)).toFixed(0)} MB/s`,
      ratio: `${((100 * rawMs) / cfMs).toFixed(0)}%`,
      target: '≥ 50% of raw PUT + GET',
      met: rawMs / cfMs >= 0.5 ? 'yes' : 'no',
      notes: `hand-over ${sec(cfMs)} (encode, sha256, multipart upload, record, next task: download, verify, decode); raw PUT ${sec(raw.putMs)} + GET ${sec(raw.getMs)} of the same bytes with the same SDK`,
    });
    ctx.log(`s3: foreach over ${tasks} no-op tasks on S3`);
    const fe = await run(
      [
        'run',
        path.join(REPO, 'bench', 'flows', 'foreach_noop.ipynb'),
        '--param',
        `tasks=${tasks}`,
        '--max-workers',
        '2',
      ],
      s3('foreach'),
    );
    const lf = await run(
      [
        'run',
        path.join(REPO, 'bench', 'flows', 'foreach_noop.ipynb'),
        '--param',
        `tasks=${tasks}`,
        '--max-workers',
        '2',
      ],
      local('foreach'),
    );
    out.push({
      id: 9,
      name: `S3 datastore: foreach over ${tasks} no-op tasks, wall per task (max workers 2)`,
      cellflow: `${(fe.wallMs / tasks).toFixed(0)} ms`,
      peer: `${(lf.wallMs / tasks).toFixed(0)} ms`,
      ratio: `${(fe.wallMs / lf.wallMs).toFixed(2)}×`,
      target: '—',
      met: '—',
      notes: `cellflow column: S3, peer column: the local folder; each task process loads the AWS SDK (~0.3 s of CPU) in its storage worker`,
    });
  } finally {
    server.stop();
  }
  return out;
}

module.exports = { s3Datastore };
