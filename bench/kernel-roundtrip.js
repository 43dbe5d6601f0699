#!/usr/bin/env node
'use strict';
// `node bench/kernel-roundtrip.js [--runs N] [--json] [--deno BINARY]`: the cellflow kernel against plain
// tslab (and Deno's kernel, `deno jupyter --kernel`, when given its binary), all started from a
// kernelspec and driven over real ZeroMQ by test/helpers/jupyter-client.ts.
//   start:      spawn -> first kernel_info reply seen with its IOPub status (kernel ready to talk)
//   first cell: spawn -> first `1 + 1` executed (includes tslab's compiler warm-up)
//   round trip: execute_request -> execute_reply of the same one-line cell, N times, median:
//               a step cell (`self.x += 2;`, tags step:a) in cellflow vs the same code in tslab
//               and Deno, the kernels taking turns.
// With --json prints one JSON object (for bench/run.js); otherwise a short table. Needs `npm run build`.
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');
const { parseArgs, stripVTControlCharacters } = require('util');
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

/** Every kernel client this script started: closed in `finally`, killed outright on a signal or exit. */
const started = [];

function killStarted() {
  for (const client of started) {
    if (client.child.exitCode === null) {
      client.child.kill('SIGKILL');
    }
  }
}

/** Starts a kernel and runs its warm-up cell; returns the client and the start-up timings. */
async function startKernel(JupyterClient, kernel, cwd) {
  const start = await timed(() => JupyterClient.start(kernel.spec, cwd, kernel.env));
  const client = start.value;
  started.push(client);
  const first = await timed(() => client.execute('1 + 1'));
  if (first.value.reply.content.status !== 'ok') {
    throw new Error(`1 + 1 failed in ${kernel.name}`);
  }
  const warmed = await client.execute(kernel.warm.code, kernel.warm.metadata);
  if (warmed.reply.content.status !== 'ok') {
    throw new Error(`warm-up failed in ${kernel.name}: ${JSON.stringify(warmed.iopub)}`);
  }
  return { client, startMs: start.ms, firstCellMs: start.ms + first.ms };
}

/**
 * The value of an expression in a plain kernel, to check that the cell really ran: tslab prints it on
 * stdout; Deno sends it (coloured) as an execute_result, at times after its idle status (Deno 2.9.6
 * did so for about 1 cell in 20), so that is waited for a little.
 */
async function plainValue(client, expression) {
  const { reply, iopub } = await client.execute(expression);
  const stdout = iopub.filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stdout');
  if (stdout.length > 0) {
    return stdout
      .map((m) => m.content.text)
      .join('')
      .trim();
  }
  for (let waited = 0; waited <= 1000; waited += 50) {
    const messages = client.messagesFor(reply.parent_header.msg_id);
    const result = messages.find((m) => m.header.msg_type === 'execute_result');
    if (result) {
      return stripVTControlCharacters(result.content.data?.['text/plain'] ?? '');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

async function roundTrip(client, cell, metadata) {
  const trip = await timed(() => client.execute(cell, metadata));
  if (trip.value.reply.content.status !== 'ok') {
    throw new Error(`cell failed: ${JSON.stringify(trip.value.iopub.map((m) => m.content))}`);
  }
  return trip.ms;
}

/** A kernelspec directory whose kernel.json runs `argv` ({connection_file} filled in by the client). */
function kernelspec(dir, argv) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify({ argv }));
  return dir;
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      starts: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      deno: { type: 'string' },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  if (!fs.existsSync(path.join(REPO, 'dist', 'kernel', 'main.js'))) {
    throw new Error('run `npm run build` first');
  }
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
    const env = { CELLFLOW_HOME: path.join(work, 'home'), JPY_SESSION_NAME: 'hello.ipynb' };
    // The same one-line cell everywhere: a step cell in cellflow (self is the step's artifacts), and
    // in the plain kernels a `self` object made by the warm-up cell.
    const cell = 'self.x += 2;';
    const plain = { warm: { code: 'let self: any = { x: 0 };', metadata: {} }, metadata: {}, plain: true };
    const kernels = [
      {
        name: 'cellflow',
        spec: path.join(prefix, 'share', 'jupyter', 'kernels', 'cellflow'),
        env,
        warm: {
          code: 'self.x = 0;',
          metadata: { tags: ['step:start', 'next:a', 'next:b'], cellId: 'start' },
        },
        metadata: { tags: ['step:a', 'next:join'], cellId: 'a' },
      },
      {
        name: 'tslab',
        spec: kernelspec(path.join(work, 'tslab'), [
          process.execPath,
          path.join(REPO, 'node_modules', 'tslab', 'bin', 'tslab'),
          'kernel',
          '--config-path',
          '{connection_file}',
        ]),
        env,
        ...plain,
      },
    ];
    if (values.deno) {
      kernels.push({
        name: 'deno',
        spec: kernelspec(path.join(work, 'deno'), [
          path.resolve(values.deno),
          'jupyter',
          '--kernel',
          '--conn',
          '{connection_file}',
        ]),
        // A module cache of its own (not ~/.cache/deno, removed with the rest), no update check online.
        env: {
          ...env,
          DENO_DIR: path.join(work, 'deno-dir'),
          DENO_NO_UPDATE_CHECK: '1',
        },
        ...plain,
        optional: true,
      });
    }
    // Start-up figures are medians of `starts` starts, alternating between the kernels so that load
    // on a shared machine falls on all alike: one start is too noisy to compare two kernels by.
    const starts = Math.max(1, Number(values.starts));
    const result = { runs, starts, targets: { startMs: 3000, addedMs: 10 } };
    try {
      for (const kernel of kernels) {
        kernel.starts = [];
      }
      for (let i = 0; i < starts - 1; i++) {
        for (const kernel of kernels.filter((k) => !k.error)) {
          try {
            const once = await startKernel(JupyterClient, kernel, examples);
            kernel.starts.push(once);
            await once.client.close();
          } catch (error) {
            if (!kernel.optional) {
              throw error;
            }
            kernel.error = String(error instanceof Error ? error.message : error)
              .split('\n')[0]
              .slice(0, 300);
          }
        }
      }
      // One after the other, so that no start competes with another for the CPU.
      for (const kernel of kernels) {
        if (kernel.error) {
          continue;
        }
        try {
          const last = await startKernel(JupyterClient, kernel, examples);
          kernel.starts.push(last);
          Object.assign(kernel, {
            client: last.client,
            startMs: median(kernel.starts.map((x) => x.startMs)),
            firstCellMs: median(kernel.starts.map((x) => x.firstCellMs)),
            firstCellRuns: kernel.starts.map((x) => Math.round(x.firstCellMs)),
          });
        } catch (error) {
          // Deno is an extra peer: when its kernel does not start, the report says so and goes on.
          if (!kernel.optional) {
            throw error;
          }
          // One line for the report's notes, with the kernel's own output that follows the message.
          const lines = String(error instanceof Error ? error.message : error).split('\n');
          kernel.error = lines
            .filter((line) => line.trim())
            .join(' / ')
            .slice(0, 300);
        }
      }
      const running = kernels.filter((k) => k.client);
      // Alternate the kernels so that load on a shared machine falls on all alike; the first two
      // rounds compile and cache the cell and are not counted.
      for (const kernel of running) {
        kernel.trips = [];
      }
      for (let i = 0; i < runs + 2; i++) {
        for (const kernel of running) {
          const ms = await roundTrip(kernel.client, cell, kernel.metadata);
          if (i >= 2) {
            kernel.trips.push(ms);
          }
        }
      }
      for (const kernel of running) {
        kernel.roundTripMs = median(kernel.trips);
        // The plain kernels kept `self` between cells: x counts every round trip, or the cell did not run.
        if (kernel.plain) {
          const x = await plainValue(kernel.client, 'self.x');
          if (x !== String(2 * (runs + 2))) {
            throw new Error(`${kernel.name}: self.x is ${x} after ${runs + 2} cells`);
          }
        }
      }
    } finally {
      await Promise.all(started.map((client) => client.close()));
    }
    const [cellflow, tslab, deno] = kernels;
    result.cellflow = {
      startMs: cellflow.startMs,
      firstCellMs: cellflow.firstCellMs,
      firstCellRuns: cellflow.firstCellRuns,
      stepRoundTripMs: cellflow.roundTripMs,
    };
    result.tslab = {
      startMs: tslab.startMs,
      firstCellMs: tslab.firstCellMs,
      firstCellRuns: tslab.firstCellRuns,
      roundTripMs: tslab.roundTripMs,
    };
    if (deno) {
      result.deno = deno.error
        ? { error: deno.error }
        : { startMs: deno.startMs, firstCellMs: deno.firstCellMs, roundTripMs: deno.roundTripMs };
    }
    result.addedMs = cellflow.roundTripMs - tslab.roundTripMs;
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    const f = (v) => `${v.toFixed(1)} ms`;
    const others = (key) =>
      [tslab, deno]
        .filter((k) => k?.client)
        .map((k) => `   ${k.name} ${f(k[key])}`)
        .join('');
    console.log(
      `kernel start -> first reply   cellflow ${f(cellflow.startMs)}${others('startMs')}   (target < 3000 ms)`,
    );
    console.log(`kernel start -> first cell    cellflow ${f(cellflow.firstCellMs)}${others('firstCellMs')}`);
    console.log(
      `cell round trip (median of ${runs})  cellflow step cell ${f(cellflow.roundTripMs)}${others('roundTripMs')}   added over tslab ${f(result.addedMs)} (target < 10 ms)`,
    );
    if (deno?.error) {
      console.log(`deno kernel did not start: ${deno.error}`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// However the script ends (an error, Ctrl-C, a timeout's SIGTERM), no kernel it started survives it:
// kernels treat SIGINT as an interrupt, so the one Ctrl-C sends to the terminal's group does not end them.
process.on('exit', killStarted);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killStarted();
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
