// The `cellflow` command. Each subcommand lives in ./commands and is registered from COMMANDS below:
// adding a command is one import and one line. Exit codes: 0 success, 1 a failed run (or a bug),
// 2 bad input (a message naming the notebook, cell and line; never a stack trace).
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { registerCard } from './commands/card';
import { registerBinder } from './commands/binder';
import { registerExport } from './commands/export';
import { registerFsck } from './commands/fsck';
import { registerInspect } from './commands/inspect';
import { registerKernel } from './commands/kernel';
import { registerLint } from './commands/lint';
import { registerLogs } from './commands/logs';
import { registerReproduce } from './commands/reproduce';
import { registerResume } from './commands/resume';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerShow } from './commands/show';
import { registerStep } from './commands/step';
import { registerTag } from './commands/tag';
import { exitWith } from './errors';
import { processIO, type CliIO } from './io';
import { cacheTypeScriptCode } from '../runtime/typescript-code-cache';

type Register = (program: Command, io: CliIO) => void;

const COMMANDS: Register[] = [
  registerLint,
  registerShow,
  registerExport,
  registerRun,
  registerResume,
  registerReproduce,
  registerBinder,
  registerStep,
  registerRuns,
  registerInspect,
  registerLogs,
  registerTag,
  registerCard,
  registerFsck,
  registerKernel,
];

function packageVersion(): string {
  // src/cli (ts-jest) and dist/src/cli (built) sit at different depths: walk up to package.json.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('cellflow')
    .description('Turn tagged TypeScript notebooks into reproducible workflows.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  // Subcommands copy these settings when they are created, so they are set first.
  for (const register of COMMANDS) register(program, io);
  return program;
}

/** Runs the CLI on arguments (without `node cellflow`) and returns the exit code; never throws. */
export async function runCli(args: string[], io: CliIO = processIO()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
    return io.exitCode ?? 0;
  } catch (error) {
    return exitWith(error, io);
  }
}

/** Entry point of bin/cellflow.js, with `process.argv`. */
export async function main(argv: string[]): Promise<void> {
  cacheTypeScriptCode(); // the command process only: in-process runCli callers keep their loader
  const code = await runCli(argv.slice(2));
  // Commands that manage their own exit code (runs of a flow) set process.exitCode themselves.
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
}
