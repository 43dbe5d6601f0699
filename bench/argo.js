#!/usr/bin/env node
// Argo manifest figures (issue #17): time and size of `argoManifests` for a 1,000-step linear flow and
// for a foreach of 1,000 elements (whose manifest is the same size as for 6: the elements are a
// withParam fan-out over the indexes the split's pod writes, not tasks in the manifest).
// Usage: npm run build && node bench/argo.js
'use strict';
const path = require('path');
const REPO = path.resolve(__dirname, '..');
const { compileNotebook } = require(path.join(REPO, 'dist/src/core'));
const { argoManifests } = require(path.join(REPO, 'dist/src/runtime/engines/argo-manifest.js'));

const cell = (tags, source) => ({
  cell_type: 'code',
  id: `c${Math.random().toString(36).slice(2)}`,
  metadata: { tags },
  source,
  outputs: [],
  execution_count: null,
});
const nb = (cells) =>
  JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { cellflow: { flow: 'Bench' } }, cells });

function measure(label, text) {
  const t0 = process.hrtime.bigint();
  const compiled = compileNotebook(text, 'bench.ipynb');
  const t1 = process.hrtime.bigint();
  const manifests = argoManifests(compiled.manifest, { datastore: 's3://b/p', image: 'cellflow-task:bench' });
  const t2 = process.hrtime.bigint();
  const bytes = Buffer.byteLength(JSON.stringify(manifests[0], null, 2));
  const compact = Buffer.byteLength(JSON.stringify(manifests[0]));
  const ms = (a, b) => (Number(b - a) / 1e6).toFixed(1);
  console.log(
    `${label}: compile ${ms(t0, t1)} ms, manifest ${ms(t1, t2)} ms, ${(bytes / 1024).toFixed(1)} KB JSON as written (${(compact / 1024).toFixed(1)} KB compact)`,
  );
}

const linear = [cell(['step:start'], 'self.x = 0;')];
for (let i = 1; i < 999; i++) {
  linear.push(cell([`step:s${i}`], 'self.x += 1;'));
}
linear.push(cell(['step:end'], ''));
measure('1,000-step linear flow', nb(linear));
for (const n of [6, 1000]) {
  measure(
    `foreach of ${n} elements`,
    nb([
      cell(['step:start', 'foreach:items'], `self.items = Array.from({ length: ${n} }, (_, i) => i);`),
      cell(['step:body'], 'self.y = self.input;'),
      cell(['step:join'], 'self.ys = inputs.map((i) => i.y);'),
      cell(['step:end'], ''),
    ]),
  );
}
