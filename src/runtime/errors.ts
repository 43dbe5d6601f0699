// Errors that mean "the user's input is wrong" (exit 2) as opposed to "the run failed" (exit 1).

/** Bad input: the message names the file, cell and line; the CLI prints it and exits 2. */
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}
