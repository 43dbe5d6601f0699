'use strict';
// Benchmark 5: the kernel part's bench/kernel-roundtrip.js (cellflow kernel vs plain tslab, both over
// real ZeroMQ), run as a command; its --json output becomes a row of the table.
const { measure, check } = require('./proc');
const { REPO } = require('./cellflow');

async function runKernelRoundTrip(ctx, script) {
  const runs = ctx.smoke ? 2 : 30;
  const result = check(
    // killGroup: a kernel the script leaves behind when it fails half-way is stopped with it.
    await measure(process.execPath, [script, '--json', '--runs', String(runs)], {
      cwd: REPO,
      killGroup: true,
      timeoutMs: 10 * 60 * 1000,
    }),
    'bench/kernel-roundtrip.js',
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  const figures = JSON.parse(line);
  const cf = figures.cellflow.stepRoundTripMs;
  const tslab = figures.tslab.roundTripMs;
  const ms = (v) => `${v.toFixed(1)} ms`;
  return {
    id: 5,
    name: 'Interactive: step cell round trip (execute_request → execute_reply), cellflow kernel vs plain tslab',
    cellflow: ms(cf),
    peer: ms(tslab),
    ratio: `${figures.addedMs >= 0 ? '+' : ''}${ms(figures.addedMs)}`,
    target: '< 10 ms added over tslab',
    met: figures.addedMs < 10 ? 'yes' : 'no',
    notes:
      `median of ${figures.runs} alternating round trips of \`self.x += 2;\` (tags step:a) vs the same code in tslab; ` +
      `kernel start → first reply: cellflow ${ms(figures.cellflow.startMs)}, tslab ${ms(figures.tslab.startMs)}; ` +
      `start → first cell: cellflow ${ms(figures.cellflow.firstCellMs)}, tslab ${ms(figures.tslab.firstCellMs)}. ` +
      "Deno's Jupyter kernel was not measured (its npm binary package was not tried here)",
  };
}

module.exports = { runKernelRoundTrip };
