// `cellflow export NB [-o FILE]`: write the flow module (default NB.flow.ts beside the notebook).
import type { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { compileNotebook } from '../../core';
import { UserInputError } from '../../runtime';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

export function defaultExportPath(notebook: string): string {
  return notebook.replace(/(\.ipynb)?$/i, '.flow.ts');
}

/**
 * The notebook path recorded in the module: relative to the module's own directory, with forward
 * slashes, so the output does not depend on where the project is checked out or the command is run.
 */
export function recordedNotebookPath(notebook: string, output: string | undefined): string {
  if (output === undefined) {
    return path.basename(notebook);
  }
  const relative = path.relative(path.dirname(path.resolve(output)), path.resolve(notebook));
  return relative.split(path.sep).join('/');
}

export function registerExport(program: Command, io: CliIO): void {
  program
    .command('export')
    .description('compile a notebook into a flow module (.flow.ts)')
    .argument('<notebook>', 'tagged notebook (.ipynb)')
    .option(
      '-o, --output <file>',
      "where to write the module ('-' for stdout; default: NB.flow.ts beside the notebook)",
    )
    .action((file: string, options: { output?: string }) => {
      const output = options.output ?? defaultExportPath(file);
      const toStdout = output === '-';
      const compiled = compileNotebook(
        readNotebookFile(file),
        recordedNotebookPath(file, toStdout ? undefined : output),
      );
      if (toStdout) {
        io.stdout(compiled.source);
        return;
      }
      if (path.resolve(output) === path.resolve(file)) {
        throw new UserInputError(`${output}: refusing to overwrite the notebook itself.`);
      }
      try {
        fs.writeFileSync(output, compiled.source);
      } catch (error) {
        throw new UserInputError(
          `${output}: cannot write the flow module (${(error as NodeJS.ErrnoException).code ?? error}).`,
        );
      }
      const steps = compiled.manifest.graph.order.length;
      io.stdout(
        `${file} → ${output} (flow '${compiled.manifest.flow}', ${steps} step${steps === 1 ? '' : 's'})\n`,
      );
    });
}
