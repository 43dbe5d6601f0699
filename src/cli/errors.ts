// Errors that mean "the input is wrong": the CLI prints their message (no stack trace) and exits 2.
import { UserInputError } from '../runtime/errors';

/** Bad input found by a command itself; the message names the notebook, cell and line when it can. */
export class UserError extends UserInputError {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** True for every error that is the user's input rather than a failed run or a bug. */
export function isUserError(error: unknown): error is Error {
  return error instanceof UserInputError;
}
