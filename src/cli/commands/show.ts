// `cellflow show NB --format text|mermaid|dot|json`: the flow's DAG.
import { Option, type Command } from 'commander';
import {
  analyzeNotebook,
  formatDiagnostic,
  GRAPH_FORMATS,
  NotebookError,
  renderGraph,
  type GraphFormat,
} from '../../core';
import type { CliIO } from '../io';
import { readNotebookFile } from '../notebook-file';

export function registerShow(program: Command, io: CliIO): void {
  program
    .command('show')
    .description("draw a notebook's flow graph")
    .argument('<notebook>', 'tagged notebook (.ipynb)')
    .addOption(
      new Option(
        '-f, --format <format>',
        'text draws boxes in the terminal; mermaid, dot and json are for other tools',
      )
        .choices([...GRAPH_FORMATS])
        .default('text'),
    )
    .action((file: string, options: { format: GraphFormat }) => {
      const analysis = analyzeNotebook(readNotebookFile(file), file);
      if (!analysis.flow || !analysis.graph || analysis.diagnostics.some((d) => d.severity === 'error')) {
        throw new NotebookError(file, analysis.diagnostics);
      }
      for (const d of analysis.diagnostics) {
        io.stderr(formatDiagnostic(d, file) + '\n');
      }
      io.stdout(renderGraph(analysis.graph, options.format, analysis.flow.name, analysis.flow.parameters));
    });
}
