// `cellflow deploy NB --engine slurm --schedule CRON`: the flow as one entry of the user's scrontab
// (Slurm's cron: the controller holds each entry as a pending job and starts it on schedule). The
// entry runs `cellflow run NB --engine slurm` as a batch job; the user's other lines are kept, and
// each flow's entry sits between marker comments so a later deploy replaces it and --remove takes
// it away.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserInputError } from '../errors';

export interface CronEntry {
  flow: string;
  schedule: string;
  /** The words of the command the job runs (quoted for /bin/sh here). */
  command: string[];
  /** Variables set for the command (the job's environment is the user's login one, not deploy's). */
  env: Record<string, string>;
  /** The job's working folder and output file (%j: the job id). */
  chdir: string;
  output: string;
  partition?: string;
}

const begin = (flow: string) => `# cellflow:begin ${flow}`;
const end = (flow: string) => `# cellflow:end ${flow}`;

/** The job name of a flow's cron job, as squeue and scontrol show it. */
export const cronJobName = (flow: string): string => `cellflow-${flow}`;

/** Single-quoted for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lines of a flow's entry, markers included (pure). */
export function cronBlock(entry: CronEntry): string {
  for (const [what, value] of [
    ['working folder', entry.chdir],
    ['output file', entry.output],
    ['partition', entry.partition ?? ''],
  ]) {
    // #SCRON options are split on blanks; a path with one would become two options.
    if (/\s/.test(value)) {
      throw new UserInputError(
        `deploy --engine slurm: the ${what} '${value}' has a blank, which #SCRON cannot carry.`,
      );
    }
  }
  const options = [
    `--job-name=${cronJobName(entry.flow)}`,
    `--chdir=${entry.chdir}`,
    `--output=${entry.output}`,
    ...(entry.partition ? [`--partition=${entry.partition}`] : []),
  ];
  const assignments = Object.entries(entry.env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  return [
    `${begin(entry.flow)} (written by cellflow deploy --engine slurm; --remove takes it away)`,
    `#SCRON ${options.join(' ')}`,
    `${entry.schedule} ${[...assignments, ...entry.command.map(shellQuote)].join(' ')}`,
    end(entry.flow),
    '',
  ].join('\n');
}

/** Where a flow's block is in the crontab's lines: [first, last] inclusive, or undefined. */
function blockRange(lines: string[], flow: string): [number, number] | undefined {
  const first = lines.findIndex((line) => line === begin(flow) || line.startsWith(`${begin(flow)} `));
  if (first < 0) {
    return undefined;
  }
  const last = lines.findIndex((line, i) => i > first && line.trim() === end(flow));
  return [first, last < 0 ? lines.length - 1 : last];
}

/** The flow's block in a crontab, when it has one (pure). */
export function flowBlock(crontab: string, flow: string): string | undefined {
  const lines = crontab.split('\n');
  const range = blockRange(lines, flow);
  return range ? lines.slice(range[0], range[1] + 1).join('\n') + '\n' : undefined;
}

/**
 * The crontab with the flow's block replaced in place by `block` (appended when it had none), or
 * taken away when `block` is undefined; every other line is kept as it was (pure).
 */
export function withFlowBlock(crontab: string, flow: string, block: string | undefined): string {
  const lines = crontab === '' ? [] : crontab.replace(/\n$/, '').split('\n');
  const replacement = block === undefined ? [] : block.replace(/\n$/, '').split('\n');
  const range = blockRange(lines, flow);
  if (range) {
    lines.splice(range[0], range[1] - range[0] + 1, ...replacement);
  } else {
    lines.push(...replacement);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

function scrontab(args: string[]) {
  return spawnSync('scrontab', args, { encoding: 'utf8', timeout: 60_000 });
}

function failure(result: ReturnType<typeof scrontab>): string {
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || String(result.error ?? result.status);
}

/** The user's crontab as the controller holds it ('' when there is none). */
export function readCrontab(): string {
  const listed = scrontab(['-l']);
  if (listed.error && (listed.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UserInputError(
      "deploy --engine slurm: 'scrontab' is not on the PATH (Slurm's cron client, 20.11 or later; Debian's slurm-client leaves it out: README 'Beyond one machine' says how to build it).",
    );
  }
  if (listed.status === 0) {
    return listed.stdout;
  }
  if (/no crontab for/i.test(listed.stderr)) {
    return '';
  }
  throw new UserInputError(`deploy --engine slurm: scrontab -l failed: ${failure(listed)}`);
}

/** Hands the whole crontab to the controller (scrontab FILE), or removes it when empty (-r). */
export function writeCrontab(crontab: string): void {
  if (crontab.trim() === '') {
    const removed = scrontab(['-r']);
    if (removed.status !== 0) {
      throw new UserInputError(`deploy --engine slurm: scrontab -r failed: ${failure(removed)}`);
    }
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-scrontab-'));
  try {
    const file = path.join(dir, 'crontab');
    fs.writeFileSync(file, crontab);
    const installed = scrontab([file]);
    if (installed.status !== 0) {
      throw new UserInputError(`deploy --engine slurm: scrontab refused the crontab: ${failure(installed)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The flow's cron job as the controller shows it: its id and next start, when squeue answers. */
export function cronJob(flow: string): { jobId: string; nextStart: string } | undefined {
  const listed = spawnSync(
    'squeue',
    ['-h', '-n', cronJobName(flow), '-u', os.userInfo().username, '-o', '%i %S'],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  const [jobId, nextStart] = (listed.status === 0 ? listed.stdout.trim().split('\n')[0] : '').split(' ');
  return jobId && nextStart ? { jobId, nextStart } : undefined;
}
