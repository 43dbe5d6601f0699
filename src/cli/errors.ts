// How the CLI ends: bad input is a message and exit 2 (never a stack trace), a failed run exits 1.
// "The input is wrong" has one name, the runtime's UserInputError (core's NotebookError carries its
// notebook, cell and line); both exit 2.
import { CommanderError } from 'commander';
import { NotebookError } from '../core';
import { UserInputError } from '../runtime';
import type { CliIO } from './io';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Reports an error thrown by a command and returns the exit code for it. */
export function exitWith(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    // Commander has already written its message (or the help) through the configured output.
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (error instanceof NotebookError) {
    // Already one formatted line per problem: `NB: cell 3 (id x), step 's', line 2: error [rule]: ...`.
    io.stderr(error.message + '\n');
    return EXIT_BAD_INPUT;
  }
  if (error instanceof UserInputError) {
    io.stderr(`error: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  // Anything else is a failed run or a bug in cellflow; the stack only on request.
  const err = error as Error | undefined;
  io.stderr(`error: ${err?.message ?? String(error)}\n`);
  if (process.env.CELLFLOW_DEBUG) {
    io.stderr(`${err?.stack ?? ''}\n`);
  }
  return EXIT_FAILED;
}
