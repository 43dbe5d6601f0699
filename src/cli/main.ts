// The `cellflow` command. Each subcommand lives in ./commands and is registered from COMMANDS below:
// adding a command is one line. Exit codes: 0 success, 1 a failed run (or a bug), 2 bad input (a
// message naming the notebook, cell and line; never a stack trace).
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { exitWith } from './errors';
import { processIO, type CliIO } from './io';
import { cacheTypeScriptCode } from '../runtime/loading';

type Register = (program: Command, io: CliIO) => void;

// Loaded on demand: a command's module pulls in what it runs (the compiler, the Client API, the
// runtime), and loading all of them made every command, `resume` included, wait before it started.
const COMMANDS: Record<string, () => Register> = {
  lint: () => require('./commands/lint').registerLint,
  show: () => require('./commands/show').registerShow,
  export: () => require('./commands/export').registerExport,
  run: () => require('./commands/run').registerRun,
  resume: () => require('./commands/resume').registerResume,
  reproduce: () => require('./commands/reproduce').registerReproduce,
  status: () => require('./commands/status').registerStatus,
  binder: () => require('./commands/binder').registerBinder,
  step: () => require('./commands/step').registerStep,
  runs: () => require('./commands/runs').registerRuns,
  inspect: () => require('./commands/inspect').registerInspect,
  logs: () => require('./commands/logs').registerLogs,
  tag: () => require('./commands/tag').registerTag,
  card: () => require('./commands/card').registerCard,
  notebook: () => require('./commands/notebook').registerNotebook,
  fsck: () => require('./commands/fsck').registerFsck,
  gc: () => require('./commands/gc').registerGc,
  push: () => require('./commands/transfer').registerPush,
  pull: () => require('./commands/transfer').registerPull,
  kernel: () => require('./commands/kernel').registerKernel,
  serve: () => require('./commands/serve').registerServe,
  predictions: () => require('./commands/predictions').registerPredictions,
  replay: () => require('./commands/replay').registerReplay,
  monitor: () => require('./commands/monitor').registerMonitor,
  deploy: () => require('./commands/deploy').registerDeploy,
  'start-run': () => require('./commands/run-record').registerStartRun,
  'finish-run': () => require('./commands/run-record').registerFinishRun,
};

function packageVersion(): string {
  // src/cli (ts-jest) and dist/src/cli (built) sit at different depths: walk up to package.json.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    }
  }
  return 'unknown';
}

/**
 * The program with every command, or with only `only` when the arguments name a command: its help,
 * options and errors are the same either way, and the other commands' modules are never loaded.
 */
export function buildProgram(io: CliIO, only?: string): Command {
  const program = new Command('cellflow')
    .description('Turn tagged TypeScript notebooks into reproducible workflows.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .option(
      '--datastore <location>',
      'the datastore: a folder or s3://BUCKET/PREFIX (default: $CELLFLOW_DATASTORE, $CELLFLOW_HOME, <project>/.cellflow)',
    );
  // Every command (and the task processes it starts) opens the datastore the option names; runCli
  // puts the variable back when the command ends.
  program.hook('preAction', () => {
    const chosen = program.opts<{ datastore?: string }>().datastore;
    if (chosen !== undefined) {
      process.env.CELLFLOW_DATASTORE = chosen;
    }
  });
  // Subcommands copy these settings when they are created, so they are set first.
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  for (const name of names) {
    COMMANDS[name]()(program, io);
  }
  return program;
}

/** Runs the CLI on arguments (without `node cellflow`) and returns the exit code; never throws. */
export async function runCli(args: string[], io: CliIO = processIO()): Promise<number> {
  const datastore = process.env.CELLFLOW_DATASTORE;
  try {
    await buildProgram(io, args[0]).parseAsync(args, { from: 'user' });
    return io.exitCode ?? 0;
  } catch (error) {
    return exitWith(error, io);
  } finally {
    if (datastore === undefined) {
      delete process.env.CELLFLOW_DATASTORE;
    } else {
      process.env.CELLFLOW_DATASTORE = datastore;
    }
  }
}

/**
 * A reader that went away (`cellflow inspect RUN | head -2`) ends the output, never the work: a run
 * whose terminal closed still finishes and records its outcome, and nothing prints a stack trace.
 */
function stopWritingOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') {
      throw error;
    }
    stream.write = (() => true) as typeof stream.write;
  });
}

/** Entry point of bin/cellflow.js, with `process.argv`. */
export async function main(argv: string[]): Promise<void> {
  stopWritingOnClosedPipe(process.stdout);
  stopWritingOnClosedPipe(process.stderr);
  cacheTypeScriptCode(); // the command process only: in-process runCli callers keep their loader
  const code = await runCli(argv.slice(2));
  process.exitCode = code;
}
