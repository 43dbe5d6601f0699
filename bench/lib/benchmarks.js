'use strict';
// The six benchmarks of issue #7. Each measures cellflow and its peer in the same run (absolute times
// on a shared machine are noisy; ratios much less so) and returns one row of the results table.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { cellflow, REPO } = require('./cellflow');
const { metaflow } = require('./peers');
const { large } = require('./notebooks');
const { rawWriteRead } = require('./raw-disk');
const { processFloorMs, threadFloorMs } = require('./process-floor');
const { measureServe } = require('./serve-load');

const FOREACH_NB = path.join(REPO, 'bench', 'flows', 'foreach_noop.ipynb');
const ARTIFACT_NB = path.join(REPO, 'bench', 'flows', 'artifact.ipynb');
const CHURN_NB = path.join(REPO, 'examples', 'churn.ipynb');
const KERNEL_ROUNDTRIP = path.join(REPO, 'bench', 'kernel-roundtrip.js');

/** Sizes: the issue's for a full run; small ones for `--smoke`, which only checks that all still works. */
function sizes(smoke) {
  return smoke
    ? { tasks: 6, rows: 100000, scaleTasks: 20, cells: 60, repeats: 1, peerRepeats: 1, listingRuns: 20 }
    : {
        tasks: 200,
        rows: 10000000,
        scaleTasks: 10000,
        cells: 500,
        repeats: 3,
        peerRepeats: 1,
        listingRuns: 5000,
      };
}

const MAX_WORKERS = '2';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function readRunId(file) {
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The notebook copied into a project folder of its own outside this repository, as a user's project
 * is: run from bench/flows, every run's provenance would snapshot this repository and check its
 * 1,075 locked packages (~0.8 s of CPU beside the run), which is not what a task or a resume costs.
 */
function userProject(notebook) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-bench-project-'));
  const copy = path.join(dir, path.basename(notebook));
  fs.copyFileSync(notebook, copy);
  return { notebook: copy, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const ms = (value) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const seconds = (valueMs) => `${(valueMs / 1000).toFixed(2)} s`;

/**
 * 1 (task overhead) and 3 (resume) share their runs: the 200-task foreach runs are the runs resumed.
 * @param {{ smoke: boolean, peer?: { python: string }, work: string, log: (line: string) => void }} ctx
 */
async function taskOverheadAndResume(ctx) {
  const { tasks, repeats, peerRepeats } = sizes(ctx.smoke);
  const home = path.join(ctx.work, 'cellflow-home');
  const runIdFile = path.join(ctx.work, 'cellflow-run-id');
  const cfWalls = [];
  const processWalls = [];
  const floors = [];
  const threadFloors = [];
  const cfResumes = [];
  const project = userProject(FOREACH_NB);
  const foreachRun = (...extra) =>
    cellflow(
      ['run', project.notebook, '--param', `tasks=${tasks}`, '--max-workers', MAX_WORKERS, '-q', ...extra],
      home,
    );
  try {
    for (let i = 0; i < repeats; i++) {
      ctx.log(`task overhead: cellflow foreach over ${tasks} tasks (${i + 1}/${repeats})`);
      const run = await foreachRun('--run-id-file', runIdFile);
      cfWalls.push(run.wallMs);
      ctx.log(`task overhead: cellflow --isolation process, ${tasks} tasks (${i + 1}/${repeats})`);
      const processRun = await foreachRun('--isolation', 'process');
      processWalls.push(processRun.wallMs);
      ctx.log(`task overhead: floor, ${tasks} bare Node processes (${i + 1}/${repeats})`);
      floors.push(await processFloorMs(tasks, Number(MAX_WORKERS)));
      threadFloors.push(await threadFloorMs(tasks, Number(MAX_WORKERS)));
      ctx.log(`resume: cellflow resume --from end (${i + 1}/${repeats})`);
      const resumed = await cellflow(
        ['resume', readRunId(runIdFile), '--from', 'end', '--max-workers', MAX_WORKERS, '-q'],
        home,
      );
      cfResumes.push(resumed.wallMs);
    }
  } finally {
    project.remove();
  }
  const mfWalls = [];
  const mfResumes = [];
  if (ctx.peer) {
    const mfHome = path.join(ctx.work, 'metaflow-home');
    const mfRunIdFile = path.join(mfHome, 'run-id');
    for (let i = 0; i < peerRepeats; i++) {
      ctx.log(`task overhead: Metaflow foreach over ${tasks} tasks (${i + 1}/${peerRepeats})`);
      const run = await metaflow(
        ctx.peer.python,
        'foreach_noop.py',
        [
          'run',
          '--tasks',
          String(tasks),
          '--max-workers',
          MAX_WORKERS,
          '--max-num-splits',
          '20000',
          '--run-id-file',
          mfRunIdFile,
        ],
        mfHome,
      );
      mfWalls.push(run.wallMs);
      // A resume costs seconds, not minutes: each run is resumed as often as cellflow's are.
      for (let j = 0; j < repeats; j++) {
        ctx.log(`resume: Metaflow resume end (${j + 1}/${repeats})`);
        const resumed = await metaflow(
          ctx.peer.python,
          'foreach_noop.py',
          [
            'resume',
            'end',
            '--origin-run-id',
            readRunId(mfRunIdFile),
            '--max-workers',
            MAX_WORKERS,
            '--max-num-splits',
            '20000',
          ],
          mfHome,
        );
        mfResumes.push(resumed.wallMs);
      }
    }
  }
  const cfPerTask = median(cfWalls) / tasks;
  const processPerTask = median(processWalls) / tasks;
  const floor = median(floors);
  const times = (value) => `${(value / floor).toFixed(1)}×`;
  const mfPerTask = mfWalls.length ? median(mfWalls) / tasks : undefined;
  const cfResume = median(cfResumes);
  const mfResume = mfResumes.length ? median(mfResumes) : undefined;
  return [
    row({
      id: 1,
      name: `Task overhead: foreach over ${tasks} no-op tasks, wall per task (max workers ${MAX_WORKERS})`,
      cellflow: cfPerTask,
      peer: mfPerTask,
      format: ms,
      target: '≤ 1/15 of Metaflow',
      met: mfPerTask === undefined ? undefined : cfPerTask <= mfPerTask / 15,
      notes:
        `whole run incl. start/join/end and the task hosts' start, ÷ ${tasks}, each task in a fresh worker thread (the default isolation); cellflow median of ${cfWalls.length} runs (${cfWalls.map(seconds).join(', ')}), Metaflow ${mfWalls.map(seconds).join(', ') || 'not run'}. ` +
        `Floor of a process per task on this machine (bare \`node\` forked, one IPC message each way, exit, ${MAX_WORKERS} at a time, median of ${floors.length}): ${ms(floor)}; ` +
        `cellflow is ${times(cfPerTask)} the floor` +
        (mfPerTask === undefined
          ? ''
          : `, Metaflow ${times(mfPerTask)}; the target, ${ms(mfPerTask / 15)}, is ${times(mfPerTask / 15)} the floor`) +
        `. Floor of a fresh worker thread per task (a bare Worker posting one message, exit, ${MAX_WORKERS} at a time, median of ${threadFloors.length}): ${ms(median(threadFloors))}. ` +
        `The flow runs from a project folder of its own outside this repository, as a user's does`,
    }),
    row({
      id: 1,
      label: '1b',
      name: `Task overhead with isolation:process (a fresh OS process per task), vs a bare forked Node per task`,
      cellflow: processPerTask,
      peer: floor,
      format: ms,
      target: '≤ 1.5× the fork floor',
      met: processPerTask <= 1.5 * floor,
      notes:
        `the same foreach run with \`--isolation process\`, ÷ ${tasks}; median of ${processWalls.length} runs (${processWalls.map(seconds).join(', ')}), run in turn with the default runs and the floor; the "peer" column is the floor (bare \`node\` forked, one IPC message each way, exit, ${MAX_WORKERS} at a time, median of ${floors.length}: ${floors.map(ms).join(', ')})` +
        (mfPerTask === undefined
          ? ''
          : `; Metaflow ${ms(mfPerTask)} per task, ratio ${(processPerTask / mfPerTask).toFixed(2)}×`),
    }),
    row({
      id: 3,
      name: `Resume a ${tasks}-task run at its last step`,
      cellflow: cfResume,
      peer: mfResume,
      format: ms,
      target: '< 2 s and ≤ 1/10 of Metaflow',
      met: cfResume < 2000 && (mfResume === undefined ? undefined : cfResume <= mfResume / 10),
      notes: `whole command (\`cellflow resume RUN --from end\` / \`resume end --origin-run-id\`), from a project folder outside this repository (in it, the resumed run's provenance checks the repository's 1,075 locked packages, ~0.8 s of CPU beside it); cellflow median of ${cfResumes.length}: ${cfResumes.map(seconds).join(', ')}; Metaflow median of ${mfResumes.length}: ${mfResumes.map(seconds).join(', ') || 'not run'}`,
    }),
  ];
}

/** 2: a rows × 4 Float64 table handed from one step to the next, against raw sequential disk I/O. */
async function artifactThroughput(ctx) {
  const { rows } = sizes(ctx.smoke);
  const bytes = rows * 4 * 8;
  const mb = bytes / 1e6;
  const { repeats } = sizes(ctx.smoke);
  // The disk's speed drifts from minute to minute on a shared machine: cellflow and the raw figure
  // are measured in turn, and each is the median of its repeats.
  const cfRuns = [];
  const raws = [];
  for (let i = 0; i < repeats; i++) {
    ctx.log(`artifact: cellflow ${rows} rows × 4 columns (${mb.toFixed(0)} MB) (${i + 1}/${repeats})`);
    const cf = await cellflow(
      ['run', ARTIFACT_NB, '--param', `rows=${rows}`, '--max-workers', MAX_WORKERS],
      path.join(ctx.work, 'cellflow-home'),
    );
    cfRuns.push(handOverMs(cf.stdout, 'cellflow'));
    ctx.log(`artifact: raw sequential write (fsync) + read of ${mb.toFixed(0)} MB (${i + 1}/${repeats})`);
    raws.push(await rawWriteRead(path.join(ctx.work, 'raw.bin'), bytes));
  }
  const cfMs = median(cfRuns);
  const raw = {
    writeMs: median(raws.map((r) => r.writeMs)),
    readMs: median(raws.map((r) => r.readMs)),
    totalMs: median(raws.map((r) => r.writeMs + r.readMs)),
  };
  let mfMs;
  if (ctx.peer) {
    ctx.log(`artifact: Metaflow ${rows} rows × 4 columns (pandas DataFrame)`);
    const mf = await metaflow(
      ctx.peer.python,
      'artifact.py',
      ['run', '--rows', String(rows), '--max-workers', MAX_WORKERS],
      path.join(ctx.work, 'metaflow-home'),
    );
    mfMs = handOverMs(mf.stdout + mf.stderr, 'Metaflow');
  }
  const rate = (elapsedMs) => mb / (elapsedMs / 1000);
  const cfRate = rate(cfMs);
  const mfRate = mfMs === undefined ? undefined : rate(mfMs);
  const rawRate = rate(raw.totalMs);
  const mbps = (value) => `${value.toFixed(0)} MB/s`;
  return row({
    id: 2,
    name: `Artifact throughput: ${rows.toLocaleString('en-US')} rows × 4 float64 (${mb.toFixed(0)} MB) written by a step, read by the next`,
    cellflow: cfRate,
    peer: mfRate,
    format: mbps,
    ratio: mfRate === undefined ? undefined : cfRate / mfRate,
    target: '≥ 50% of raw disk and ≥ 3× Metaflow',
    met: cfRate >= rawRate / 2 && (mfRate === undefined ? undefined : cfRate >= 3 * mfRate),
    notes: `hand-over (step code done → next step holds the table): cellflow median of ${cfRuns.length} ${seconds(cfMs)} (${cfRuns.map(seconds).join(', ')})${mfMs === undefined ? '' : `, Metaflow ${seconds(mfMs)}`}; raw Node stream, measured in turn with cellflow, median ${mbps(rawRate)} (write+fsync ${seconds(raw.writeMs)}, read ${seconds(raw.readMs)}; each: ${raws.map((r) => seconds(r.writeMs + r.readMs)).join(', ')}) = cellflow at ${((100 * cfRate) / rawRate).toFixed(0)}% of raw (the raw figure hashes nothing; cellflow hashes the ${mb.toFixed(0)} MB twice: sha256 as it writes, and again to verify the read)`,
  });
}

/** The BENCH_T0/BENCH_T1 wall clocks the artifact flows print around the hand-over. */
function handOverMs(output, who) {
  const t0 = /BENCH_T0 (\d+)/.exec(output);
  const t1 = /BENCH_T1 (\d+)/.exec(output);
  if (!t0 || !t1) {
    throw new Error(`${who}'s artifact flow did not print BENCH_T0/BENCH_T1:\n${output.slice(-2000)}`);
  }
  return Number(t1[1]) - Number(t0[1]);
}

/** 4: a foreach over 10,000 tasks completes within 2 minutes; the scheduler's own peak RSS. */
const SCALE_TARGET_MS = 120_000;
async function scale(ctx) {
  const { scaleTasks } = sizes(ctx.smoke);
  ctx.log(`scale: cellflow foreach over ${scaleTasks} tasks`);
  const project = userProject(FOREACH_NB);
  const run = await cellflow(
    ['run', project.notebook, '--param', `tasks=${scaleTasks}`, '--max-workers', MAX_WORKERS, '-q'],
    path.join(ctx.work, 'cellflow-home'),
    { sampleRss: true },
  ).finally(project.remove);
  if (!/run succeeded/.test(run.stdout)) {
    throw new Error(`the ${scaleTasks}-task run did not succeed:\n${run.stdout}`);
  }
  const peakMb = (run.peakRssKb ?? 0) / 1024;
  // The time target is for the full size only; the smoke run checks that the row still runs.
  const timeTarget = ctx.smoke ? Infinity : SCALE_TARGET_MS;
  return row({
    id: 4,
    name: `Scale: foreach over ${scaleTasks.toLocaleString('en-US')} tasks completes (wall); scheduler peak RSS`,
    cellflow: `${seconds(run.wallMs)}, ${peakMb.toFixed(0)} MB`,
    format: (v) => v,
    target: `≤ ${SCALE_TARGET_MS / 1000} s and < 300 MB`,
    met: run.peakRssKb !== undefined && peakMb < 300 && run.wallMs <= timeTarget,
    notes: `completed in ${seconds(run.wallMs)} (${ms(run.wallMs / scaleTasks)} per task); VmHWM of the scheduler process; Metaflow not run at this size (at its benchmark-1 rate it would take far longer)`,
  });
}

/** 5: the kernel helper's round-trip benchmark, when it has landed. */
async function interactive(ctx) {
  if (!fs.existsSync(KERNEL_ROUNDTRIP)) {
    return {
      id: 5,
      name: 'Interactive: step cell round trip, cellflow kernel vs plain tslab',
      cellflow: 'pending',
      peer: 'pending',
      ratio: '—',
      target: '< 10 ms added over tslab',
      met: 'pending',
      notes: 'bench/kernel-roundtrip.js (the kernel part) has not landed yet',
    };
  }
  ctx.log('interactive: kernel round trip');
  const { runKernelRoundTrip } = require('./kernel');
  return runKernelRoundTrip(ctx, KERNEL_ROUNDTRIP);
}

/** 6: `cellflow export` (which lints first and refuses a notebook with errors) of a generated notebook. */
async function compile(ctx) {
  const { cells } = sizes(ctx.smoke);
  const notebook = path.join(ctx.work, 'large.ipynb');
  fs.writeFileSync(notebook, large(cells));
  const home = path.join(ctx.work, 'cellflow-home');
  const walls = [];
  const lintWalls = [];
  for (let i = 0; i < (ctx.smoke ? 1 : 5); i++) {
    ctx.log(`compile: lint + export of a ${cells}-cell notebook (${i + 1})`);
    walls.push(
      (await cellflow(['export', notebook, '-o', path.join(ctx.work, 'large.flow.ts')], home)).wallMs,
    );
    lintWalls.push((await cellflow(['lint', notebook], home)).wallMs);
  }
  const wall = median(walls);
  return row({
    id: 6,
    name: `Compile: lint + export of a generated ${cells}-cell notebook`,
    cellflow: wall,
    format: ms,
    target: '< 1 s',
    met: wall < 1000,
    notes: `\`cellflow export\` as a command (it lints, then writes the module), median of ${walls.length}: ${walls.map(ms).join(', ')}; \`cellflow lint\` alone ${ms(median(lintWalls))}`,
  });
}

/** 7: `cellflow serve` of churn's predict: throughput and p99 with the prediction log on and off. */
async function serve(ctx) {
  const home = path.join(ctx.work, 'serve-home');
  const runIdFile = path.join(ctx.work, 'serve-run-id');
  ctx.log('serve: cellflow run examples/churn.ipynb');
  await cellflow(['run', CHURN_NB, '-q', '--run-id-file', runIdFile], home);
  const sizes = ctx.smoke
    ? { count: 300, concurrency: 16, maxMs: 10000, rounds: 1 }
    : { count: 20000, concurrency: 32, maxMs: 20000, rounds: 3 };
  const results = await measureServe(readRunId(runIdFile), home, { ...sizes, log: ctx.log });
  const rps = (mode) => median(results[mode].map((r) => r.rps));
  const p99 = (mode) => median(results[mode].map((r) => r.p99));
  const ratio = rps('on') / rps('off');
  const list = (mode) => results[mode].map((r) => r.rps.toFixed(0)).join(', ');
  return row({
    id: 8,
    name: "Serve: churn's predict over HTTP, prediction log on (vs off)",
    cellflow: rps('on'),
    peer: rps('off'),
    format: (v) => `${v.toFixed(0)} req/s`,
    ratio,
    target: 'log costs < 10 % of throughput',
    met: ratio >= 0.9,
    notes: `\`cellflow serve\` on loopback, ${sizes.count} POST /predict per measurement (at most ${sizes.maxMs / 1000} s), ${sizes.concurrency} in flight on keep-alive connections, after a warm-up; median of ${sizes.rounds} alternating rounds. Log on (each answer waits for its batch's write to the segment file; the fdatasync runs behind): ${list('on')} req/s, p99 ${p99('on').toFixed(1)} ms; log off (\`--no-log\`, the "peer" column): ${list('off')} req/s, p99 ${p99('off').toFixed(1)} ms; ratio is on ÷ off`,
  });
}

/** One table row; `ratio` defaults to cellflow ÷ peer (lower is better for times). */
function row({ id, label, name, cellflow: cf, peer, format, ratio, target, met, notes }) {
  const r = ratio ?? (peer === undefined ? undefined : cf / peer);
  return {
    id,
    ...(label ? { label } : {}),
    name,
    cellflow: format(cf),
    peer: peer === undefined ? '—' : format(peer),
    ratio:
      r === undefined
        ? '—'
        : typeof r === 'string'
          ? r
          : r < 0.1
            ? `1/${(1 / r).toFixed(0)}`
            : `${r.toFixed(2)}×`,
    target,
    met: met === undefined ? 'peer not run' : met ? 'yes' : 'no',
    notes,
  };
}

module.exports = {
  taskOverheadAndResume,
  artifactThroughput,
  scale,
  interactive,
  compile,
  serve,
  sizes,
  median,
};
