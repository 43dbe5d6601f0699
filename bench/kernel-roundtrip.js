#!/usr/bin/env node
'use strict';
// `node bench/kernel-roundtrip.js [--runs N] [--json]`: the cellflow kernel against plain tslab, both
// started from a kernelspec and driven over real ZeroMQ by test/helpers/jupyter-client.ts.
//   start:      spawn -> first kernel_info reply seen with its IOPub status (kernel ready to talk)
//   first cell: spawn -> first `1 + 1` executed (includes tslab's compiler warm-up)
//   round trip: execute_request -> execute_reply of the same one-line cell, N times, median:
//               a step cell (`self.x += 2;`, tags step:a) in cellflow vs the same code in tslab.
// With --json prints one JSON object (for bench/run.js); otherwise a short table. Needs `npm run build`.
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');
const { parseArgs } = require('util');
const { execFileSync } = require('child_process');

const REPO = path.resolve(__dirname, '..');

/** Loads a TypeScript helper of the test suite (transpiled in memory, no type check). */
function requireTs(file) {
  const ts = require('typescript');
  const source = fs.readFileSync(file, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: file,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod._compile(outputText, file);
  return mod.exports;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** Starts a kernel and runs its warm-up cell; returns the client and the start-up timings. */
async function startKernel(JupyterClient, specDir, cwd, env, warm) {
  const start = await timed(() => JupyterClient.start(specDir, cwd, env));
  const client = start.value;
  const first = await timed(() => client.execute('1 + 1'));
  if (first.value.reply.content.status !== 'ok') throw new Error(`1 + 1 failed in ${specDir}`);
  const warmed = await client.execute(warm.code, warm.metadata);
  if (warmed.reply.content.status !== 'ok')
    throw new Error(`warm-up failed: ${JSON.stringify(warmed.iopub)}`);
  return { client, startMs: start.ms, firstCellMs: start.ms + first.ms };
}

async function roundTrip(client, cell, metadata) {
  const trip = await timed(() => client.execute(cell, metadata));
  if (trip.value.reply.content.status !== 'ok')
    throw new Error(`cell failed: ${JSON.stringify(trip.value.iopub.map((m) => m.content))}`);
  return trip.ms;
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
  });
  const runs = Math.max(1, Number(values.runs));
  if (!fs.existsSync(path.join(REPO, 'dist', 'kernel', 'main.js')))
    throw new Error('run `npm run build` first');
  const { JupyterClient } = requireTs(path.join(REPO, 'test', 'helpers', 'jupyter-client.ts'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-bench-kernel-'));
  try {
    const examples = path.join(work, 'examples');
    fs.cpSync(path.join(REPO, 'examples'), examples, { recursive: true });
    const prefix = path.join(work, 'prefix');
    execFileSync(process.execPath, [
      path.join(REPO, 'bin', 'cellflow.js'),
      'kernel',
      'install',
      '--prefix',
      prefix,
    ]);
    const cellflowSpec = path.join(prefix, 'share', 'jupyter', 'kernels', 'cellflow');
    const tslabSpec = path.join(work, 'tslab');
    fs.mkdirSync(tslabSpec);
    fs.writeFileSync(
      path.join(tslabSpec, 'kernel.json'),
      JSON.stringify({
        argv: [
          process.execPath,
          path.join(REPO, 'node_modules', 'tslab', 'bin', 'tslab'),
          'kernel',
          '--config-path',
          '{connection_file}',
        ],
      }),
    );
    const env = { CELLFLOW_HOME: path.join(work, 'home'), JPY_SESSION_NAME: 'hello.ipynb' };
    const cell = 'self.x += 2;';
    const stepTags = { tags: ['step:a', 'next:join'], cellId: 'a' };
    const cf = await startKernel(JupyterClient, cellflowSpec, examples, env, {
      code: 'self.x = 0;',
      metadata: { tags: ['step:start', 'next:a,b'], cellId: 'start' },
    });
    let tl;
    try {
      tl = await startKernel(JupyterClient, tslabSpec, examples, env, {
        code: 'let self: any = { x: 0 };',
        metadata: {},
      });
      // Alternate the two kernels so that load on a shared machine falls on both alike; the first two
      // rounds compile and cache the cell and are not counted.
      const trips = { cellflow: [], tslab: [] };
      for (let i = 0; i < runs + 2; i++) {
        const a = await roundTrip(cf.client, cell, stepTags);
        const b = await roundTrip(tl.client, cell, {});
        if (i >= 2) {
          trips.cellflow.push(a);
          trips.tslab.push(b);
        }
      }
      cf.roundTripMs = median(trips.cellflow);
      tl.roundTripMs = median(trips.tslab);
    } finally {
      await cf.client.close();
      await tl?.client.close();
    }
    const cellflow = cf;
    const tslab = tl;
    const result = {
      runs,
      cellflow: {
        startMs: cellflow.startMs,
        firstCellMs: cellflow.firstCellMs,
        stepRoundTripMs: cellflow.roundTripMs,
      },
      tslab: { startMs: tslab.startMs, firstCellMs: tslab.firstCellMs, roundTripMs: tslab.roundTripMs },
      addedMs: cellflow.roundTripMs - tslab.roundTripMs,
      targets: { startMs: 3000, addedMs: 10 },
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    const f = (v) => `${v.toFixed(1)} ms`;
    console.log(
      `kernel start -> first reply   cellflow ${f(cellflow.startMs)}   tslab ${f(tslab.startMs)}   (target < 3000 ms)`,
    );
    console.log(
      `kernel start -> first cell    cellflow ${f(cellflow.firstCellMs)}   tslab ${f(tslab.firstCellMs)}`,
    );
    console.log(
      `cell round trip (median of ${runs})  cellflow step cell ${f(cellflow.roundTripMs)}   tslab ${f(tslab.roundTripMs)}   added ${f(result.addedMs)} (target < 10 ms)`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
