'use strict';
// The benchmark notebooks. bench/flows/*.ipynb are written from here (`node bench/lib/notebooks.js`),
// so the committed notebooks and their Metaflow twins in bench/peers/ stay easy to compare.
const fs = require('fs');
const path = require('path');

const FLOWS_DIR = path.join(__dirname, '..', 'flows');

function notebook(flow, cells) {
  return (
    JSON.stringify(
      {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {
          kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
          language_info: { name: 'typescript' },
          cellflow: { flow },
        },
        cells: cells.map((cell, index) =>
          typeof cell === 'string'
            ? { cell_type: 'markdown', id: `md-${index}`, metadata: {}, source: lines(cell) }
            : {
                cell_type: 'code',
                execution_count: null,
                id: cell.id ?? `cell-${index}`,
                metadata: { tags: cell.tags },
                outputs: [],
                source: lines(cell.source),
              },
        ),
      },
      null,
      1,
    ) + '\n'
  );
}

/** nbformat stores sources as lines that keep their newline. */
function lines(text) {
  return text.split(/(?<=\n)/);
}

/** Benchmarks 1, 3 and 4: a foreach over `tasks` no-op tasks (bench/peers/foreach_noop.py). */
function foreachNoop() {
  return notebook('BenchForeach', [
    '# Task overhead\n\nA foreach over `tasks` tasks that do nothing: what remains is the cost of a task.',
    { id: 'params', tags: ['parameters'], source: 'const tasks = 200;' },
    {
      id: 'start',
      tags: ['step:start', 'foreach:items'],
      source: 'self.items = Array.from({ length: self.tasks }, (_, i) => i);',
    },
    {
      id: 'body',
      tags: ['step:body'],
      source: '// no-op: the task starts, gets its input and records itself',
    },
    { id: 'join', tags: ['step:join'], source: 'self.count = inputs.length;' },
    { id: 'end', tags: ['step:end'], source: 'console.log(`joined ${self.count} tasks`);' },
  ]);
}

/**
 * Benchmark 2: `start` stores a rows × 4 Float64 Arrow table, `read` loads it. Each side prints the
 * wall clock when the step's code is done (the artifact is stored after that) and when the next step
 * holds the table, so the difference is the hand-over: encode, write, fsync, next task, read, decode.
 */
function artifact() {
  return notebook('BenchArtifact', [
    '# Artifact throughput\n\nA `rows` × 4 table of random doubles written by one step and read by the next.',
    { id: 'params', tags: ['parameters'], source: 'const rows = 10000000;' },
    { id: 'imports', tags: [], source: "import { tableFromArrays } from 'apache-arrow';" },
    {
      id: 'start',
      tags: ['step:start'],
      source: [
        'const columns: Record<string, Float64Array> = {};',
        "for (const name of ['a', 'b', 'c', 'd']) {",
        '  const column = new Float64Array(self.rows);',
        '  for (let i = 0; i < self.rows; i++) column[i] = Math.random();',
        '  columns[name] = column;',
        '}',
        'self.table = tableFromArrays(columns);',
        'console.log(`BENCH_T0 ${Date.now()}`);',
      ].join('\n'),
    },
    {
      id: 'read',
      tags: ['step:read'],
      source: [
        'const table = self.table;',
        'console.log(`BENCH_T1 ${Date.now()} rows=${table.numRows}`);',
        'self.rowsRead = table.numRows;',
      ].join('\n'),
    },
    { id: 'end', tags: ['step:end'], source: 'console.log(`read ${self.rowsRead} rows`);' },
  ]);
}

/**
 * Benchmark 6: a notebook of `cells` cells shaped like real work: a prelude, a parameters cell, and
 * steps of a tagged cell, helper cells and a markdown note, each step reading its parent's artifacts.
 */
function large(cells = 500) {
  const out = [
    '# Generated notebook for the compile benchmark',
    {
      id: 'prelude',
      tags: [],
      source: [
        "import * as path from 'path';",
        'function mean(values: number[]): number {',
        '  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);',
        '}',
      ].join('\n'),
    },
    { id: 'params', tags: ['parameters'], source: 'const scale = 2;\nconst label = "bench";' },
  ];
  let step = 0;
  while (out.length < cells) {
    const s = step;
    out.push({
      id: `s${s}`,
      tags: [`step:s${s}`],
      source: [
        s === 0
          ? 'self.values = [1, 2, 3];'
          : `const previous${s} = self.values.map((v: number) => v * self.scale);`,
        s === 0 ? 'self.total = 0;' : `self.values = previous${s}.slice(-10);`,
      ].join('\n'),
    });
    for (let k = 0; k < 3 && out.length < cells; k++) {
      out.push({
        id: `s${s}-c${k}`,
        tags: [],
        source: [
          `function helper${s}_${k}(input: number[]): { mean: number; name: string } {`,
          `  const shifted = input.map((v, i) => v + i * ${k + 1});`,
          '  return { mean: mean(shifted), name: path.join(self.label, String(shifted.length)) };',
          '}',
          `const result${s}_${k} = helper${s}_${k}(self.values);`,
          `self.total = self.total + result${s}_${k}.mean;`,
        ].join('\n'),
      });
    }
    if (out.length < cells) {
      out.push(`Step s${s} scales the values and adds their mean to the total.`);
    }
    step++;
  }
  return notebook('BenchLarge', out);
}

function writeFlows(dir = FLOWS_DIR) {
  fs.mkdirSync(dir, { recursive: true });
  const written = {
    foreach: path.join(dir, 'foreach_noop.ipynb'),
    artifact: path.join(dir, 'artifact.ipynb'),
  };
  fs.writeFileSync(written.foreach, foreachNoop());
  fs.writeFileSync(written.artifact, artifact());
  return written;
}

module.exports = { FLOWS_DIR, foreachNoop, artifact, large, writeFlows };

if (require.main === module) {
  for (const file of Object.values(writeFlows())) {
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
