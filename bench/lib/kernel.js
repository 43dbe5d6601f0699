'use strict';
// Benchmark 5: the kernel part's bench/kernel-roundtrip.js (cellflow kernel vs plain tslab, and Deno's
// kernel when bench/lib/deno.js has it, all over real ZeroMQ), run as a command; its --json output
// becomes a row of the table. The target is against tslab, so tslab stays the peer; Deno is in the notes.
const { measure, check } = require('./proc');
const { REPO } = require('./cellflow');

const ms = (v) => `${v.toFixed(1)} ms`;

const denoArgs = (deno) => (deno?.binary ? ['--deno', deno.binary] : []);

/** What the notes say about Deno: its figures, or why it was not measured. */
function denoNote(deno, figures, cellflowMs) {
  if (!deno?.binary) {
    return `Deno's Jupyter kernel was not measured: ${deno?.reason ?? 'not asked for'}`;
  }
  if (figures.error) {
    return `Deno ${deno.version}'s Jupyter kernel did not start: ${figures.error}`;
  }
  const added = cellflowMs - figures.roundTripMs;
  return (
    `Deno ${deno.version} kernel (\`deno jupyter --kernel\`, the same cells as tslab, in turn with the others): ` +
    `${ms(figures.roundTripMs)} round trip (cellflow ${added >= 0 ? '+' : ''}${ms(added)} over it), ` +
    `start → first reply ${ms(figures.startMs)}, start → first cell ${ms(figures.firstCellMs)}`
  );
}

async function runKernelRoundTrip(ctx, script) {
  const runs = ctx.smoke ? 2 : 30;
  const starts = ctx.smoke ? 1 : 7;
  const result = check(
    // killGroup: a kernel the script leaves behind when it fails half-way is stopped with it.
    await measure(
      process.execPath,
      [script, '--json', '--runs', String(runs), '--starts', String(starts), ...denoArgs(ctx.deno)],
      {
        cwd: REPO,
        killGroup: true,
        timeoutMs: 10 * 60 * 1000,
      },
    ),
    'bench/kernel-roundtrip.js',
  );
  const line = result.stdout.trim().split('\n').pop() ?? '';
  const figures = JSON.parse(line);
  const cf = figures.cellflow.stepRoundTripMs;
  const tslab = figures.tslab.roundTripMs;
  const roundTrip = {
    id: 5,
    name: 'Interactive: step cell round trip (execute_request → execute_reply), cellflow kernel vs plain tslab',
    cellflow: ms(cf),
    peer: ms(tslab),
    ratio: `${figures.addedMs >= 0 ? '+' : ''}${ms(figures.addedMs)}`,
    target: '< 10 ms added over tslab',
    met: figures.addedMs < 10 ? 'yes' : 'no',
    notes:
      `median of ${figures.runs} alternating round trips of \`self.x += 2;\` (tags step:a) vs the same code in tslab ` +
      `(after \`let self: any = { x: 0 };\`); ` +
      `kernel start → first reply: cellflow ${ms(figures.cellflow.startMs)}, tslab ${ms(figures.tslab.startMs)}; ` +
      `start → first cell: cellflow ${ms(figures.cellflow.firstCellMs)}, tslab ${ms(figures.tslab.firstCellMs)}. ` +
      denoNote(ctx.deno, figures.deno ?? { error: 'no figures from bench/kernel-roundtrip.js' }, cf),
  };
  const first = { cellflow: figures.cellflow.firstCellMs, tslab: figures.tslab.firstCellMs };
  const firstCell = {
    id: 5,
    label: '5b',
    name: 'Kernel start → first cell (`1 + 1` executed), cellflow kernel vs plain tslab',
    cellflow: ms(first.cellflow),
    peer: ms(first.tslab),
    ratio: `${(first.cellflow / first.tslab).toFixed(2)}×`,
    target: 'no slower than tslab',
    met: first.cellflow <= first.tslab ? 'yes' : 'no',
    notes:
      `median of ${figures.starts} starts of each kernel, alternating (spawn → kernel_info reply → \`1 + 1\` replied): ` +
      `cellflow ${figures.cellflow.firstCellRuns.join(', ')} ms; tslab ${figures.tslab.firstCellRuns.join(', ')} ms`,
  };
  return [roundTrip, firstCell];
}

module.exports = { runKernelRoundTrip };
