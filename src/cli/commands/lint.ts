// `cellflow lint NB...`: check that notebooks form sound flows; exit 2 if any has an error.
import type { Command } from 'commander';
import { analyzeNotebook, formatDiagnostic, hasErrors } from '../../core';
import { EXIT_BAD_INPUT } from '../errors';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Lints one notebook, writing its report; true when it has no errors. */
export function lintNotebook(file: string, io: CliIO, json: boolean): boolean {
  const analysis = analyzeNotebook(readNotebookFile(file), file);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = analysis.diagnostics.length - errors;
  if (json) {
    io.stdout(JSON.stringify({ notebook: file, ok: errors === 0, diagnostics: analysis.diagnostics }) + '\n');
    return errors === 0;
  }
  for (const d of analysis.diagnostics) io.stderr(formatDiagnostic(d, file) + '\n');
  if (hasErrors(analysis.diagnostics)) {
    io.stderr(`${file}: ${plural(errors, 'error')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}\n`);
    return false;
  }
  const steps = analysis.graph?.order.length ?? 0;
  const parameters = analysis.flow?.parameters.length ?? 0;
  const extra = warnings ? `, ${plural(warnings, 'warning')}` : '';
  io.stdout(
    `${file}: ok — flow '${analysis.flow?.name}', ${plural(steps, 'step')}, ${plural(parameters, 'parameter')}${extra}\n`,
  );
  return true;
}

export function registerLint(program: Command, io: CliIO): void {
  program
    .command('lint')
    .description('check that notebooks form sound flows (exit 2 if any has an error)')
    .argument('<notebooks...>', 'tagged notebooks (.ipynb)')
    .option('--json', 'one JSON object per notebook: { notebook, ok, diagnostics }')
    .action((notebooks: string[], options: { json?: boolean }) => {
      let ok = true;
      for (const file of notebooks) ok = lintNotebook(file, io, options.json === true) && ok;
      if (!ok) io.exitCode = EXIT_BAD_INPUT;
    });
}
