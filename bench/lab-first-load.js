#!/usr/bin/env node
'use strict';
// `node bench/lab-first-load.js [--runs N] [--mbps M] [--json]`: JupyterLab's first load of a notebook
// with and without the cellflow extension (bench/lib/lab-load.js; `npm run bench` has it as row 11),
// here with more runs or a throttled network (--mbps: M Mbit/s down and up, 20 ms latency, like a
// remote JupyterLab). Needs the labextension built (`jupyter labextension build .`).
const { parseArgs } = require('util');
const { firstLoads, initialChunkBytes, median } = require('./lib/lab-load');

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      mbps: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const mbps = values.mbps ? Number(values.mbps) : undefined;
  const plain = await firstLoads({ extension: false, runs, mbps });
  const withExtension = await firstLoads({ extension: true, runs, mbps });
  const chunks = initialChunkBytes();
  const result = {
    network: mbps ? `${mbps} Mbit/s, 20 ms` : 'localhost, unthrottled',
    initialChunkBytes: chunks.total,
    initialChunks: chunks.files,
    withoutExtension: {
      firstNotebookMs: { median: median(plain.firstNotebookMs), runs: plain.firstNotebookMs },
    },
    withExtension: {
      firstNotebookMs: { median: median(withExtension.firstNotebookMs), runs: withExtension.firstNotebookMs },
      dagDrawnMs: { median: median(withExtension.dagDrawnMs), runs: withExtension.dagDrawnMs },
    },
  };
  result.addedMs = result.withExtension.dagDrawnMs.median - result.withoutExtension.firstNotebookMs.median;
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`network: ${result.network}`);
  console.log(`initial chunks: ${chunks.total} bytes (${Object.keys(chunks.files).join(', ')})`);
  console.log(
    `without the extension, first notebook: median ${result.withoutExtension.firstNotebookMs.median} ms (${plain.firstNotebookMs.join(', ')})`,
  );
  console.log(
    `with it, first notebook:               median ${result.withExtension.firstNotebookMs.median} ms (${withExtension.firstNotebookMs.join(', ')})`,
  );
  console.log(
    `with it, flow DAG drawn:               median ${result.withExtension.dagDrawnMs.median} ms (${withExtension.dagDrawnMs.join(', ')})`,
  );
  console.log(`added to the first drawn DAG: ${result.addedMs} ms`);
}

main().catch((error) => {
  console.error(`lab-first-load: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
