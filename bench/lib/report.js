'use strict';
// Writes bench/RESULTS.md: the table, the notes behind each figure, and the machine it ran on.

/** Table cells may not contain a pipe or a newline. */
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function renderResults({ rows, machine, smoke, peer, elapsedMs, updated, keptPeer }) {
  // An --update that ran no peer keeps the peer the kept rows were measured against.
  const peerName = peer ? `Metaflow ${machine.metaflow}` : (keptPeer ?? 'Metaflow not installed');
  // A benchmark may give more than one row (1 and 1b): `label` tells them apart, `id` selects them.
  const sorted = [...rows].sort((a, b) => a.id - b.id || String(labelOf(a)).localeCompare(labelOf(b)));
  const lines = [
    '# cellflow benchmarks',
    '',
    smoke
      ? '**Smoke run** (small sizes; checks that the benchmarks still work; the figures mean nothing).'
      : updated
        ? `Results of \`npm run bench\`, last updated ${machine.date} with \`--update\` (each note says when its row was measured). Peer: ${peerName} (local runtime, local datastore).`
        : `Full run of \`npm run bench\`, ${machine.date}. Peer: ${peerName} (local runtime, local datastore).`,
    '',
    'Ratio is cellflow ÷ peer for times (lower is better) and cellflow ÷ peer for throughput (higher is',
    'better). This machine has 2 cores shared with other work, so absolute times are noisy: each peer ran',
    'in the same run as cellflow, and the ratios are what the targets are judged on.',
    '',
    '| # | benchmark | cellflow | peer | ratio | target | met? |',
    '|---|---|---|---|---|---|---|',
    ...sorted.map(
      (r) =>
        `| ${labelOf(r)} | ${cell(r.name)} | ${cell(r.cellflow)} | ${cell(r.peer)} | ${cell(r.ratio)} | ${cell(r.target)} | ${cell(r.met)} |`,
    ),
    '',
    '## How each figure was measured',
    '',
    ...sorted.map((r) => `${labelOf(r)}. ${r.notes}`),
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu} × ${machine.cpuCount}`,
    `- memory: ${machine.memoryGiB} GiB`,
    `- OS: ${machine.os}; disk: ${machine.disk}`,
    peer
      ? `- Node ${machine.node}; Python ${machine.python}; Metaflow ${machine.metaflow}; pandas ${machine.pandas}`
      : `- Node ${machine.node}; no peer run by this invocation`,
    `- load average when the run ended: ${machine.loadAverage}`,
    `- this invocation of the runner took ${(elapsedMs / 60000).toFixed(1)} min${peer ? '' : ' (peers not run)'}`,
    '',
  ];
  return lines.join('\n');
}

const labelOf = (row) => row.label ?? String(row.id);

/** The peer a results file names in its header (`Metaflow 2.19.39`), if any was installed. */
function readPeer(file) {
  try {
    const match = /Peer: (Metaflow \d[^ ]*) \(/.exec(require('fs').readFileSync(file, 'utf8'));
    return match?.[1];
  } catch {
    return undefined;
  }
}

/** The rows of a results file written by renderResults (table cells and the numbered notes). */
function readRows(file) {
  let text;
  try {
    text = require('fs').readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const unescape = (value) => value.trim().replace(/\\\|/g, '|');
  const notes = new Map();
  for (const match of text.matchAll(/^(\d+[a-z]?)\. (.*)$/gm)) {
    notes.set(match[1], match[2]);
  }
  const rows = [];
  for (const line of text.split('\n')) {
    if (!/^\| \d+[a-z]? \|/.test(line)) {
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map(unescape);
    const [id, name, cellflow, peer, ratio, target, met] = cells;
    rows.push({
      id: parseInt(id, 10),
      ...(/[a-z]$/.test(id) ? { label: id } : {}),
      name,
      cellflow,
      peer,
      ratio,
      target,
      met,
      notes: notes.get(id) ?? '',
    });
  }
  return rows;
}

module.exports = { renderResults, readRows, readPeer };
