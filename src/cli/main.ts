// The `cellflow` command: one registration per subcommand, and one place that turns errors into exit
// codes: 0 success, 1 a failed run (or a bug), 2 bad input (message only, never a stack trace).
import { Command, CommanderError } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { registerInspect } from './commands/inspect';
import { registerLogs } from './commands/logs';
import { registerResume } from './commands/resume';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerStep } from './commands/step';
import { registerTag } from './commands/tag';
import { isUserError } from './errors';

const COMMANDS: ((program: Command) => void)[] = [
  registerRun,
  registerResume,
  registerStep,
  registerRuns,
  registerInspect,
  registerLogs,
  registerTag,
];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cellflow')
    .description('turn tagged TypeScript notebooks into reproducible workflows')
    .version(packageVersion())
    .exitOverride();
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (usage errors) or the help/version text already.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isUserError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  const err = error as Error;
  process.stderr.write(`error: ${err?.message ?? String(error)}\n`);
  if (process.env.CELLFLOW_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

/** The version in the package.json above this file (src/cli in development, dist/src/cli when built). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}
