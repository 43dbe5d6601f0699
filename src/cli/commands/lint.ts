// `cellflow lint NB...`: check that notebooks form sound flows; exit 2 if any has an error.
// `--fix` first rewrites comma tags in place (fixNotebookTags changes no other byte of the file).
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import {
  analyzeNotebook,
  fixNotebookTags,
  formatDiagnostic,
  hasErrors,
  type NotebookTagFix,
} from '../../core';
import { withImportChecks } from '../../runtime/loading';
import { EXIT_BAD_INPUT } from '../errors';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Rewrites the notebook's comma tags in place and says what changed. */
function fixNotebookFile(file: string, io: CliIO, json: boolean): NotebookTagFix {
  const text = readNotebookFile(file, { keepBom: true });
  const fix = fixNotebookTags(text);
  if (fix.text !== text) {
    // Write beside it and rename, so an interrupted fix never leaves half a notebook.
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.cellflow-fix-${process.pid}`);
    fs.writeFileSync(temp, fix.text, { mode: fs.statSync(file).mode });
    fs.renameSync(temp, file);
  }
  if (!json) {
    for (const { cell, from, to } of fix.changes) {
      const written = to.length ? to.map((t) => `'${t}'`).join(', ') : 'nothing (the cell has those tags)';
      io.stdout(`${file}: cell ${cell.index} (id ${cell.id}): fixed '${from}' → ${written}\n`);
    }
    if (fix.changes.length) {
      const cells = new Set(fix.changes.map((c) => c.cell.index)).size;
      io.stdout(`${file}: rewrote ${plural(fix.changes.length, 'comma tag')} in ${plural(cells, 'cell')}\n`);
    }
  }
  return fix;
}

/** Lints one notebook, writing its report; true when it has no errors. */
export function lintNotebook(file: string, io: CliIO, json: boolean, fix = false): boolean {
  const fixed = fix ? fixNotebookFile(file, io, json) : undefined;
  const text = fixed ? fixed.text : readNotebookFile(file);
  const analysis = withImportChecks(
    analyzeNotebook(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file),
    file,
  );
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = analysis.diagnostics.filter((d) => d.severity === 'warning').length;
  if (json) {
    const report = { notebook: file, ok: errors === 0, diagnostics: analysis.diagnostics };
    io.stdout(JSON.stringify(fixed ? { ...report, fixed: fixed.changes } : report) + '\n');
    return errors === 0;
  }
  for (const d of analysis.diagnostics) {
    io.stderr(formatDiagnostic(d, file) + '\n');
  }
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
    .option(
      '--fix',
      'rewrite comma tags (next:a,b → next:a next:b) in place, changing nothing else, then lint',
    )
    .action((notebooks: string[], options: { json?: boolean; fix?: boolean }) => {
      let ok = true;
      for (const file of notebooks) {
        ok = lintNotebook(file, io, options.json === true, options.fix === true) && ok;
      }
      if (!ok) {
        io.exitCode = EXIT_BAD_INPUT;
      }
    });
}
