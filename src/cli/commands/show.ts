// `cellflow show NB --format text|mermaid|dot|json`: the flow's DAG (and its schedule, if any).
import { Option, type Command } from 'commander';
import {
  analyzeNotebook,
  formatDiagnostic,
  GRAPH_FORMATS,
  NotebookError,
  renderGraph,
  scheduleOf,
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
      const drawn = renderGraph(analysis.graph, options.format, analysis.flow.name, analysis.flow.parameters);
      // The schedule deploy hands to the engines: a line under the text's title, a field of the JSON.
      const { schedule, problem } = scheduleOf(analysis.flow.notebook.metadata);
      if (problem) {
        io.stderr(`${file}: warning: ${problem}; deploy refuses it\n`);
      }
      if (schedule && options.format === 'text') {
        const title = drawn.indexOf('\n') + 1;
        return void io.stdout(
          `${drawn.slice(0, title)}schedule: ${schedule} (metadata.cellflow.schedule)\n${drawn.slice(title)}`,
        );
      }
      if (schedule && options.format === 'json') {
        const json = JSON.parse(drawn) as Record<string, unknown>;
        return void io.stdout(JSON.stringify({ flow: json.flow, schedule, ...json }, null, 2) + '\n');
      }
      io.stdout(drawn);
    });
}
