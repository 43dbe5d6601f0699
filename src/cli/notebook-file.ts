// Reading the notebook a command names: file errors and non-UTF-8 bytes are bad input (exit 2).
import * as fs from 'fs';
import { UserInputError } from '../runtime';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'a parent is not a directory',
};

/** The notebook's text; `keepBom` keeps a leading byte-order mark (for commands that write it back). */
export function readNotebookFile(file: string, options: { keepBom?: boolean } = {}): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new UserInputError(
      `${file}: cannot read the notebook (${REASONS[code] ?? (code || String(error))}).`,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: options.keepBom === true }).decode(bytes);
  } catch {
    throw new UserInputError(`${file}: not valid UTF-8 text; a notebook is UTF-8 encoded JSON.`);
  }
}
