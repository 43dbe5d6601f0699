'use strict';
// Benchmark 11 and bench/lab-first-load.js: JupyterLab's first load with and without the cellflow
// extension, side by side in one run. Each load is a fresh Chromium context (empty cache) opening a
// notebook's URL on the e2e suite's isolated JupyterLab (test/e2e/lab-server.ts). Without the
// extension: time to the notebook's first cell. With it: to the first cell, then to the flow panel's
// DAG drawn (which waits for the lazily loaded TypeScript compiler and elkjs). Also the bytes of the
// extension's initial chunks: what JupyterLab fetches of it before it shows anything.
const fs = require('fs');
const path = require('path');
const { REPO } = require('./cellflow');

const HELLO = path.join(REPO, 'examples', 'hello.ipynb');
const ONE_MIB = 1 << 20;
const ADDED_TARGET_MS = 1500;

let tsHooked = false;
/** The e2e helpers are TypeScript: transpile them in memory when required (no type check). */
function requireTs(file) {
  if (!tsHooked) {
    tsHooked = true;
    require.extensions['.ts'] = (mod, filename) => {
      const ts = require('typescript');
      const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
        },
        fileName: filename,
      });
      mod._compile(outputText, filename);
    };
  }
  return require(path.join(REPO, file));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The built extension's initial chunks: total bytes and each file's. */
function initialChunkBytes() {
  const { LABEXTENSION } = requireTs('test/e2e/lab-server.ts');
  const { initialChunks, totalBytes } = requireTs('test/lab/initial-chunks.ts');
  const chunks = initialChunks(path.join(LABEXTENSION, 'static'));
  return { total: totalBytes(chunks.files), files: Object.fromEntries(chunks.files) };
}

/**
 * `runs` first loads of hello.ipynb on one JupyterLab, with or without the extension; `mbps`
 * throttles the page's network (down and up, 20 ms latency) like a remote JupyterLab.
 * @returns {Promise<{ firstNotebookMs: number[], dagDrawnMs: number[] }>}
 */
async function firstLoads({ extension, runs, mbps }) {
  const { startLab, ensureLabextensionBuilt } = requireTs('test/e2e/lab-server.ts');
  ensureLabextensionBuilt();
  const { launchChromium } = requireTs('test/e2e/browser.ts');
  const lab = await startLab({ files: [HELLO], kernel: true, extension });
  const browser = await launchChromium();
  const firstNotebookMs = [];
  const dagDrawnMs = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      if (mbps) {
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
      firstNotebookMs.push(Date.now() - started);
      if (extension) {
        await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Cellflow$/ }).click();
        await page
          .locator('.lm-Menu-itemLabel', { hasText: /^Show Flow Panel$/ })
          .first()
          .click();
        await page
          .locator('#cellflow-panel svg.cf-dag-svg g[data-step]')
          .first()
          .waitFor({ timeout: 120_000 });
        dagDrawnMs.push(Date.now() - started);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await lab.stop();
  }
  return { firstNotebookMs, dagDrawnMs };
}

/** Benchmark 11: what the extension adds to JupyterLab's first load, to the first drawn DAG. */
async function labFirstLoad(ctx) {
  const runs = ctx.smoke ? 1 : 3;
  ctx.log(`JupyterLab first load: ${runs} without the extension, ${runs} with it`);
  const plain = await firstLoads({ extension: false, runs });
  const withExtension = await firstLoads({ extension: true, runs });
  const chunks = initialChunkBytes();
  const plainMs = median(plain.firstNotebookMs);
  const dagMs = median(withExtension.dagDrawnMs);
  const addedMs = dagMs - plainMs;
  const s = (value) => `${(value / 1000).toFixed(2)} s`;
  return {
    id: 11,
    name: 'Lab first load',
    cellflow: `DAG drawn ${s(dagMs)}`,
    peer: `notebook shown ${s(plainMs)} (JupyterLab alone)`,
    ratio: `+${s(addedMs)}`,
    target: `≤ +${s(ADDED_TARGET_MS)}; initial JS < 1 MiB`,
    met: addedMs <= ADDED_TARGET_MS && chunks.total < ONE_MIB ? 'yes' : 'no',
    notes:
      `medians of ${runs} fresh Chromium contexts (empty cache) on localhost: JupyterLab without the extension ` +
      `to hello.ipynb's first cell (${plain.firstNotebookMs.join(', ')} ms); with it, first cell ` +
      `${withExtension.firstNotebookMs.join(', ')} ms and the flow panel's DAG drawn ` +
      `${withExtension.dagDrawnMs.join(', ')} ms (opening the panel from the menu included). ` +
      `The extension's initial chunks: ${chunks.total} bytes (${Object.keys(chunks.files).join(', ')}); ` +
      'the TypeScript compiler and elkjs load after.',
  };
}

module.exports = { labFirstLoad, firstLoads, initialChunkBytes, median };
