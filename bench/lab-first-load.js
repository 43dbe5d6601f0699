#!/usr/bin/env node
'use strict';
// `node bench/lab-first-load.js [--runs N] [--mbps M] [--json]`: time from opening JupyterLab's URL of a notebook
// in a fresh Chromium context (empty cache) to its first cell on screen, with the labextension as built
// in cellflow_lab/labextension (run `jupyter labextension build .` first), and the bytes of the
// extension's initial chunks (what JupyterLab fetches before it shows anything). Then, in the same
// page, the time until the flow panel's DAG is drawn (that waits for the lazily loaded TypeScript
// compiler and elkjs). --mbps throttles the page's network to M Mbit/s down and up, 20 ms latency,
// like a remote JupyterLab. Uses the e2e suite's isolated JupyterLab (test/e2e/lab-server.ts) and Chromium.
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');

const REPO = path.resolve(__dirname, '..');

// The e2e helpers are TypeScript: transpile them in memory when required (no type check).
require.extensions['.ts'] = (mod, file) => {
  const ts = require('typescript');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: file,
  });
  mod._compile(outputText, file);
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

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
  const { startLab, LABEXTENSION } = require(path.join(REPO, 'test/e2e/lab-server.ts'));
  const { launchChromium } = require(path.join(REPO, 'test/e2e/browser.ts'));
  const { initialChunks, totalBytes } = require(path.join(REPO, 'test/lab/initial-chunks.ts'));
  const chunks = initialChunks(path.join(LABEXTENSION, 'static'));
  const lab = await startLab({ files: [path.join(REPO, 'examples', 'hello.ipynb')], kernel: true });
  const browser = await launchChromium();
  const firstNotebook = [];
  const dagDrawn = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      if (mbps) {
        // A user's link to a remote JupyterLab rather than localhost (Chromium's DevTools throttling).
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 20,
          downloadThroughput: (mbps * 1e6) / 8,
          uploadThroughput: (mbps * 1e6) / 8,
        });
      }
      const started = Date.now();
      await page.goto(`${lab.url}/lab/tree/hello.ipynb?reset&token=${lab.token}`);
      await page.locator('.jp-NotebookPanel .jp-Cell').first().waitFor({ timeout: 120_000 });
      firstNotebook.push(Date.now() - started);
      // The flow panel draws the DAG once the compiler and elk have arrived.
      await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Cellflow$/ }).click();
      await page
        .locator('.lm-Menu-itemLabel', { hasText: /^Show Flow Panel$/ })
        .first()
        .click();
      await page.locator('#cellflow-panel svg.cf-dag-svg g[data-step]').first().waitFor({ timeout: 120_000 });
      dagDrawn.push(Date.now() - started);
      await context.close();
    }
  } finally {
    await browser.close();
    await lab.stop();
  }
  const result = {
    network: mbps ? `${mbps} Mbit/s, 20 ms` : 'localhost, unthrottled',
    initialChunkBytes: totalBytes(chunks.files),
    initialChunks: Object.fromEntries(chunks.files),
    firstNotebookMs: { median: median(firstNotebook), runs: firstNotebook },
    dagDrawnMs: { median: median(dagDrawn), runs: dagDrawn },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `initial chunks: ${result.initialChunkBytes} bytes (${Object.keys(result.initialChunks).join(', ')})`,
    );
    console.log(
      `first notebook shown: median ${result.firstNotebookMs.median} ms (${firstNotebook.join(', ')})`,
    );
    console.log(`flow DAG drawn:       median ${result.dagDrawnMs.median} ms (${dagDrawn.join(', ')})`);
  }
}

main().catch((error) => {
  console.error(`lab-first-load: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
