#!/usr/bin/env node
'use strict';
// `npm run bench [-- --smoke] [-- --only 1,3] [-- --no-peers] [-- --out FILE]`: runs cellflow's
// benchmarks side by side with Metaflow and writes bench/RESULTS.md. See README "Benchmarks".
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const { assertBuilt } = require('./lib/cellflow');
const { ensurePeers } = require('./lib/peers');
const { ensureDeno } = require('./lib/deno');
const { machineFacts } = require('./lib/machine');
const { renderResults, readRows, readPeer } = require('./lib/report');
const bench = require('./lib/benchmarks');
const { install } = require('./lib/install');
const { s3Datastore } = require('./lib/s3');
const { reproduce } = require('./lib/reproduce');
const { labFirstLoad } = require('./lib/lab-load');

const USAGE = `usage: npm run bench -- [--smoke] [--only 1,2,...] [--no-peers] [--peers] [--out FILE] [--keep] [--update]
  --smoke     small sizes, no peer unless --peers (Deno if already installed); checks that every benchmark still runs
  --only      run only these benchmarks (1 task overhead, 2 artifacts, 3 resume, 4 scale, 5 kernel, 6 compile, 7 install, 8 serve, 9 S3 datastore, 10 reproduce, 11 JupyterLab first load)
  --no-peers  do not install or run Metaflow or Deno
  --out       where to write the results (default bench/RESULTS.md; bench/out/RESULTS.smoke.md with --smoke)
  --keep      keep the datastores under bench/out/work-* for inspection
  --update    keep the rows of the benchmarks not run now from the existing results file`;

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      peers: { type: 'boolean' },
      'no-peers': { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      update: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const only = values.only ? new Set(values.only.split(',').map(Number)) : undefined;
  if (only && [...only].some((n) => !(n >= 1 && n <= 11))) {
    throw new Error(`--only takes numbers 1-11\n${USAGE}`);
  }
  return {
    smoke: values.smoke,
    only,
    // A full run installs Metaflow when missing; a smoke run only uses it when asked.
    peers: values['no-peers'] ? false : (values.peers ?? !values.smoke),
    // Deno (benchmark 5) likewise, except that a smoke run uses it when it is already there.
    deno: values['no-peers'] ? 'off' : (values.peers ?? !values.smoke) ? 'install' : 'if-installed',
    out: path.resolve(
      values.out ?? path.join(__dirname, values.smoke ? 'out/RESULTS.smoke.md' : 'RESULTS.md'),
    ),
    keep: values.keep,
    update: values.update,
    help: values.help,
  };
}

async function main() {
  const opts = options(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  assertBuilt();
  const started = Date.now();
  const log = (line) =>
    console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const wanted = (n) => !opts.only || opts.only.has(n);
  const peer = opts.peers ? await ensurePeers({ install: true, log }) : undefined;
  // Only benchmark 5 runs Deno, so only it installs Deno.
  const deno = !wanted(5)
    ? undefined
    : opts.deno === 'off'
      ? { reason: 'peers not run (--no-peers)' }
      : await ensureDeno({ install: opts.deno === 'install', log });
  if (deno?.reason) {
    log(`Deno's kernel is not measured: ${deno.reason}`);
  }
  const work = fs.mkdtempSync(path.join(__dirname, 'out', 'work-'));
  const ctx = { smoke: opts.smoke, peer, deno, work, log };
  const rows = [];
  let failures = 0;
  // A benchmark that fails (a peer that errors out) still leaves the others' figures in the report.
  const attempt = async (ids, names, measure) => {
    if (!ids.some(wanted)) {
      return;
    }
    try {
      const result = await measure();
      rows.push(...[result].flat().filter((r) => wanted(r.id)));
    } catch (error) {
      failures++;
      log(`FAILED: ${error.message}`);
      for (const [i, id] of ids.entries()) {
        if (wanted(id)) {
          rows.push({
            id,
            name: names[i],
            cellflow: 'error',
            peer: 'error',
            ratio: '—',
            target: '—',
            met: 'error',
            notes: `failed: ${error.message.split('\n')[0]}`,
          });
        }
      }
    }
  };
  try {
    await attempt([1, 3], ['Task overhead', 'Resume'], () => bench.taskOverheadAndResume(ctx));
    await attempt([2], ['Artifact throughput'], () => bench.artifactThroughput(ctx));
    await attempt([6], ['Compile'], () => bench.compile(ctx));
    await attempt([5], ['Interactive'], () => bench.interactive(ctx));
    await attempt([4], ['Scale'], () => bench.scale(ctx));
    await attempt([7], ['Install'], () => install(ctx));
    await attempt([8], ['Serve'], () => bench.serve(ctx));
    await attempt([9], ['S3 datastore'], () => s3Datastore(ctx, bench.sizes(ctx.smoke)));
    await attempt([10], ['Reproduce'], () => reproduce(ctx));
    await attempt([11], ['Lab first load'], () => labFirstLoad(ctx));
  } finally {
    if (!opts.keep) {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
  for (const row of rows) {
    row.notes = `${row.notes} (measured ${stamp} UTC)`;
  }
  // --update keeps the rows of benchmarks this invocation did not run (re-running only some of them).
  const kept = opts.update ? readRows(opts.out).filter((old) => !rows.some((r) => r.id === old.id)) : [];
  const report = renderResults({
    rows: [...rows, ...kept],
    updated: kept.length > 0,
    keptPeer: kept.length > 0 ? readPeer(opts.out) : undefined,
    machine: machineFacts(peer),
    smoke: opts.smoke,
    peer,
    elapsedMs: Date.now() - started,
  });
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, report);
  console.log(report);
  log(`wrote ${path.relative(process.cwd(), opts.out)}`);
  if (failures > 0) {
    process.exitCode = 1;
  }
}

fs.mkdirSync(path.join(__dirname, 'out'), { recursive: true });
main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exitCode = 1;
});
